//! Linux: the poller is an epoll instance used directly, level-triggered,
//! with an eventfd to wake it.
//!
//! Why not `polling`'s: its `wait` re-arms a timerfd and its notifier on
//! every call (`timerfd_settime`, two `epoll_ctl`s and a `read` of the
//! eventfd around each `epoll_wait`), and its oneshot mode costs one more
//! `epoll_ctl` per chunk to re-arm the pipe. Here a chunk costs the
//! `epoll_wait` that reports it and the `read` that takes it: two system
//! calls where there were seven (`strace -c`, docs/BENCHMARKS.md). The
//! timeout goes to `epoll_wait` itself (rounded up to a millisecond, or
//! exact where the kernel has `epoll_pwait2`).

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rustix::event::epoll::{self, EventData, EventFlags};
use rustix::event::{eventfd, EventfdFlags, Timespec};

use super::Interest;

/// The key of the eventfd that wakes the poller; no registration uses it.
const NOTIFY: u64 = u64::MAX;

/// Ready events at most per wait (more wait for the next one).
const CAPACITY: usize = 256;

/// An epoll instance, and the eventfd that wakes it.
#[derive(Debug)]
pub(crate) struct Poller {
    epoll: OwnedFd,
    notifier: OwnedFd,
    /// A wake-up was written to the eventfd and not yet read: further ones
    /// need no system call.
    notified: AtomicBool,
}

/// The keys of one wait's ready registrations.
#[derive(Debug, Default)]
pub(crate) struct Events {
    keys: Vec<u64>,
}

impl Events {
    /// Room for one wait's events.
    pub(crate) fn new() -> Events {
        Events {
            keys: Vec::with_capacity(CAPACITY),
        }
    }

    /// The keys that were ready.
    pub(crate) fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.keys.iter().copied()
    }
}

fn flags(interest: Interest) -> EventFlags {
    match interest {
        Interest::Read => EventFlags::IN,
        Interest::Write => EventFlags::OUT,
        // Errors and hang-ups are reported even without interest, and in
        // level mode they would be reported at every wait: oneshot lets
        // one through, then the descriptor is silent until re-armed.
        Interest::None => EventFlags::ONESHOT,
    }
}

impl Poller {
    pub(crate) fn new() -> io::Result<Poller> {
        let epoll = epoll::create(epoll::CreateFlags::CLOEXEC)?;
        let notifier = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        epoll::add(
            &epoll,
            &notifier,
            EventData::new_u64(NOTIFY),
            EventFlags::IN,
        )?;
        Ok(Poller {
            epoll,
            notifier,
            notified: AtomicBool::new(false),
        })
    }

    /// Registers `fd` under `key`, level-triggered, with `interest`.
    ///
    /// # Safety
    ///
    /// `fd` must be [`delete`](Self::delete)d before it is closed (the
    /// same contract as the other platforms' poller; epoll itself would
    /// only keep a stale registration).
    pub(crate) unsafe fn add(
        &self,
        fd: BorrowedFd<'_>,
        key: u64,
        interest: Interest,
    ) -> io::Result<()> {
        Ok(epoll::add(
            &self.epoll,
            fd,
            EventData::new_u64(key),
            flags(interest),
        )?)
    }

    /// Changes what `fd` is watched for.
    pub(crate) fn modify(
        &self,
        fd: BorrowedFd<'_>,
        key: u64,
        interest: Interest,
    ) -> io::Result<()> {
        Ok(epoll::modify(
            &self.epoll,
            fd,
            EventData::new_u64(key),
            flags(interest),
        )?)
    }

    /// Removes `fd`.
    pub(crate) fn delete(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        Ok(epoll::delete(&self.epoll, fd)?)
    }

    /// Waits until a registration is ready, [`notify`](Self::notify) is
    /// called, or `timeout` passes (`None`: no limit).
    pub(crate) fn wait(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        events.keys.clear();
        let timeout = timeout.map(|timeout| Timespec {
            tv_sec: timeout.as_secs().try_into().unwrap_or(i64::MAX),
            tv_nsec: timeout.subsec_nanos().into(),
        });
        // On the stack: epoll's events hold a union with a pointer, which
        // is not `Send`, and the reactor moves between threads.
        let mut ready = [MaybeUninit::<epoll::Event>::uninit(); CAPACITY];
        let (ready, _) = epoll::wait(&self.epoll, &mut ready, timeout.as_ref())?;
        let mut notified = false;
        for event in ready.iter() {
            match event.data.u64() {
                NOTIFY => notified = true,
                key => events.keys.push(key),
            }
        }
        if notified {
            // Empty the counter first, then lower the flag: a `notify`
            // in between finds the flag up and skips its write, and its
            // request (queued before it) is seen by this very turn. The
            // swap acquires what that `notify` released.
            let mut count = [0; 8];
            let _ = rustix::io::read(&self.notifier, &mut count);
            self.notified.swap(false, Ordering::AcqRel);
        }
        Ok(())
    }

    /// Makes the current or next [`wait`](Self::wait) return, from any
    /// thread.
    pub(crate) fn notify(&self) -> io::Result<()> {
        if self.notified.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        match rustix::io::write(&self.notifier, &1u64.to_ne_bytes()) {
            Ok(_) => Ok(()),
            // The counter is full: a wake-up is pending anyway.
            Err(rustix::io::Errno::AGAIN) => Ok(()),
            Err(err) => {
                self.notified.store(false, Ordering::Release);
                Err(err.into())
            }
        }
    }
}

impl AsFd for Poller {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.epoll.as_fd()
    }
}
