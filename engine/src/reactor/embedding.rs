//! Driving a reactor from elsewhere: a [`Waker`] for other threads, and
//! its descriptor and next deadline for an event loop of another kind.

use std::os::fd::{AsFd, BorrowedFd};
use std::time::Instant;

use super::Reactor;
use crate::Waker;

#[cfg(doc)]
use crate::Resumer;

impl Reactor {
    /// A handle that wakes this reactor from any thread ([`Waker`]).
    ///
    /// From then on, a [`turn`](Reactor::turn) with nothing to do (no child
    /// queued or running) no longer returns at once: it waits, for its
    /// timeout, until a [`Waker::wake`] (or a [`Resumer`], a [`Control`]),
    /// so that a loop feeding the reactor as work arrives neither spins
    /// nor polls. [`run`](Reactor::run) is not affected.
    ///
    /// [`Control`]: crate::Control
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> procpump::Result<()> {
    /// use procpump::{Discard, Job, Reactor};
    /// use std::process::Command;
    ///
    /// let mut reactor = Reactor::new()?;
    /// let waker = reactor.waker();
    /// let (jobs, incoming) = crossbeam_channel::unbounded();
    /// std::thread::spawn(move || {
    ///     jobs.send(Command::new("true")).unwrap();
    ///     waker.wake();
    /// });
    /// // Waits for the job to arrive, then for it to finish.
    /// let mut reports = Vec::new();
    /// while reports.is_empty() {
    ///     for command in incoming.try_iter() {
    ///         reactor.spawn(Job::new(command).stdout(Discard));
    ///     }
    ///     reports.extend(reactor.turn(None)?);
    /// }
    /// assert!(reports[0].success());
    /// # Ok(())
    /// # }
    /// ```
    pub fn waker(&mut self) -> Waker {
        self.wait_when_idle = true;
        Waker::new(&self.shared)
    }

    /// When the reactor next needs a [`turn`](Reactor::turn) even if its
    /// descriptor ([`AsFd`]) stays quiet: now when it has children to start
    /// or reports to hand out; the nearest timer (a timeout, a grace, a
    /// linger) or exit poll otherwise; `None` when only its descriptor can
    /// bring work. For a program that waits in an event loop of its own.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> procpump::Result<()> {
    /// use procpump::{Discard, Job, Reactor};
    /// use std::process::Command;
    /// use std::time::{Duration, Instant};
    ///
    /// let mut reactor = Reactor::new()?;
    /// assert_eq!(reactor.deadline(), None);
    /// let mut sleep = Command::new("sleep");
    /// sleep.arg("10");
    /// reactor.spawn(Job::new(sleep).stdout(Discard).timeout(Duration::from_secs(5)));
    /// // A child to start: a turn is due now.
    /// assert!(reactor.deadline().unwrap() <= Instant::now());
    /// while reactor.running() == 0 {
    ///     reactor.turn(Some(Duration::from_millis(10)))?;
    /// }
    /// // Then its timeout, in about five seconds.
    /// let left = reactor.deadline().unwrap() - Instant::now();
    /// assert!(left > Duration::from_secs(4) && left <= Duration::from_secs(5));
    /// // Dropping the reactor kills the child.
    /// # Ok(())
    /// # }
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        let now = Instant::now();
        let can_start = self
            .launcher
            .can_launch(self.children.len(), self.options.max_running);
        if can_start || self.delivery.has_finished() {
            return Some(now);
        }
        let polling = self
            .children
            .polling_interval()
            .map(|interval| now + interval);
        [self.timers.next_deadline(), polling]
            .into_iter()
            .flatten()
            .min()
    }
}

/// The poller's descriptor: readable when the reactor has events to serve
/// (a pipe, an exit, a request from another thread). A program with an
/// event loop of its own (mio, calloop, tokio's `AsyncFd`) watches it, and
/// calls [`turn`](Reactor::turn) with `Some(Duration::ZERO)` when it is
/// readable or [`deadline`](Reactor::deadline) has passed.
///
/// # Examples
///
/// Another loop's wait, here `poll(2)`:
///
/// ```
/// # fn main() -> procpump::Result<()> {
/// use procpump::{Discard, Job, Reactor};
/// use rustix::event::{poll, PollFd, PollFlags, Timespec};
/// use std::process::Command;
/// use std::time::{Duration, Instant};
///
/// let mut reactor = Reactor::new()?;
/// let mut sh = Command::new("sh");
/// sh.args(["-c", "sleep 0.1; echo done"]);
/// reactor.spawn(Job::new(sh).stdout(Discard));
/// let mut reports = Vec::new();
/// while !reactor.is_empty() {
///     let timeout = reactor.deadline().map(|at| {
///         let left = at.saturating_duration_since(Instant::now());
///         Timespec { tv_sec: left.as_secs() as i64, tv_nsec: left.subsec_nanos().into() }
///     });
///     let mut fds = [PollFd::new(&reactor, PollFlags::IN)];
///     poll(&mut fds, timeout.as_ref()).expect("poll");
///     reports.extend(reactor.turn(Some(Duration::ZERO))?);
/// }
/// assert_eq!(reports[0].stdout().unwrap().bytes(), 5);
/// # Ok(())
/// # }
/// ```
impl AsFd for Reactor {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.shared.poller.as_fd()
    }
}
