//! The budget for enlarged pipes
//! ([`Options::pipe_budget`](crate::Options::pipe_budget)).

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::sys;

/// How many bytes the reactor may add to its pipes by enlarging them,
/// shared by every pipe (and by pipes dropped on other threads).
#[derive(Debug)]
pub(crate) struct PipeBudget {
    used: AtomicUsize,
    limit: usize,
}

impl PipeBudget {
    /// A budget of `limit` bytes; `None`: the platform's default
    /// ([`sys::pipe_budget`]).
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

    /// Bytes taken now.
    #[cfg(test)]
    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::PipeBudget;

    #[test]
    fn the_budget_is_never_overspent_and_is_given_back() {
        let budget = PipeBudget::new(Some(3 << 20));
        assert!(budget.take(1 << 20));
        assert!(budget.take(2 << 20));
        assert!(!budget.take(1));
        budget.give_back(1 << 20);
        assert!(budget.take(1 << 20));
        assert!(!budget.take(1 << 20));
    }

    #[test]
    fn settling_charges_what_the_kernel_gave() {
        let budget = PipeBudget::new(Some(4 << 20));
        assert!(budget.take(1 << 20));
        // Asked for 1 MiB, given 2 MiB: charged 2 MiB even past a take.
        budget.settle(1 << 20, 2 << 20);
        assert_eq!(budget.used(), 2 << 20);
        // Shrunk to 256 KiB: the rest comes back.
        budget.settle(2 << 20, 256 << 10);
        assert_eq!(budget.used(), 256 << 10);
        budget.give_back(0);
        assert_eq!(budget.used(), 256 << 10);
    }

    #[test]
    fn a_huge_take_does_not_overflow() {
        let budget = PipeBudget::new(Some(usize::MAX));
        assert!(budget.take(usize::MAX - 1));
        assert!(!budget.take(2));
    }
}
