//! How big a busy pipe should be, and following its child from CPU to
//! CPU: the decision, apart from the system calls that carry it out, so
//! that it can be tested without a process.

use std::io;

use crate::mailbox::PipeBudget;
use crate::sys;

/// How many times a busy pipe is let pass, after its size was chosen,
/// before the child's placement is looked at again (two reads of `/proc`,
/// about 6 µs here: with 64 KiB or more a time, well under 1% of the
/// reactor's time).
const RECHECK_AFTER: u32 = 64;

/// How many busy pipes in a row may retry a shrink that the kernel
/// refused because the pipe held more than the new size (an output pipe
/// read dry takes at most `pipe / read` of them; a full stdin pipe may
/// never shrink).
const SHRINK_RETRIES: u32 = 8;

/// The capacities to give a pipe found busy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PipeSizes {
    /// While the child runs on the reactor's CPU.
    pub(crate) near: usize,
    /// While it runs on another.
    pub(crate) far: usize,
}

/// What a pipe's size is and what the reactor does about it.
#[derive(Debug)]
pub(super) struct PipeSize {
    /// The capacity the kernel gave the pipe: it is never made smaller.
    base: usize,
    /// Bytes this pipe holds over `base`, charged to the reactor's budget.
    enlarged: usize,
    /// Busy pipes to let pass before looking at the placement again.
    deferred: u32,
    /// Shrinks refused in a row because the pipe held too much.
    refusals: u32,
}

impl PipeSize {
    /// A pipe the kernel made `base` bytes large.
    pub(crate) fn new(base: usize) -> PipeSize {
        PipeSize {
            base,
            enlarged: 0,
            deferred: 0,
            refusals: 0,
        }
    }

    /// The pipe's capacity now.
    pub(crate) fn capacity(&self) -> usize {
        self.base + self.enlarged
    }

    /// Called when the pipe was found busy (full, or holding more than one
    /// read): sizes it for where the child runs, `sizes.near` while it last
    /// ran on the reactor's CPU (`near_now` says) and `sizes.far` while on
    /// another, never below the kernel's own size. The placement is looked
    /// at the first time and then every [`RECHECK_AFTER`] more, so a pipe
    /// follows its child when the scheduler moves it. `resize` asks the
    /// kernel and returns the capacity it gave.
    ///
    /// Why two sizes, measured on 2 GiB through one pipe
    /// (docs/BENCHMARKS.md): on different CPUs every wake-up crosses CPUs,
    /// and a 1 MiB pipe runs 2.7 times as fast as a 256 KiB one; on one
    /// CPU there are no such wake-ups, data that stays in cache wins, and
    /// a pipe the size of one read (256 KiB) moves about 20% more than the
    /// default 64 KiB and 40% more than 1 MiB.
    ///
    /// Growing takes from `budget`; a refusal (the budget, the kernel's
    /// per-user limit, a shrink below what the pipe holds, no such
    /// control) is not an error: the pipe keeps its size.
    pub(crate) fn busy(
        &mut self,
        sizes: PipeSizes,
        budget: &PipeBudget,
        near_now: impl FnOnce() -> bool,
        resize: impl FnOnce(usize) -> io::Result<usize>,
    ) {
        if self.deferred > 0 {
            self.deferred -= 1;
            return;
        }
        self.deferred = RECHECK_AFTER;
        let wanted = if near_now() { sizes.near } else { sizes.far }.max(self.base);
        let capacity = self.capacity();
        if wanted == capacity {
            return;
        }
        let extra = wanted.saturating_sub(capacity);
        if !budget.take(extra) {
            log::debug!("pipe kept at {capacity} bytes: the budget for enlarged pipes is spent");
            return;
        }
        match resize(wanted) {
            Ok(size) => {
                log::trace!("pipe resized from {capacity} to {size} bytes");
                // The kernel rounds up to a power of two pages: charge what
                // it gave, not what was asked.
                let enlarged = size.saturating_sub(self.base);
                budget.settle(self.enlarged + extra, enlarged);
                self.enlarged = enlarged;
                self.refusals = 0;
            }
            Err(err) => {
                budget.give_back(extra);
                if err.raw_os_error() == Some(sys::EBUSY) && self.refusals < SHRINK_RETRIES {
                    // It holds more than `wanted` for now: try again at the
                    // next busy pipe, when a read may have emptied it.
                    self.refusals += 1;
                    self.deferred = 0;
                } else {
                    self.refusals = 0;
                }
                log::debug!("pipe kept at {capacity} bytes: resizing to {wanted} refused: {err}");
            }
        }
    }

