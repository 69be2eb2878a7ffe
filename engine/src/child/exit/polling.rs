//! Where a child has no exit watch (no pidfd): how often to poll its
//! status.

use std::time::Duration;

/// Exit polling: from this interval...
const MIN: Duration = Duration::from_millis(1);
/// ...doubling up to this one.
const MAX: Duration = Duration::from_millis(50);

/// How many children are polled for their exit, and the interval, which
/// backs off from 1 ms to 50 ms while nothing changes and starts again at
/// 1 ms with each new polled child (a short child is seen exit soon).
#[derive(Debug)]
pub(crate) struct ExitPolling {
    children: usize,
    interval: Duration,
}

impl Default for ExitPolling {
    fn default() -> ExitPolling {
        ExitPolling {
            children: 0,
            interval: MIN,
        }
    }
}

impl ExitPolling {
    /// One more child to poll.
    pub(crate) fn add(&mut self) {
        self.children += 1;
        self.interval = MIN;
    }

    /// One child less (it exited, or was killed and reaped).
    pub(crate) fn remove(&mut self) {
        self.children = self.children.saturating_sub(1);
    }

    /// Whether any child is polled.
    pub(crate) fn is_active(&self) -> bool {
        self.children > 0
    }

    /// The interval in force, if any child is polled (no back-off).
    pub(crate) fn interval(&self) -> Option<Duration> {
        (self.children > 0).then_some(self.interval)
    }

    /// How long the next wait may last before polling, if any child is
    /// polled; each call backs off.
    pub(crate) fn next_wait(&mut self) -> Option<Duration> {
        if self.children == 0 {
            return None;
        }
        let wait = self.interval;
        self.interval = (self.interval * 2).min(MAX);
        Some(wait)
    }

    /// No child is polled any more.
    pub(crate) fn clear(&mut self) {
        *self = ExitPolling::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_backs_off_to_a_ceiling_and_starts_again_for_a_new_child() {
        let mut polling = ExitPolling::default();
        assert_eq!(polling.next_wait(), None);
        assert_eq!(polling.interval(), None);
        polling.add();
        assert_eq!(polling.interval(), Some(MIN));
        let waits: Vec<_> = (0..8).filter_map(|_| polling.next_wait()).collect();
        let ms: Vec<_> = waits.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [1, 2, 4, 8, 16, 32, 50, 50]);
        // Looking at the interval does not back it off.
        assert_eq!(polling.interval(), Some(MAX));
        assert_eq!(polling.interval(), Some(MAX));
        polling.add();
        assert_eq!(polling.next_wait(), Some(MIN));
        polling.remove();
        polling.remove();
        assert!(!polling.is_active());
        assert_eq!(polling.next_wait(), None);
    }
}
