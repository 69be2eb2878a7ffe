//! The jobs handed to the reactor and not yet reported, and stopping
//! them.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io;
use std::time::SystemTime;

use procpump::{ChildId, Reactor, Signal};

use super::schedule::Task;

/// A job handed to the reactor, not yet reported.
#[derive(Debug)]
pub(super) struct Started {
    pub(super) task: Task,
    /// Its command line, after substitution.
    pub(super) command: OsString,
    /// Its job slot, from 0.
    pub(super) slot: usize,
    /// The index of its host in the schedule.
    pub(super) host: usize,
    pub(super) start: SystemTime,
    /// The signal fanout sent it to stop it (`SIGTERM`, then `SIGKILL`).
    pub(super) stop_sent: Option<Signal>,
}

/// The running jobs, by child.
#[derive(Debug, Default)]
pub(super) struct Running {
    jobs: HashMap<ChildId, Started>,
}

impl Running {
    pub(super) fn insert(&mut self, id: ChildId, started: Started) {
        self.jobs.insert(id, started);
    }

    /// The job of a reported child, no longer running.
    pub(super) fn remove(&mut self, id: ChildId) -> Option<Started> {
        self.jobs.remove(&id)
    }

    pub(super) fn len(&self) -> usize {
        self.jobs.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// Whether a job did not get `SIGKILL` yet.
    pub(super) fn any_unkilled(&self) -> bool {
        self.jobs
            .values()
            .any(|started| started.stop_sent != Some(Signal::KILL))
    }

    /// Sends `signal` to the process group of each job that did not get
    /// it (nor `SIGKILL`) yet.
    pub(super) fn signal_all(&mut self, reactor: &mut Reactor, signal: Signal) {
        for (&id, started) in &mut self.jobs {
            if started.stop_sent == Some(signal) || started.stop_sent == Some(Signal::KILL) {
                continue;
            }
            match reactor.signal(id, signal) {
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                _ => started.stop_sent = Some(signal),
            }
        }
    }
}
