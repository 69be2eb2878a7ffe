//! What the reactor shares with other threads: its poller, the mailbox of
//! requests they leave for it, the channel watcher, the budget for
//! enlarged pipes, and child ids.

use std::fmt;
use std::io;
use std::process::Child;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::mailbox::budget::PipeBudget;
use crate::mailbox::watcher::Watcher;
use crate::sys::Poller;
use crate::{ChildId, Signal, Stream};

/// Asks for the reactor's attention from another thread.
#[derive(Debug)]
pub(crate) enum Request {
    /// Resume a paused stream (or a sink still flushing).
    Resume {
        child: ChildId,
        slot: usize,
        stream: Stream,
    },
    /// An events channel that was full has room: send the reports waiting.
    Outbox,
    /// A job was left in the reactor's inbox (by a
    /// [`Handle`](crate::Handle)): take it. The request keeps its place
    /// among the others, so a kill sent after it finds the child queued.
    Submitted,
    /// The spawner thread spawned a child (or failed to).
    Spawned(ChildId, io::Result<Child>),
    /// Kill a child (from a [`ChildHandle`](crate::ChildHandle) or a
    /// [`Control`](crate::Control)), or drop it if not started.
    Kill(ChildId),
    /// Signal a running child (from a [`ChildHandle`](crate::ChildHandle)
    /// or a [`Control`](crate::Control)).
    Signal(ChildId, Signal),
    /// Stop: kill what runs (`true`) or let it finish (`false`).
    Stop { kill: bool },
}

/// Whether the reactor was asked to stop (by a [`Request::Stop`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stopping {
    /// Not asked.
    No,
    /// Once every child is done.
    WhenDone,
    /// Now: what runs was killed.
    Now,
}

/// What the reactor shares with resumers, controls and handles on other
/// threads.
pub(crate) struct Shared {
    pub(crate) poller: Poller,
    pub(crate) pipe_budget: PipeBudget,
    pub(crate) watcher: Watcher,
    requests: Mutex<Vec<Request>>,
    next_id: AtomicU64,
    /// Children queued (or being started) and running, updated at each
    /// transition, before the waiter or the caller hears of it.
    counts: Counts,
}

impl Shared {
    pub(crate) fn new(poller: Poller, pipe_budget: PipeBudget) -> Shared {
        Shared {
            poller,
            pipe_budget,
            watcher: Watcher::default(),
            requests: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(0),
            counts: Counts::default(),
        }
    }

    /// Children queued (or being started) and running.
    pub(crate) fn counts(&self) -> &Counts {
        &self.counts
    }

    /// Leaves `request` for the reactor and wakes it.
    pub(crate) fn request(&self, request: Request) {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(request);
        self.wake();
    }

    /// Makes the reactor's current or next wait return.
    pub(crate) fn wake(&self) {
        if let Err(err) = self.poller.notify() {
            log::debug!("waking the reactor failed: {err}");
        }
    }

    pub(crate) fn next_id(&self) -> ChildId {
        ChildId(self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    /// Takes the outcomes of the spawner thread, leaving other requests.
    pub(crate) fn take_spawned(&self) -> Vec<(ChildId, io::Result<Child>)> {
        let mut requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        let mut spawned = Vec::new();
        requests.retain_mut(|request| match request {
            Request::Spawned(id, outcome) => {
                let outcome = std::mem::replace(outcome, Err(io::ErrorKind::Other.into()));
                spawned.push((*id, outcome));
                false
            }
            _ => true,
        });
        spawned
    }

    /// Takes every request left so far, in order.
    pub(crate) fn take_requests(&self) -> Vec<Request> {
        std::mem::take(&mut *self.requests.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// How many children are queued and how many run, both in one word so
/// that a child moving from one to the other is never counted twice or
/// missed. Each transition is counted before anyone is told of it: a job
/// is counted queued before it is handed to the reactor, running before
/// its waiter learns its pid, and no longer before its report goes out.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    /// Queued in the high half, running in the low half.
    word: AtomicU64,
}

impl Counts {
    const QUEUED: u64 = 1 << 32;
    const RUNNING: u64 = 1;

    /// A job was queued (or is about to be handed over).
    pub(crate) fn queued(&self) {
        self.update(|word| word + Counts::QUEUED);
    }

    /// A queued job will never run (refused, cancelled, failed to start).
    pub(crate) fn dropped(&self) {
        self.update(|word| {
            if word >= Counts::QUEUED {
                word - Counts::QUEUED
            } else {
                word
            }
        });
    }

    /// A queued job started running.
    pub(crate) fn started(&self) {
        self.update(|word| {
            if word >= Counts::QUEUED {
                word - Counts::QUEUED + Counts::RUNNING
            } else {
                word + Counts::RUNNING
            }
        });
    }

    /// A running child is done (about to be reported).
    pub(crate) fn finished(&self) {
        self.update(|word| {
            if word & 0xffff_ffff > 0 {
                word - Counts::RUNNING
            } else {
                word
            }
        });
    }

    /// Children queued and running.
    pub(crate) fn get(&self) -> (usize, usize) {
        let word = self.word.load(Ordering::Acquire);
        ((word >> 32) as usize, (word & 0xffff_ffff) as usize)
    }

    fn update(&self, change: impl Fn(u64) -> u64) {
        let _ = self
            .word
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |word| {
                Some(change(word))
            });
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}
