//! Events mode ([`Job::events`](crate::Job::events)): every chunk, stream
//! end and report of a child as an [`Event`] in one channel.

use crossbeam_channel::Sender;

use crate::channel::{Outlet, SendOutcome};
use crate::{ChildId, Chunk, Flow, Report, Sink, Stream, StreamContext, StreamEnd};

/// What goes through an events channel ([`Job::events`](crate::Job::events)),
/// in the order it happened. For each child: its output chunks, one `End`
/// per stream after that stream's last chunk (`End` with
/// [`StreamEnd::NotStarted`] for each stream of a child that never
/// started), then exactly one `Exited`, last.
///
/// Nothing is lost while a receiver of the channel is alive, however slowly
/// it reads: when the reactor stops (dropped, or its [`Handle`] shut down)
/// with events the channel has no room for, a thread of its own
/// (`procpump-drain`) sends them, in order, as the consumers make room,
/// and ends once they are sent or every receiver is gone. Output still
/// pending in a stream that is killed is dropped; its `End` (with
/// [`StreamEnd::Killed`]) and the `Exited` are not.
///
/// [`Handle`]: crate::Handle
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// A chunk of output.
    Output(Chunk),
    /// A stream ended.
    End {
        /// The child.
        child: ChildId,
        /// The stream.
        stream: Stream,
        /// Why it ended.
        end: StreamEnd,
    },
    /// The child exited and all its streams ended: its report.
    Exited(Box<Report>),
}

/// The sink of events mode: chunks and stream ends as [`Event`]s.
pub(super) struct EventSink {
    outlet: Outlet<Event>,
}

impl EventSink {
    pub(crate) fn new(sender: Sender<Event>) -> EventSink {
        EventSink {
            outlet: Outlet::new(sender),
        }
    }
}

fn event_flow(delivery: SendOutcome) -> Flow {
    match delivery {
        SendOutcome::Sent => Flow::Continue,
        SendOutcome::Full => Flow::Pause,
        SendOutcome::Disconnected => Flow::Discard,
    }
}

impl Sink for EventSink {
    fn start(&mut self, context: &StreamContext<'_>) {
        self.outlet.start(context);
    }

    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        let chunk = self.outlet.chunk(chunk);
        event_flow(self.outlet.push(Event::Output(chunk)))
    }

    fn resume(&mut self) -> Flow {
        event_flow(self.outlet.deliver())
    }

    fn end(&mut self, end: &StreamEnd) {
        if end.is_teardown() {
            // Nothing more will be read: the output still pending goes, and
            // the `End` is sent with the report, in order, by the delivery
            // (`delivery.rs`), which knows the child even when this sink
            // never started.
            self.outlet.drop_pending();
            self.outlet.close_if_flushed();
        } else {
            self.outlet.queue(Event::End {
                child: self.outlet.child(),
                stream: self.outlet.stream(),
                end: end.clone(),
            });
        }
    }

    fn flush(&mut self) -> Flow {
        self.outlet.flush()
    }
}
