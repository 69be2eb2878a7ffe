//! The poller, on every platform: the `polling` crate's (epoll on Linux,
//! kqueue on macOS and the BSDs, `poll` elsewhere).
//!
//! Registrations that are watched are level-triggered ([`PollMode::Level`]):
//! a pipe that is still readable after a turn is reported again, so nothing
//! is re-armed after a chunk. A registration watched for nothing
//! ([`Interest::None`]) is oneshot instead: errors and hang-ups are reported
//! even without interest, and in level mode a paused pipe whose writer has
//! gone would be reported at every wait; oneshot lets one report through,
//! then the descriptor is silent until its interest changes (a `modify`,
//! which that change costs anyway).

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::Duration;

use polling::{Event, PollMode};

use super::Interest;

/// `polling`'s poller.
#[derive(Debug)]
pub(crate) struct Poller {
    poller: polling::Poller,
}

/// The keys of one wait's ready registrations.
#[derive(Debug)]
pub(crate) struct Events {
    events: polling::Events,
}

impl Default for Events {
    fn default() -> Events {
        Events::new()
    }
}

impl Events {
    /// Room for one wait's events: `polling`'s default, 1,024 (more wait
    /// for the next one; every one a wait returns is served).
    pub(crate) fn new() -> Events {
        Events {
            events: polling::Events::new(),
        }
    }

    /// The keys that were ready.
    pub(crate) fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.events.iter().map(|event| event.key as u64)
    }
}

/// The event and mode `polling` is given for `interest`.
fn event(key: u64, interest: Interest) -> (Event, PollMode) {
    // Keys are made by `Key::encode` from a slot and fit a `usize`.
    let key = key as usize;
    match interest {
        Interest::Read => (Event::readable(key), PollMode::Level),
        Interest::Write => (Event::writable(key), PollMode::Level),
        Interest::None => (Event::none(key), PollMode::Oneshot),
    }
}

impl Poller {
    pub(crate) fn new() -> io::Result<Poller> {
        Ok(Poller {
            poller: polling::Poller::new()?,
        })
    }

    /// Registers `fd` under `key`, watched for `interest`.
    ///
    /// # Safety
    ///
    /// `fd` must be [`delete`](Self::delete)d before it is closed
    /// (`polling`'s rule for `Poller::add`).
    pub(crate) unsafe fn add(
        &self,
        fd: BorrowedFd<'_>,
        key: u64,
        interest: Interest,
    ) -> io::Result<()> {
        let (event, mode) = event(key, interest);
        // SAFETY: the caller deletes `fd` before closing it, as above.
        unsafe { self.poller.add_with_mode(&fd, event, mode) }
    }

    /// Changes what `fd` is watched for.
    pub(crate) fn modify(
        &self,
        fd: BorrowedFd<'_>,
        key: u64,
        interest: Interest,
    ) -> io::Result<()> {
        let (event, mode) = event(key, interest);
        self.poller.modify_with_mode(fd, event, mode)
    }

    /// Removes `fd`.
    pub(crate) fn delete(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        self.poller.delete(fd)
    }

    /// Waits until a registration is ready, [`notify`](Self::notify) is
    /// called, or `timeout` passes (`None`: no limit).
    pub(crate) fn wait(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        events.events.clear();
        self.poller.wait(&mut events.events, timeout).map(drop)
    }

    /// Makes the current or next [`wait`](Self::wait) return, from any
    /// thread (coalesced: one wake-up for any number of calls before it).
    pub(crate) fn notify(&self) -> io::Result<()> {
        self.poller.notify()
    }
}

impl AsFd for Poller {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.poller.as_fd()
    }
}
