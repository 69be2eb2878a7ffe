//! Other Unix systems: the poller is `polling`'s (kqueue, or `poll`),
//! level-triggered like the Linux one.

use std::io;
use std::os::fd::BorrowedFd;
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
    /// Room for one wait's events.
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

fn event(key: u64, interest: Interest) -> Event {
    // Keys are made by `Key::encode` from a slot and fit a `usize`.
    let key = key as usize;
    match interest {
        Interest::Read => Event::readable(key),
        Interest::Write => Event::writable(key),
        Interest::None => Event::none(key),
    }
}

impl Poller {
    pub(crate) fn new() -> io::Result<Poller> {
        Ok(Poller {
            poller: polling::Poller::new()?,
        })
    }

    /// Registers `fd` under `key`, level-triggered, with `interest`.
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
        // SAFETY: the caller deletes `fd` before closing it, as above.
        unsafe {
            self.poller
                .add_with_mode(&fd, event(key, interest), PollMode::Level)
        }
    }

    /// Changes what `fd` is watched for.
    pub(crate) fn modify(
        &self,
        fd: BorrowedFd<'_>,
        key: u64,
        interest: Interest,
    ) -> io::Result<()> {
        self.poller
            .modify_with_mode(fd, event(key, interest), PollMode::Level)
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
    /// thread.
    pub(crate) fn notify(&self) -> io::Result<()> {
        self.poller.notify()
    }
}

impl std::os::fd::AsFd for Poller {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.poller.as_fd()
    }
}