    /// Gives the bytes this pipe was enlarged by back to `budget` (when
    /// the pipe closes).
    pub(crate) fn release(&mut self, budget: &PipeBudget) {
        budget.give_back(std::mem::take(&mut self.enlarged));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIB: usize = 1024;
    const SIZES: PipeSizes = PipeSizes {
        near: 256 * KIB,
        far: 1024 * KIB,
    };

    /// A kernel that gives what is asked, rounded up to a power of two.
    fn kernel(size: usize) -> io::Result<usize> {
        Ok(size.next_power_of_two())
    }

    fn refused(errno: i32) -> impl FnOnce(usize) -> io::Result<usize> {
        move |_| Err(io::Error::from_raw_os_error(errno))
    }

    #[test]
    fn a_busy_pipe_grows_for_a_child_on_another_cpu_and_is_charged() {
        let budget = PipeBudget::new(Some(usize::MAX));
        let mut pipe = PipeSize::new(64 * KIB);
        pipe.busy(SIZES, &budget, || false, kernel);
        assert_eq!(pipe.capacity(), 1024 * KIB);
        assert_eq!(budget.used(), 960 * KIB);
        pipe.release(&budget);
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn a_child_on_the_reactors_cpu_gets_one_read() {
        let budget = PipeBudget::new(Some(usize::MAX));
        let mut pipe = PipeSize::new(64 * KIB);
        pipe.busy(SIZES, &budget, || true, kernel);
        assert_eq!(pipe.capacity(), 256 * KIB);
    }

    #[test]
    fn placement_is_looked_at_again_only_every_so_many_busy_pipes() {
        let budget = PipeBudget::new(Some(usize::MAX));
        let mut pipe = PipeSize::new(64 * KIB);
        pipe.busy(SIZES, &budget, || false, kernel);
        for _ in 0..RECHECK_AFTER {
            pipe.busy(SIZES, &budget, || panic!("looked too soon"), kernel);
        }
        // The child moved to the reactor's CPU: the pipe follows, shrinking,
        // and the bytes go back to the budget.
        pipe.busy(SIZES, &budget, || true, kernel);
        assert_eq!(pipe.capacity(), 256 * KIB);
        assert_eq!(budget.used(), 192 * KIB);
    }

    #[test]
    fn never_below_the_kernels_own_size() {
        let budget = PipeBudget::new(Some(usize::MAX));
        let mut pipe = PipeSize::new(512 * KIB);
        pipe.busy(SIZES, &budget, || true, |_| panic!("no resize needed"));
        assert_eq!(pipe.capacity(), 512 * KIB);
    }

    #[test]
    fn a_spent_budget_keeps_the_pipe_as_it_is() {
        let budget = PipeBudget::new(Some(100 * KIB));
        let mut pipe = PipeSize::new(64 * KIB);
        pipe.busy(SIZES, &budget, || false, |_| panic!("over budget"));
        assert_eq!(pipe.capacity(), 64 * KIB);
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn a_refusal_gives_the_budget_back() {
        let budget = PipeBudget::new(Some(usize::MAX));
        let mut pipe = PipeSize::new(64 * KIB);
        pipe.busy(SIZES, &budget, || false, refused(sys::EPERM));
        assert_eq!(pipe.capacity(), 64 * KIB);
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn a_refused_shrink_is_retried_at_the_next_busy_pipes_a_bounded_number_of_times() {
        let budget = PipeBudget::new(Some(usize::MAX));
        let mut pipe = PipeSize::new(64 * KIB);
        pipe.busy(SIZES, &budget, || false, kernel);
        for _ in 0..RECHECK_AFTER {
            pipe.busy(SIZES, &budget, || unreachable!(), kernel);
        }
        let mut tries = 0;
        for _ in 0..SHRINK_RETRIES + 1 {
            pipe.busy(
                SIZES,
                &budget,
                || true,
                |_| {
                    tries += 1;
                    Err(io::Error::from_raw_os_error(sys::EBUSY))
                },
            );
        }
        assert_eq!(tries, SHRINK_RETRIES + 1);
        // After the last retry, the next look waits for the usual recheck.
        pipe.busy(SIZES, &budget, || panic!("retried past the bound"), kernel);
        assert_eq!(pipe.capacity(), 1024 * KIB);
    }
}
