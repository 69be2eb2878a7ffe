//! Where a child's report waits for the thread that waits for it.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use crate::{ChildId, Error, Report, Result};

/// Where one child's report is left for its [`ChildHandle`](crate::ChildHandle),
/// and whether it has started.
pub(crate) struct ReportSlot {
    child: ChildId,
    slot: Mutex<(Slot, Start)>,
    ready: Condvar,
}

/// Whether the child has started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Start {
    /// Not yet.
    Pending,
    /// Its process runs (or ran) as this pid.
    Started(u32),
    /// It never will (it could not start, was cancelled, or the reactor
    /// stopped first).
    Never,
}

/// Where a child's outcome is in its waiter.
enum Slot {
    /// Not reported yet.
    Pending,
    /// Reported, not yet taken.
    Ready(Box<Result<Report>>),
    /// Taken by a `wait`.
    Taken,
}

impl ReportSlot {
    pub(crate) fn new(child: ChildId) -> ReportSlot {
        ReportSlot {
            child,
            slot: Mutex::new((Slot::Pending, Start::Pending)),
            ready: Condvar::new(),
        }
    }

    pub(crate) fn child(&self) -> ChildId {
        self.child
    }

    /// Leaves the outcome (the first one only) and wakes the waiting
    /// threads. A report of a child that never started, or the reactor
    /// stopped, also settles that it never started.
    pub(crate) fn set(&self, outcome: Result<Report>) {
        let never = match &outcome {
            Ok(report) => report.pid().is_none(),
            Err(err) => matches!(err, Error::Stopped { .. }),
        };
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        if never && slot.1 == Start::Pending {
            slot.1 = Start::Never;
        }
        if matches!(slot.0, Slot::Pending) {
            slot.0 = Slot::Ready(Box::new(outcome));
        }
        self.ready.notify_all();
    }

    /// The child started as `pid`.
    pub(crate) fn started(&self, pid: u32) {
        self.settle_start(Start::Started(pid));
    }

    /// The child will never start (its report went elsewhere).
    pub(crate) fn never_started(&self) {
        self.settle_start(Start::Never);
    }

    fn settle_start(&self, start: Start) {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.1 == Start::Pending {
            slot.1 = start;
            self.ready.notify_all();
        }
    }

    /// The child's pid, once it has started.
    pub(crate) fn pid(&self) -> Option<u32> {
        match self.slot.lock().unwrap_or_else(PoisonError::into_inner).1 {
            Start::Started(pid) => Some(pid),
            Start::Pending | Start::Never => None,
        }
    }

    /// Waits until the child has started (its pid) or is known never to
    /// (`None`), or until `deadline` (`Err(())`).
    pub(crate) fn wait_started(
        &self,
        deadline: Option<Instant>,
    ) -> std::result::Result<Option<u32>, ()> {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            match slot.1 {
                Start::Started(pid) => return Ok(Some(pid)),
                Start::Never => return Ok(None),
                Start::Pending => {}
            }
            slot = self.wait(slot, deadline).ok_or(())?;
        }
    }

    /// Takes the outcome, waiting until `deadline` (`None`: for ever).
    pub(crate) fn take(&self, deadline: Option<Instant>) -> Option<Result<Report>> {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            match std::mem::replace(&mut slot.0, Slot::Taken) {
                Slot::Ready(outcome) => return Some(*outcome),
                Slot::Taken => return Some(Err(Error::ReportTaken { child: self.child })),
                Slot::Pending => slot.0 = Slot::Pending,
            }
            slot = self.wait(slot, deadline)?;
        }
    }

    /// Waits for a change, until `deadline` (`None` once it has passed).
    fn wait<'a>(
        &self,
        slot: MutexGuard<'a, (Slot, Start)>,
        deadline: Option<Instant>,
    ) -> Option<MutexGuard<'a, (Slot, Start)>> {
        Some(match deadline {
            None => self
                .ready
                .wait(slot)
                .unwrap_or_else(PoisonError::into_inner),
            Some(deadline) => {
                let left = deadline.checked_duration_since(Instant::now())?;
                self.ready
                    .wait_timeout(slot, left)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn an_outcome_is_taken_once_then_reported_taken() {
        let waiter = ReportSlot::new(ChildId(7));
        assert!(waiter.take(Some(Instant::now())).is_none());
        waiter.set(Err(Error::Stopped { child: ChildId(7) }));
        // Only the first outcome counts.
        waiter.set(Err(Error::ReportSent { child: ChildId(7) }));
        assert!(matches!(
            waiter.take(None),
            Some(Err(Error::Stopped { .. }))
        ));
        assert!(matches!(
            waiter.take(None),
            Some(Err(Error::ReportTaken { .. }))
        ));
    }

    #[test]
    fn the_start_is_settled_once() {
        let waiter = ReportSlot::new(ChildId(2));
        assert_eq!(waiter.pid(), None);
        assert_eq!(waiter.wait_started(Some(Instant::now())), Err(()));
        waiter.started(42);
        waiter.never_started();
        assert_eq!(waiter.pid(), Some(42));
        assert_eq!(waiter.wait_started(None), Ok(Some(42)));

        let stopped = ReportSlot::new(ChildId(3));
        stopped.set(Err(Error::Stopped { child: ChildId(3) }));
        assert_eq!(stopped.wait_started(None), Ok(None));
        let sent = ReportSlot::new(ChildId(4));
        sent.set(Err(Error::ReportSent { child: ChildId(4) }));
        assert_eq!(sent.wait_started(Some(Instant::now())), Err(()));
    }

    #[test]
    fn a_waiting_thread_is_woken_by_the_outcome() {
        let waiter = Arc::new(ReportSlot::new(ChildId(1)));
        let setter = Arc::clone(&waiter);
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            setter.set(Err(Error::Stopped { child: ChildId(1) }));
        });
        assert!(matches!(
            waiter.take(None),
            Some(Err(Error::Stopped { .. }))
        ));
        thread.join().unwrap();
    }
}
