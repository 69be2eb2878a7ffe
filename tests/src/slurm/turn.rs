//! One cluster at a time in a test process: the tests of a binary run on
//! several threads, and two clusters would share the node and its CPUs.

use std::sync::{Condvar, Mutex, PoisonError};

/// Whether a cluster of this process runs.
static BUSY: Mutex<bool> = Mutex::new(false);

/// Signalled when a cluster is dropped.
static FREED: Condvar = Condvar::new();

/// The right to run a cluster, given back on drop. Unlike a `MutexGuard`
/// it is `Send`: a test may move its cluster to another thread.
#[derive(Debug)]
pub(super) struct Turn(());

impl Turn {
    /// Waits until no other cluster of this process runs, and takes the
    /// turn. A test that panicked while holding it has given it back (its
    /// cluster was dropped while unwinding).
    pub(super) fn take() -> Turn {
        let mut busy = BUSY.lock().unwrap_or_else(PoisonError::into_inner);
        while *busy {
            busy = FREED.wait(busy).unwrap_or_else(PoisonError::into_inner);
        }
        *busy = true;
        Turn(())
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        *BUSY.lock().unwrap_or_else(PoisonError::into_inner) = false;
        FREED.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_second_turn_waits_for_the_first() {
        let first = Turn::take();
        let (taken, second) = crossbeam_channel::bounded(1);
        let waiter = std::thread::spawn(move || {
            let turn = Turn::take();
            taken.send(()).unwrap();
            drop(turn);
        });
        assert!(second.recv_timeout(Duration::from_millis(100)).is_err());
        drop(first);
        second.recv_timeout(Duration::from_secs(5)).unwrap();
        waiter.join().unwrap();
    }
}
