//! The reactor's timers: lingers, timeouts and the kills after a grace,
//! in the order they fall due; where they are set, and what the reactor
//! does when each falls due.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use super::event_loop::Reactor;
use crate::{ChildId, Signal};

/// What a timer is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Timer {
    /// The child's linger after exit may be over (its deadline says).
    Linger,
    /// The child's timeout: send the stop signal.
    Timeout,
    /// The grace after the stop signal is over: `SIGKILL` to the child and,
    /// even if the child is gone, to its process group.
    Kill { group: Option<u32> },
}

/// Timers by deadline. Several may be set for one child (a linger pushed
/// back leaves its earlier timer, which finds the deadline moved and does
/// nothing).
#[derive(Debug, Default)]
pub(super) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, ChildId, Timer)>>,
    /// Process-group kills set and not yet due: they keep the reactor
    /// busy even after their child was reported.
    group_kills: usize,
}

impl Timers {
    /// Sets `timer` for `child` at `deadline`.
    pub(crate) fn set(&mut self, deadline: Instant, child: ChildId, timer: Timer) {
        if let Timer::Kill { group: Some(_) } = timer {
            self.group_kills += 1;
        }
        self.heap.push(Reverse((deadline, child, timer)));
    }

    /// The nearest deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((deadline, _, _))| *deadline)
    }

    /// Takes the next timer due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(ChildId, Timer)> {
        let &Reverse((deadline, child, timer)) = self.heap.peek()?;
        if deadline > now {
            return None;
        }
        self.heap.pop();
        if let Timer::Kill { group: Some(_) } = timer {
            self.group_kills -= 1;
        }
        Some((child, timer))
    }

    /// Process-group kills not yet due.
    pub(crate) fn group_kills(&self) -> usize {
        self.group_kills
    }

    /// Clears every timer and returns the process groups still due their
    /// `SIGKILL`.
    pub(crate) fn clear(&mut self) -> Vec<u32> {
        self.group_kills = 0;
        self.heap
            .drain()
            .filter_map(|Reverse((_, _, timer))| match timer {
                Timer::Kill { group } => group,
                Timer::Linger | Timer::Timeout => None,
            })
            .collect()
    }
}

impl Reactor {
    /// The child in `slot` has exited and a pipe is still open: its
    /// linger is over at `deadline`.
    pub(super) fn set_linger(&mut self, slot: usize, deadline: Instant) {
        if let Some(child) = self.children.get_mut(slot) {
            self.timers.set(deadline, child.id(), Timer::Linger);
        }
    }

    /// The child `id` just started with a timeout: it is stopped at
    /// `deadline`.
    pub(super) fn set_timeout(&mut self, id: ChildId, deadline: Instant) {
        self.timers.set(deadline, id, Timer::Timeout);
    }

    /// Acts on every timer due by `now`, in order.
    pub(super) fn expire_due(&mut self, now: Instant) {
        while let Some((child, timer)) = self.timers.pop_due(now) {
            self.expire(child, timer, now);
        }
    }

    /// Acts on a timer that fell due.
    fn expire(&mut self, id: ChildId, timer: Timer, now: Instant) {
        if let Timer::Kill { group: Some(group) } = timer {
            // The group may outlive the child's report.
            let _ = Signal::KILL.send_group(group);
        }
        let Some(slot) = self.children.slot(id) else {
            return;
        };
        let Some(child) = self.children.get_mut(slot) else {
            return;
        };
        match timer {
            Timer::Linger => {
                let next = child.linger_over(now);
                self.follow(slot, next, now);
            }
            Timer::Timeout => {
                if let Some(kill) = child.time_out() {
                    let timer = Timer::Kill { group: kill.group };
                    self.timers.set(now + kill.grace, id, timer);
                }
            }
            Timer::Kill { .. } => child.kill(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(start: Instant, ms: u64) -> Instant {
        start + Duration::from_millis(ms)
    }

    #[test]
    fn timers_fall_due_in_deadline_order_and_not_before() {
        let start = Instant::now();
        let mut timers = Timers::default();
        timers.set(at(start, 30), ChildId(1), Timer::Timeout);
        timers.set(at(start, 10), ChildId(2), Timer::Linger);
        timers.set(at(start, 20), ChildId(3), Timer::Kill { group: None });
        assert_eq!(timers.next_deadline(), Some(at(start, 10)));
        assert_eq!(timers.pop_due(at(start, 5)), None);
        assert_eq!(
            timers.pop_due(at(start, 25)),
            Some((ChildId(2), Timer::Linger))
        );
        assert_eq!(
            timers.pop_due(at(start, 25)),
            Some((ChildId(3), Timer::Kill { group: None }))
        );
        assert_eq!(timers.pop_due(at(start, 25)), None);
        assert_eq!(timers.next_deadline(), Some(at(start, 30)));
        assert_eq!(
            timers.pop_due(at(start, 30)),
            Some((ChildId(1), Timer::Timeout))
        );
        assert_eq!(timers.next_deadline(), None);
    }

    #[test]
    fn timers_due_at_once_come_in_a_fixed_order() {
        let start = Instant::now();
        let mut timers = Timers::default();
        timers.set(start, ChildId(2), Timer::Timeout);
        timers.set(start, ChildId(1), Timer::Kill { group: Some(9) });
        timers.set(start, ChildId(1), Timer::Linger);
        let order: Vec<_> = std::iter::from_fn(|| timers.pop_due(start)).collect();
        assert_eq!(
            order,
            [
                (ChildId(1), Timer::Linger),
                (ChildId(1), Timer::Kill { group: Some(9) }),
                (ChildId(2), Timer::Timeout),
            ]
        );
    }

    #[test]
    fn group_kills_are_counted_until_due_or_cleared() {
        let start = Instant::now();
        let mut timers = Timers::default();
        timers.set(at(start, 10), ChildId(1), Timer::Kill { group: Some(100) });
        timers.set(at(start, 20), ChildId(2), Timer::Kill { group: Some(200) });
        timers.set(at(start, 20), ChildId(3), Timer::Kill { group: None });
        timers.set(at(start, 20), ChildId(4), Timer::Linger);
        assert_eq!(timers.group_kills(), 2);
        assert!(timers.pop_due(at(start, 10)).is_some());
        assert_eq!(timers.group_kills(), 1);
        assert_eq!(timers.clear(), [200]);
        assert_eq!(timers.group_kills(), 0);
        assert_eq!(timers.next_deadline(), None);
    }
}
