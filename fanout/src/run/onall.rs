//! `--onall`, `--nonall`: every argument on every host. Each argument
//! becomes one copy per host, pinned to it, a job number each; a host runs
//! its copies one at a time, in the arguments' order, and a retry stays
//! on its host.

use std::collections::VecDeque;
use std::ffi::OsString;

use super::schedule::Task;

/// The copies made and not started yet, oldest first.
#[derive(Debug, Default)]
pub(super) struct Copies {
    waiting: VecDeque<Task>,
}

impl Copies {
    /// Whether another argument's copies may be made: while fewer than
    /// two rounds wait, so that a fast host is not held by a slow one for
    /// long and memory stays bounded.
    pub(super) fn wants_more(&self, hosts: usize) -> bool {
        self.waiting.len() < 2 * hosts
    }

    /// Makes `args`' copies, one per host, numbered after `seq`; returns
    /// the last number given.
    pub(super) fn add(&mut self, args: Vec<OsString>, hosts: usize, mut seq: u64) -> u64 {
        for host in 0..hosts {
            seq += 1;
            self.waiting.push_back(Task {
                seq,
                args: args.clone(),
                run: 1,
                failed_on: Vec::new(),
                pinned: Some(host),
                block: None,
            });
        }
        seq
    }

    /// The oldest copy whose host is `free`.
    pub(super) fn take(&mut self, free: &[bool]) -> Option<Task> {
        let at = self.waiting.iter().position(|t| is_free(t, free))?;
        self.waiting.remove(at)
    }

    /// The first retry (of `retries`) whose host is `free`.
    pub(super) fn take_retry(&self, retries: &mut VecDeque<Task>, free: &[bool]) -> Option<Task> {
        let at = retries.iter().position(|t| is_free(t, free))?;
        retries.remove(at)
    }

    /// Whether every copy was started.
    pub(super) fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}

fn is_free(task: &Task, free: &[bool]) -> bool {
    task.pinned.is_some_and(|host| free[host])
}
