//! A private single-node Slurm cluster for end-to-end tests of `srun`,
//! `salloc` and `sbatch`, from Debian's packages (`slurmctld`, `slurmd`,
//! `slurm-client`, `munge`).
//!
//! [`Slurm::start`] makes a directory of its own under the system's
//! temporary directory (mode 0700) and starts, as root and with no
//! service manager, three daemons in the foreground, each in a process
//! group of its own, each logging to a file in that directory:
//! * `munged -F` with a fresh random key and its own socket
//!   (`munge/socket`), so that the system's munge (running or not, its key
//!   or not) plays no part;
//! * `slurmctld -D` and `slurmd -D` with a `slurm.conf` of two dozen lines:
//!   the node is this host (`hostname -s`, at 127.0.0.1) with the
//!   processors `slurmd -C` finds, in one partition (`test`, the default,
//!   no time limit); the controller's and the node's ports are two that
//!   were free; `AuthInfo=socket=` names the private munge socket; state,
//!   spool and pid files are in the directory; no cgroups
//!   (`ProctrackType=proctrack/linuxproc`, `TaskPlugin=task/none`); cores
//!   are the only consumable resource (`select/cons_tres`, `CR_Core`), so
//!   each step of `-n1` takes one CPU and memory is not counted;
//!   `KillWait=5` (a cancelled step gets `SIGTERM`, then `SIGKILL` 5 s
//!   later).
//!
//! It returns once the node is idle in `sinfo` and a first `srun -N1 -n1
//! true` has worked, within 30 s; the error otherwise says what did not
//! work and ends with the last lines of each daemon's log.
//!
//! The client commands ([`Slurm::srun`], [`Slurm::salloc`], ...) run with
//! `SLURM_CONF` naming the private `slurm.conf`, without the `SLURM_*`
//! (and `SALLOC_*`, `SBATCH_*`, `SRUN_*`, ...) variables of the tests'
//! own environment: tests run inside a real allocation still talk to the
//! private cluster only.
//!
//! One cluster runs at a time in a test process: [`Slurm::start`] waits
//! until the one before it has been dropped (the node, and this
//! machine's CPUs, would otherwise be shared). Starting one takes a second or two.
//!
//! Dropping a [`Slurm`] stops it: `SIGTERM` to `slurmd`, `slurmctld` and
//! `munged` in that order (`SIGKILL` to one still running 5 s later), each
//! reaped; then `SIGKILL` to every process still running whose environment
//! names this cluster's `slurm.conf` (`SLURM_CONF=…`): the `slurmstepd`s,
//! the tasks of steps still running, and client commands started from
//! [`Slurm::command`] that have not exited; then the directory is removed.
//! A task that cleared its environment is not found that way. A test
//! process killed before it could drop its cluster leaves it running:
//! the next [`Slurm::start`] on the machine kills the processes of
//! clusters whose test process has gone, and removes their directories.
//!
//! A missing Slurm or munge is an error that says which packages to
//! install, never a skipped test: `.ci/run` installs them. The daemons
//! run as root: as another user, [`Slurm::start`] fails and says so.
//!
//! # Examples
//!
//! ```no_run
//! use procpump_tests::slurm::Slurm;
//!
//! let slurm = Slurm::start();
//! let output = slurm.srun().args(["-N1", "-n1", "hostname"]).output().unwrap();
//! assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), slurm.node());
//! assert!(slurm.steps().is_empty());
//! ```

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

mod daemons;
mod setup;
mod stale;
mod start;
mod turn;

use crate::temp_dir::TempDir;
use daemons::{run_within, Daemon};

/// The munge daemon.
pub const MUNGED: &str = "/usr/sbin/munged";

/// Slurm's controller daemon.
pub const SLURMCTLD: &str = "/usr/sbin/slurmctld";

/// Slurm's node daemon.
pub const SLURMD: &str = "/usr/sbin/slurmd";

/// The client programs the harness uses or builds commands for, found on
/// `PATH` (Debian's `slurm-client`).
const CLIENTS: [&str; 7] = [
    "srun", "salloc", "sbatch", "squeue", "scancel", "sinfo", "scontrol",
];

/// How many pairs of free ports to try when another process takes one.
const PORT_ATTEMPTS: usize = 3;

/// How long [`Drop`] waits for the cluster's processes to die once killed.
const KILL_LIMIT: Duration = Duration::from_secs(5);

