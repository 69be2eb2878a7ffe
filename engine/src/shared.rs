//! What the reactor shares with other threads: its poller, the requests
//! they queue for it, the budget for enlarged pipes, and child ids.

use std::fmt;
use std::io;
use std::process::Child;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use polling::Poller;

use crate::watcher::Watcher;
use crate::{sys, ChildId, Job, Signal, Stream};

/// Asks for the reactor's attention from another thread.
pub(crate) enum Request {
    /// Resume a paused stream (or a sink still flushing).
    Resume {
        child: ChildId,
        slot: usize,
        stream: Stream,
    },
    /// An events channel that was full has room: send the reports waiting.
    Outbox,
    /// Queue a child (from a [`Handle`](crate::Handle)).
    Spawn(ChildId, Box<Job>),
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

/// How many bytes the reactor may add to its pipes by enlarging them
/// ([`Options::pipe_budget`](crate::Options::pipe_budget)).
pub(crate) struct PipeBudget {
    used: AtomicUsize,
    limit: usize,
}

impl PipeBudget {
    pub(crate) fn new(limit: Option<usize>) -> PipeBudget {
        PipeBudget {
            used: AtomicUsize::new(0),
            limit: limit.unwrap_or_else(sys::pipe_budget),
        }
    }

    /// Takes `bytes` from the budget, if they are left.
    pub(crate) fn take(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(bytes).filter(|&total| total <= self.limit)
            })
            .is_ok()
    }

    /// Returns `bytes` taken before.
    pub(crate) fn give_back(&self, bytes: usize) {
        if bytes > 0 {
            self.used.fetch_sub(bytes, Ordering::Relaxed);
        }
    }

    /// Changes a charge of `held` bytes to one of `needed`, unconditionally
    /// (for bytes the kernel already gave).
    pub(crate) fn settle(&self, held: usize, needed: usize) {
        if needed > held {
            self.used.fetch_add(needed - held, Ordering::Relaxed);
        } else {
            self.give_back(held - needed);
        }
    }
}

/// What the reactor shares with resumers and handles on other threads.
pub(crate) struct Shared {
    pub(crate) poller: Poller,
    pub(crate) pipe_budget: PipeBudget,
    pub(crate) requests: Mutex<Vec<Request>>,
    pub(crate) watcher: Watcher,
    pub(crate) next_id: AtomicU64,
}

impl Shared {
    pub(crate) fn request(&self, request: Request) {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(request);
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

    pub(crate) fn take_requests(&self) -> Vec<Request> {
        std::mem::take(&mut *self.requests.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}
