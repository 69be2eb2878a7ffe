//! Bytes a sink took but could not hand on yet because its consumer paused.
//!
//! The reactor hands a sink a whole chunk; a sink that splits it (into
//! lines, characters) and whose consumer pauses half-way must keep the rest
//! until it is resumed. At most one chunk is kept, so this is bounded by the
//! reactor's read size.

use procpump::Flow;

/// The unprocessed rest of one chunk.
#[derive(Debug, Default)]
pub(crate) struct Backlog {
    bytes: Vec<u8>,
}

impl Backlog {
    /// True when nothing is kept.
    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Keeps `rest` if `flow` is a pause (a closed stream needs nothing
    /// more), and passes `flow` on.
    pub(crate) fn keep_if_paused(&mut self, flow: Flow, rest: &[u8]) -> Flow {
        if flow == Flow::Pause {
            self.bytes.extend_from_slice(rest);
        }
        flow
    }

    /// Hands what is kept to `process`, which returns the flow and how many
    /// bytes it used; keeps the rest if it paused again.
    pub(crate) fn drain(&mut self, process: impl FnOnce(&[u8]) -> (Flow, usize)) -> Flow {
        if self.bytes.is_empty() {
            return Flow::Continue;
        }
        let bytes = std::mem::take(&mut self.bytes);
        let (flow, used) = process(&bytes);
        self.keep_if_paused(flow, bytes.get(used..).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_what_a_pause_left() {
        let mut backlog = Backlog::default();
        assert_eq!(
            backlog.keep_if_paused(Flow::Continue, b"abc"),
            Flow::Continue
        );
        assert!(backlog.is_empty());
        assert_eq!(backlog.keep_if_paused(Flow::Pause, b"abc"), Flow::Pause);
        assert_eq!(
            backlog.drain(|bytes| (Flow::Pause, bytes.len() - 1)),
            Flow::Pause
        );
        let mut seen = Vec::new();
        let flow = backlog.drain(|bytes| {
            seen.extend_from_slice(bytes);
            (Flow::Continue, bytes.len())
        });
        assert_eq!((flow, seen.as_slice()), (Flow::Continue, &b"c"[..]));
        assert!(backlog.is_empty());
    }
}
