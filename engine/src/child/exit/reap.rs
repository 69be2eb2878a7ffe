//! Reaping a child: whether it has exited (the exit watch fired, or its
//! status is polled), and what changes once it has; killing and reaping it
//! at a teardown.

use std::process::ExitStatus;
use std::time::Instant;

use super::Exit;
use crate::child::running::{Next, Running};
use crate::{Error, StreamEnd};

impl Running {
    /// Checks, without blocking, whether it has exited (where it has no
    /// exit watch, or the watch fired).
    pub(crate) fn check_exit(&mut self, now: Instant) -> Next {
        let before = self.linger_deadline();
        self.reap(now);
        self.next(before)
    }

    /// Reaps it if it has exited.
    pub(in crate::child) fn reap(&mut self, now: Instant) {
        if self.has_exited() {
            return;
        }
        match self.process.try_wait() {
            Ok(Some(status)) => self.exited(status, now),
            Ok(None) => {}
            Err(err) => {
                self.error.get_or_insert(Error::Wait {
                    child: self.id,
                    program: self.program.clone(),
                    source: err,
                });
                self.exited(ExitStatus::default(), now);
            }
        }
    }

    /// Kills it, waits for it, and ends its streams as killed, telling
    /// their sinks ([`OutputStream::kill`]).
    pub(crate) fn kill_and_reap(&mut self) {
        self.kill();
        if !self.has_exited() {
            match self.process.wait() {
                Ok(status) => {
                    self.exit = Exit::Exited {
                        status,
                        at: Instant::now(),
                        linger_until: None,
                    }
                }
                Err(err) => log::debug!("child {} ({}): wait failed: {err}", self.id, self.program),
            }
        }
        if let Some(stdin) = self.stdin.as_mut() {
            stdin.end(StreamEnd::Killed);
        }
        for stream in self.outputs.iter_mut().flatten() {
            stream.kill();
        }
    }

    /// It exited: reaped with `status`, seen `now`.
    fn exited(&mut self, status: ExitStatus, now: Instant) {
        log::debug!("child {} ({}) exited: {status}", self.id, self.program);
        // A source with nothing to give will never be read by a child that
        // is gone.
        if let Some(stdin) = self.stdin.as_mut().filter(|stdin| stdin.is_waiting()) {
            stdin.end(StreamEnd::ChildClosed);
        }
        let linger_until = (!self.streams_done()).then(|| now + self.linger);
        // The exit watch goes with the `Pending` state: a pidfd stays
        // readable.
        self.exit = Exit::Exited {
            status,
            at: now,
            linger_until,
        };
    }
}