/// The lines of each daemon's log an error shows.
const LOG_LINES: usize = 15;

/// A running single-node Slurm cluster, private to one test.
///
/// See the [module documentation](self) for what it sets up.
///
/// # Drop
///
/// Dropping it stops `slurmd`, `slurmctld` and `munged` (`SIGTERM`,
/// `SIGKILL` after 5 s) and reaps them, kills every process left whose
/// environment names its `slurm.conf` (step daemons, tasks, client
/// commands still running), removes its directory, and lets the next
/// cluster of this process start. Jobs and steps still running are not
/// cancelled first: they die with their processes.
#[derive(Debug)]
pub struct Slurm {
    /// `munged`, `slurmctld`, `slurmd`, in the order they started.
    daemons: Vec<Daemon>,
    node: String,
    cpus: u32,
    controller_port: u16,
    node_port: u16,
    /// Removed (with everything in it) after the daemons are stopped.
    dir: TempDir,
    /// Released last: the next cluster of this process may start.
    _turn: turn::Turn,
}

impl Slurm {
    /// Starts a cluster, as [`Slurm::try_start`] does.
    ///
    /// # Panics
    ///
    /// If it cannot start, with the message of [`Slurm::try_start`]'s
    /// error (which includes the end of each daemon's log).
    pub fn start() -> Slurm {
        Slurm::try_start().unwrap_or_else(|e| panic!("cannot start the test Slurm cluster: {e}"))
    }

