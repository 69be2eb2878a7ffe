//! The cluster's three daemons as child processes of the tests, the
//! processes that belong to the cluster, and client commands run with a
//! time limit.

use std::fs;
use std::io::{self, Read as _};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{kill_process, Pid, Signal};

/// How long a daemon may take to exit after `SIGTERM` before it is
/// killed.
const STOP_LIMIT: Duration = Duration::from_secs(5);

/// One daemon in the foreground (`munged -F`, `slurmctld -D`, `slurmd
/// -D`), its standard error (where it logs) in a file.
#[derive(Debug)]
pub(super) struct Daemon {
    pub(super) name: &'static str,
    pub(super) child: Child,
    pub(super) log: PathBuf,
}

impl Daemon {
    /// Starts `program args` with `SLURM_CONF=conf`, its standard error
    /// appended to `log`, in a process group of its own: a Ctrl-C meant
    /// for the tests reaches it only through the harness.
    pub(super) fn start(
        name: &'static str,
        program: &str,
        args: &[&std::ffi::OsStr],
        conf: &Path,
        log: PathBuf,
    ) -> io::Result<Daemon> {
        let file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)?;
        let child = Command::new(program)
            .args(args)
            .env("SLURM_CONF", conf)
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .process_group(0)
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot run {program}: {e}")))?;
        Ok(Daemon { name, child, log })
    }

    /// The exit status, if the daemon has exited.
    pub(super) fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The last `lines` lines of the daemon's log, under a heading that
    /// names it.
    pub(super) fn log_tail(&self, lines: usize) -> String {
        let log = fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = log.lines().collect();
        format!(
            "--- {} ({}):\n{}",
            self.name,
            self.log.display(),
            all[all.len().saturating_sub(lines)..].join("\n")
        )
    }

    /// `SIGTERM`, then `SIGKILL` if the daemon has not exited within 5 s;
    /// reaps it.
    pub(super) fn stop(&mut self) {
        let pid = Pid::from_child(&self.child);
        let _ = kill_process(pid, Signal::TERM);
        let deadline = Instant::now() + STOP_LIMIT;
        while self.exited().is_none() {
            if Instant::now() >= deadline {
                let _ = kill_process(pid, Signal::KILL);
                let _ = self.child.wait();
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The processes whose environment holds `SLURM_CONF=conf`: the daemons,
/// the `slurmstepd`s that `slurmd` forks (they keep its environment), and
/// the tasks of the steps (srun passes its environment on). Sorted pids.
pub(super) fn processes_of(conf: &Path) -> Vec<i32> {
    let mut want = b"SLURM_CONF=".to_vec();
    want.extend_from_slice(conf.as_os_str().as_encoded_bytes());
    let mut found: Vec<i32> = fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .filter(|pid| {
            fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|&b| b == 0).any(|var| var == want))
        })
        .collect();
    found.sort_unstable();
    found
}

/// What a client command did: its status (`None` if it was killed for
/// running too long), standard output and standard error.
#[derive(Debug)]
pub(super) struct Finished {
    pub(super) status: Option<ExitStatus>,
    pub(super) stdout: String,
    pub(super) stderr: String,
}

/// Runs `command` with its output captured, killing it if it runs past
/// `limit`. For the start-up probes, whose output is short (it stays in
/// the pipes until the command exits).
pub(super) fn run_within(mut command: Command, limit: Duration) -> io::Result<Finished> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut stdout);
    }
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut stderr);
    }
    Ok(Finished {
        status,
        stdout,
        stderr,
    })
}
