//! Sending into a bounded channel from the reactor's thread without ever
//! blocking: what does not fit waits in the outlet, and the stream pauses
//! until the channel has room.

use std::collections::VecDeque;

use crossbeam_channel::{Sender, TrySendError};

use crate::{ChildId, Chunk, Flow, Resumer, Stream, StreamContext};

/// Sends into a bounded channel without ever blocking: what does not fit
/// waits here, and the stream pauses until the channel has room.
pub(crate) struct Outlet<T> {
    sender: Option<Sender<T>>,
    pending: VecDeque<T>,
    resumer: Option<Resumer>,
    /// Which child and stream the chunks are from (known at `start`).
    child: ChildId,
    stream: Stream,
}

/// What became of what an outlet had to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SendOutcome {
    /// Everything pending was sent.
    Sent,
    /// The channel is full: the rest waits, and the stream is resumed when
    /// there is room.
    Full,
    /// Every receiver is gone: what was pending is dropped.
    Disconnected,
}

impl<T: Send + 'static> Outlet<T> {
    pub(crate) fn new(sender: Sender<T>) -> Outlet<T> {
        Outlet {
            sender: Some(sender),
            pending: VecDeque::new(),
            resumer: None,
            child: ChildId(0),
            stream: Stream::Stdout,
        }
    }

    /// Learns which child and stream it serves, and how to resume it.
    pub(crate) fn start(&mut self, context: &StreamContext<'_>) {
        self.child = context.child();
        self.stream = context.stream();
        self.resumer = Some(context.resumer());
    }

    /// An owned, labelled copy of `bytes`.
    pub(crate) fn chunk(&self, bytes: &[u8]) -> Chunk {
        Chunk::new(self.child, self.stream, bytes.to_vec())
    }

    /// The child it serves (known once started).
    pub(crate) fn child(&self) -> ChildId {
        self.child
    }

    /// The stream it serves (known once started).
    pub(crate) fn stream(&self) -> Stream {
        self.stream
    }

    /// Items waiting for room.
    pub(crate) fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Queues `item` behind what is pending, without sending.
    pub(crate) fn queue(&mut self, item: T) {
        self.pending.push_back(item);
    }

    /// Drops what is pending: nothing more will be delivered.
    pub(crate) fn drop_pending(&mut self) {
        self.pending.clear();
    }

    /// After the stream's end: sends what is pending, pausing while the
    /// channel is full, then lets the receivers see the end.
    pub(crate) fn flush(&mut self) -> Flow {
        let flow = match self.deliver() {
            SendOutcome::Full => Flow::Pause,
            SendOutcome::Sent | SendOutcome::Disconnected => Flow::Continue,
        };
        self.close_if_flushed();
        flow
    }

    /// Queues `item` and sends what it can.
    pub(crate) fn push(&mut self, item: T) -> SendOutcome {
        self.pending.push_back(item);
        self.deliver()
    }

    /// Sends what is pending, in order; when the channel is full, asks to be
    /// resumed once it has room.
    pub(crate) fn deliver(&mut self) -> SendOutcome {
        let Some(sender) = &self.sender else {
            self.pending.clear();
            return SendOutcome::Disconnected;
        };
        while let Some(item) = self.pending.pop_front() {
            match sender.try_send(item) {
                Ok(()) => {}
                Err(TrySendError::Full(item)) => {
                    self.pending.push_front(item);
                    if let Some(resumer) = &self.resumer {
                        resumer.resume_when_sendable(sender);
                    }
                    return SendOutcome::Full;
                }
                Err(TrySendError::Disconnected(_)) => {
                    self.pending.clear();
                    self.sender = None;
                    return SendOutcome::Disconnected;
                }
            }
        }
        SendOutcome::Sent
    }

    /// Lets the receivers see the end of the channel, once nothing is
    /// pending.
    pub(crate) fn close_if_flushed(&mut self) {
        if self.pending.is_empty() {
            self.sender = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_wait_while_the_channel_is_full_and_go_in_order() {
        let (sender, receiver) = crossbeam_channel::bounded(2);
        let mut outlet = Outlet::new(sender);
        assert_eq!(outlet.push(1), SendOutcome::Sent);
        assert_eq!(outlet.push(2), SendOutcome::Sent);
        assert_eq!(outlet.push(3), SendOutcome::Full);
        assert_eq!(outlet.push(4), SendOutcome::Full);
        assert_eq!(outlet.pending(), 2);
        assert_eq!(receiver.recv(), Ok(1));
        assert_eq!(outlet.deliver(), SendOutcome::Full);
        assert_eq!(receiver.recv(), Ok(2));
        assert_eq!(receiver.recv(), Ok(3));
        assert_eq!(outlet.deliver(), SendOutcome::Sent);
        assert_eq!(receiver.try_iter().collect::<Vec<_>>(), [4]);
    }

    #[test]
    fn flush_pauses_until_everything_is_sent_then_closes_the_channel() {
        let (sender, receiver) = crossbeam_channel::bounded(1);
        let mut outlet = Outlet::new(sender);
        assert_eq!(outlet.push("a"), SendOutcome::Sent);
        outlet.queue("b");
        assert_eq!(outlet.flush(), Flow::Pause);
        assert_eq!(receiver.recv(), Ok("a"));
        assert_eq!(outlet.flush(), Flow::Continue);
        assert_eq!(receiver.recv(), Ok("b"));
        // The outlet let go of its sender: the channel is closed.
        assert!(receiver.recv().is_err());
    }

    #[test]
    fn a_channel_without_receivers_drops_what_is_pending() {
        let (sender, receiver) = crossbeam_channel::bounded(1);
        let mut outlet = Outlet::new(sender);
        assert_eq!(outlet.push(1), SendOutcome::Sent);
        outlet.queue(2);
        drop(receiver);
        assert_eq!(outlet.deliver(), SendOutcome::Disconnected);
        assert_eq!(outlet.pending(), 0);
        assert_eq!(outlet.push(3), SendOutcome::Disconnected);
        assert_eq!(outlet.flush(), Flow::Continue);
    }

    #[test]
    fn dropping_what_is_pending_lets_the_channel_close() {
        let (sender, receiver) = crossbeam_channel::bounded(1);
        let mut outlet = Outlet::new(sender);
        assert_eq!(outlet.push(1), SendOutcome::Sent);
        assert_eq!(outlet.push(2), SendOutcome::Full);
        outlet.drop_pending();
        outlet.close_if_flushed();
        assert_eq!(receiver.recv(), Ok(1));
        assert!(receiver.recv().is_err());
    }
}
