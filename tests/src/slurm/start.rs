//! Starting the cluster: the key and the configuration written, the
//! daemons started one after the other, and a bounded wait until `sinfo`
//! and `srun` work.

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use super::daemons::{run_within, Daemon};
use super::setup::{self, Layout};
use super::{stale, turn, Slurm, MUNGED, SLURMCTLD, SLURMD};
use crate::temp_dir::TempDir;

/// How long the cluster may take to start.
const START_LIMIT: Duration = Duration::from_secs(30);

impl Slurm {
    /// A cluster with its ports and directory, no daemon started yet, once
    /// no other cluster of this process runs.
    pub(super) fn unstarted(node: &str, hardware: &str) -> io::Result<Slurm> {
        let (controller_port, node_port) = setup::two_free_ports()?;
        Ok(Slurm {
            daemons: Vec::new(),
            node: node.to_owned(),
            cpus: setup::cpus_of(hardware),
            controller_port,
            node_port,
            dir: TempDir::new(stale::PREFIX)?,
            _turn: turn::Turn::take(),
        })
    }

    /// Writes the key and the configuration, starts the daemons and waits
    /// until the cluster works.
    pub(super) fn launch(&mut self, hardware: &str) -> io::Result<()> {
        let dir = self.dir.path().to_owned();
        for sub in ["state", "spool", "log"] {
            fs::create_dir(dir.join(sub))?;
        }
        let key = setup::munge_key(&dir)?;
        let conf = setup::slurm_conf(&Layout {
            dir: &dir,
            node: &self.node,
            hardware,
            controller_port: self.controller_port,
            node_port: self.node_port,
        });
        fs::write(self.conf(), conf)?;
        let deadline = Instant::now() + START_LIMIT;
        self.start_munged(&key)?;
        self.wait_for("munged's socket", deadline, |slurm| {
            slurm.munge_socket().exists()
        })?;
        let conf_arg = self.conf().into_os_string();
        let foreground_args = [OsStr::new("-D"), OsStr::new("-f"), &conf_arg];
        self.start_daemon("slurmctld", SLURMCTLD, &foreground_args)?;
        self.start_daemon("slurmd", SLURMD, &foreground_args)?;
        self.wait_for("the node to be idle in sinfo", deadline, Slurm::node_idle)?;
        self.first_step(deadline)
    }

    /// Starts `munged -F` with `key`, its socket, pid and seed files in
    /// the private directory.
    fn start_munged(&mut self, key: &Path) -> io::Result<()> {
        let dir = self.dir.path().join("munge");
        let args = [
            "-F".into(),
            "--force".into(),
            arg("--key-file=", key),
            arg("--socket=", &self.munge_socket()),
            arg("--pid-file=", &dir.join("munged.pid")),
            arg("--seed-file=", &dir.join("munged.seed")),
        ];
        let args: Vec<&OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        self.start_daemon("munged", MUNGED, &args)
    }

    fn start_daemon(
        &mut self,
        name: &'static str,
        program: &str,
        args: &[&OsStr],
    ) -> io::Result<()> {
        let log = self.dir.path().join("log").join(format!("{name}.log"));
        let daemon = Daemon::start(name, program, args, &self.conf(), log)?;
        self.daemons.push(daemon);
        Ok(())
    }

    /// Polls `ready` until it holds, failing if a daemon exits or the
    /// deadline passes.
    fn wait_for(
        &mut self,
        what: &str,
        deadline: Instant,
        mut ready: impl FnMut(&Slurm) -> bool,
    ) -> io::Result<()> {
        loop {
            if ready(self) {
                return Ok(());
            }
            if let Some(exited) = self
                .daemons
                .iter_mut()
                .find_map(|d| Some((d.name, d.exited()?)))
            {
                return Err(self.failure(&format!("{} exited ({})", exited.0, exited.1)));
            }
            if Instant::now() >= deadline {
                return Err(self.failure(&format!("waited {START_LIMIT:?} for {what}")));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether `sinfo` shows the node idle.
    fn node_idle(&self) -> bool {
        let mut sinfo = self.command("sinfo");
        sinfo.args(["-h", "-N", "-o", "%T"]);
        run_within(sinfo, Duration::from_secs(5)).is_ok_and(|done| {
            done.status.is_some_and(|s| s.success()) && done.stdout.trim() == "idle"
        })
    }

    /// Runs `srun -N1 -n1 true`, within what is left of the start-up time.
    fn first_step(&self, deadline: Instant) -> io::Result<()> {
        let mut srun = self.srun();
        srun.args(["-N1", "-n1", "true"]);
        let limit = deadline.saturating_duration_since(Instant::now());
        let done = run_within(srun, limit.max(Duration::from_secs(1)))?;
        if done.status.is_some_and(|s| s.success()) {
            return Ok(());
        }
        let what = match done.status {
            Some(status) => format!("the first srun -N1 -n1 true failed ({status})"),
            None => format!("the first srun -N1 -n1 true did not end within {limit:?}"),
        };
        Err(self.failure(&format!("{what}; its stderr: {:?}", done.stderr.trim())))
    }

    /// An error saying `what`, with the end of each daemon's log.
    fn failure(&self, what: &str) -> io::Error {
        io::Error::other(format!(
            "{what} (Slurm cluster in {}); the end of the daemons' logs:\n{}",
            self.dir.path().display(),
            self.logs()
        ))
    }
}

/// `prefix` followed by `path`, as one argument.
fn arg(prefix: &str, path: &Path) -> std::ffi::OsString {
    let mut arg = std::ffi::OsString::from(prefix);
    arg.push(path);
    arg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_daemon_that_exits_is_an_error_with_the_ends_of_the_logs() {
        let node = setup::short_hostname().unwrap();
        let mut slurm = Slurm::unstarted(&node, "CPUs=1").unwrap();
        let error = slurm.launch("CPUs=1 NoSuchOption=1").unwrap_err();
        let message = error.to_string();
        // Both refuse the configuration; whichever is seen first.
        let exited = ["slurmctld exited (", "slurmd exited ("];
        assert!(exited.iter().any(|e| message.contains(e)), "{message}");
        assert!(message.contains("--- munged ("), "{message}");
        assert!(message.contains("--- slurmctld ("), "{message}");
        assert!(
            message.contains("Parsing error at unrecognized key: NoSuchOption"),
            "{message}"
        );
        let dir = slurm.dir().to_owned();
        drop(slurm);
        assert!(!dir.exists());
    }
}
