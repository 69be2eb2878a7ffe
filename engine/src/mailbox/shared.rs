//! What the reactor shares with other threads: its poller, the mailbox of
//! requests they leave for it, the channel watcher, the budget for
//! enlarged pipes, and child ids.

use std::fmt;
use std::io;
use std::process::Child;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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
    /// Children queued (or being started) and running, as of the reactor's
    /// last turn.
    queued: AtomicUsize,
    running: AtomicUsize,
}

impl Shared {
    pub(crate) fn new(poller: Poller, pipe_budget: PipeBudget) -> Shared {
        Shared {
            poller,
            pipe_budget,
            watcher: Watcher::default(),
            requests: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(0),
            queued: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
        }
    }

    /// The reactor says how many children are queued and running.
    pub(crate) fn publish(&self, queued: usize, running: usize) {
        self.queued.store(queued, Ordering::Relaxed);
        self.running.store(running, Ordering::Relaxed);
    }

    /// Children queued and running, as last published.
    pub(crate) fn counts(&self) -> (usize, usize) {
        (
            self.queued.load(Ordering::Relaxed),
            self.running.load(Ordering::Relaxed),
        )
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

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}