    /// Starts a cluster (see the [module documentation](self)), once no
    /// other cluster of this process runs.
    ///
    /// # Errors
    ///
    /// If the tests do not run as root, if Slurm or munge is not
    /// installed (the message names the packages), or if a daemon exits
    /// or the cluster does not work within 30 s (the message includes the
    /// end of each daemon's log).
    pub fn try_start() -> io::Result<Slurm> {
        setup::require_root()?;
        for program in [MUNGED, SLURMCTLD, SLURMD].iter().chain(&CLIENTS) {
            setup::require_program(program)?;
        }
        stale::clean_up();
        let node = setup::short_hostname()?;
        let hardware = setup::node_hardware(SLURMD)?;
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            let mut slurm = Slurm::unstarted(&node, &hardware)?;
            match slurm.launch(&hardware) {
                Ok(()) => return Ok(slurm),
                Err(e) if slurm.logs().contains("Address already in use") => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("no free ports")))
    }

    /// The node's name: this host's short name (`hostname -s`).
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The node's CPUs (from `slurmd -C`): how many steps of `-n1` can
    /// run at once.
    pub fn cpus(&self) -> u32 {
        self.cpus
    }

    /// The ports `slurmctld` and `slurmd` listen on.
    pub fn ports(&self) -> (u16, u16) {
        (self.controller_port, self.node_port)
    }

    /// The cluster's private directory (key, configuration, state, spool,
    /// logs), removed on drop.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The cluster's `slurm.conf`, which the commands get as `SLURM_CONF`.
    pub fn conf(&self) -> PathBuf {
        self.dir.path().join("slurm.conf")
    }

    /// The private munge socket (`AuthInfo=socket=` in the
    /// configuration).
    pub fn munge_socket(&self) -> PathBuf {
        self.dir.path().join("munge").join("socket")
    }

    /// The process ids of `munged`, `slurmctld` and `slurmd` (children of
    /// the test process), in that order.
    pub fn pids(&self) -> Vec<u32> {
        self.daemons.iter().map(|d| d.child.id()).collect()
    }

    /// Every running process whose environment names this cluster's
    /// `slurm.conf`: the daemons, the `slurmstepd`s, the tasks of the
    /// steps, and the client commands still running. Sorted pids.
    pub fn processes(&self) -> Vec<i32> {
        daemons::processes_of(&self.conf())
    }

    /// `program` (a Slurm client: `srun`, `scontrol`, ...) with
    /// `SLURM_CONF` set to this cluster's configuration, without the
    /// Slurm variables of the tests' environment, and with standard input
    /// from `/dev/null` unless the caller sets it.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new(program);
        for (name, _) in std::env::vars_os() {
            if is_slurm_variable(&name) {
                command.env_remove(name);
            }
        }
        command.env("SLURM_CONF", self.conf()).stdin(Stdio::null());
        command
    }

    /// `srun`, as [`Slurm::command`] makes it.
    pub fn srun(&self) -> Command {
        self.command("srun")
    }

    /// `salloc`, as [`Slurm::command`] makes it.
    pub fn salloc(&self) -> Command {
        self.command("salloc")
    }

    /// `sbatch`, as [`Slurm::command`] makes it.
    pub fn sbatch(&self) -> Command {
        self.command("sbatch")
    }

    /// `squeue`, as [`Slurm::command`] makes it.
    pub fn squeue(&self) -> Command {
        self.command("squeue")
    }

    /// `scancel`, as [`Slurm::command`] makes it.
    pub fn scancel(&self) -> Command {
        self.command("scancel")
    }

    /// The ids of the jobs pending or running (`squeue -h -o %i`).
    ///
    /// # Panics
    ///
    /// If `squeue` fails or takes more than 10 s.
    pub fn jobs(&self) -> Vec<String> {
        self.queue(&["-h", "-o", "%i"])
    }

    /// The ids (`JOB.STEP`) of the steps running (`squeue --steps -h -o
    /// %i`).
    ///
    /// # Panics
    ///
    /// If `squeue` fails or takes more than 10 s.
    pub fn steps(&self) -> Vec<String> {
        self.queue(&["--steps", "-h", "-o", "%i"])
    }

    fn queue(&self, args: &[&str]) -> Vec<String> {
        let mut squeue = self.squeue();
        squeue.args(args);
        let done = run_within(squeue, Duration::from_secs(10)).expect("run squeue");
        assert!(
            done.status.is_some_and(|s| s.success()),
            "squeue {args:?}: {:?}, stderr {:?}",
            done.status,
            done.stderr
        );
        done.stdout.lines().map(str::to_owned).collect()
    }

    /// The last `lines` lines of one daemon's log (`"munged"`,
    /// `"slurmctld"` or `"slurmd"`), under a heading; empty for another
    /// name.
    pub fn log_tail(&self, daemon: &str, lines: usize) -> String {
        self.daemons
            .iter()
            .find(|d| d.name == daemon)
            .map(|d| d.log_tail(lines))
            .unwrap_or_default()
    }

    /// The last lines of every daemon's log, one after the other, for
    /// failure messages.
    pub fn logs(&self) -> String {
        let tails: Vec<String> = self.daemons.iter().map(|d| d.log_tail(LOG_LINES)).collect();
        tails.join("\n")
    }

    /// Stops the daemons, then kills what is left of the cluster (see the
    /// [module documentation](self)).
    fn stop(&mut self) {
        if self.daemons.is_empty() {
            return;
        }
        for daemon in self.daemons.iter_mut().rev() {
            daemon.stop();
        }
        let conf = self.conf();
        // Checked by the tests; a panic here could abort an unwinding test.
        let _all_gone = crate::eventually(KILL_LIMIT, || {
            let left = daemons::processes_of(&conf);
            left.iter().for_each(|&pid| crate::kill_pid(pid));
            left.is_empty()
        });
    }
}

impl Drop for Slurm {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether `name` is one of the variables that Slurm's commands read as
/// input (`SLURM_*`, `SALLOC_*`, `SBATCH_*`, `SRUN_*`, `SQUEUE_*`,
/// `SINFO_*`, `SCANCEL_*`) or that srun sets inside an allocation.
fn is_slurm_variable(name: &OsStr) -> bool {
    const PREFIXES: [&str; 7] = [
        "SLURM_", "SALLOC_", "SBATCH_", "SRUN_", "SQUEUE_", "SINFO_", "SCANCEL_",
    ];
    let name = name.as_encoded_bytes();
    PREFIXES.iter().any(|p| name.starts_with(p.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slurm_variables_are_recognised() {
        assert!(is_slurm_variable(OsStr::new("SLURM_JOB_ID")));
        assert!(is_slurm_variable(OsStr::new("SBATCH_PARTITION")));
        assert!(!is_slurm_variable(OsStr::new("SLURMX")));
        assert!(!is_slurm_variable(OsStr::new("PATH")));
    }

    #[test]
    fn a_missing_program_names_the_packages() {
        let error = setup::require_program("/nonexistent/slurmd").unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("/nonexistent/slurmd not found"),
            "{message}"
        );
        assert!(
            message.contains("apt-get install slurmctld slurmd slurm-client munge"),
            "{message}"
        );
    }
}
