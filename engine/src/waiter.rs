//! Where a child's report waits for the thread that waits for it.

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Instant;

use crate::{ChildId, Error, Report, Result};

/// Where one child's report is left for its [`ChildHandle`](crate::ChildHandle).
pub(crate) struct Waiter {
    child: ChildId,
    slot: Mutex<Slot>,
    ready: Condvar,
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

impl Waiter {
    pub(crate) fn new(child: ChildId) -> Waiter {
        Waiter {
            child,
            slot: Mutex::new(Slot::Pending),
            ready: Condvar::new(),
        }
    }

    pub(crate) fn child(&self) -> ChildId {
        self.child
    }

    /// Leaves the outcome (the first one only) and wakes the waiting thread.
    pub(crate) fn set(&self, outcome: Result<Report>) {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        if matches!(*slot, Slot::Pending) {
            *slot = Slot::Ready(Box::new(outcome));
            self.ready.notify_all();
        }
    }

    /// Takes the outcome, waiting until `deadline` (`None`: for ever).
    pub(crate) fn take(&self, deadline: Option<Instant>) -> Option<Result<Report>> {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            match std::mem::replace(&mut *slot, Slot::Taken) {
                Slot::Ready(outcome) => return Some(*outcome),
                Slot::Taken => return Some(Err(Error::ReportTaken { child: self.child })),
                Slot::Pending => *slot = Slot::Pending,
            }
            slot = match deadline {
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
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn an_outcome_is_taken_once_then_reported_taken() {
        let waiter = Waiter::new(ChildId(7));
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
    fn a_waiting_thread_is_woken_by_the_outcome() {
        let waiter = Arc::new(Waiter::new(ChildId(1)));
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
