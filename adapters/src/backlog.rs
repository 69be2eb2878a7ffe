//! Bytes a sink took but could not hand on yet because its consumer paused.
//!
//! The reactor hands a sink a whole chunk; a sink that splits it (into
//! lines, characters) and whose consumer pauses half-way must keep the rest
//! until it is resumed. At most one chunk is kept, so this is bounded by the
//! reactor's read size.
//!
//! This is the scaffolding [`Lines`](crate::Lines) and
//! [`Utf8`](crate::Utf8) share: each is a [`Cutter`] (its scan state) and a
//! handler, and the backlog runs the chunk, resume and end around them.

use procpump::Flow;

/// The cutting a splitting sink does (into lines, into whole characters),
/// with the state it keeps between chunks.
pub(crate) trait Cutter<H> {
    /// Cuts `bytes` and hands the pieces to `handler`. Returns the first
    /// flow other than `Continue` (or `Continue`) and how many bytes were
    /// used: the rest is given again after a pause.
    fn cut(&mut self, bytes: &[u8], handler: &mut H) -> (Flow, usize);

    /// The stream ended: hands over what is still held (an unterminated
    /// last line, a cut character).
    fn finish(&mut self, handler: &mut H);
}

/// Flows after which a handler gets nothing more.
fn stops(flow: Flow) -> bool {
    matches!(flow, Flow::Close | Flow::Discard)
}

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

    /// As [`Sink::chunk`](procpump::Sink::chunk): `cutter` cuts `chunk`
    /// for `handler`; the rest is kept if the handler paused.
    pub(crate) fn chunk<H>(
        &mut self,
        chunk: &[u8],
        cutter: &mut impl Cutter<H>,
        handler: &mut H,
    ) -> Flow {
        let (flow, used) = cutter.cut(chunk, handler);
        self.keep_if_paused(flow, &chunk[used..])
    }

    /// As [`Sink::resume`](procpump::Sink::resume), once the handler's own
    /// `resume` answered `resumed`: what was kept goes on only if that is
    /// `Continue`.
    pub(crate) fn resume<H>(
        &mut self,
        resumed: Flow,
        cutter: &mut impl Cutter<H>,
        handler: &mut H,
    ) -> Flow {
        if resumed != Flow::Continue {
            return resumed;
        }
        self.drain(|bytes| cutter.cut(bytes, handler))
    }

    /// As [`Sink::end`](procpump::Sink::end), before the handler's own
    /// `end`: what a paused handler left is delivered now (there is no
    /// later), then what the cutter still holds, unless the handler
    /// stopped.
    pub(crate) fn end<H>(&mut self, cutter: &mut impl Cutter<H>, handler: &mut H) {
        let mut flow = Flow::Continue;
        while !self.is_empty() && !stops(flow) {
            flow = self.drain(|bytes| cutter.cut(bytes, handler));
        }
        if !stops(flow) {
            cutter.finish(handler);
        }
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
