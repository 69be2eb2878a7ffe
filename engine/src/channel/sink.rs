//! A channel for consumer threads: chunks out (bytes in are
//! `Input::channel`, in `io/input.rs`; events out are in `job/event.rs`).
//!
//! The channel is a bounded `crossbeam_channel` and pushes back: a full
//! chunk channel pauses the one pipe that feeds it (the child blocks in
//! `write`) and resumes it as soon as a consumer takes a chunk, woken by the
//! reactor's watcher thread rather than a polling tick.

use std::fmt;

use crossbeam_channel::Sender;

use crate::channel::outlet::{Outlet, SendOutcome};
use crate::{Chunk, Flow, IntoSink, Sink, StreamContext, StreamEnd};

/// What a [`ChannelSink`] does when every receiver of its channel is gone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnDisconnect {
    /// Keep reading the pipe and throw the bytes away, so the child runs
    /// on undisturbed ([`Flow::Discard`]; the report counts them as
    /// discarded). The default: a consumer that goes away never changes
    /// what the child does, and nothing hangs.
    #[default]
    Discard,
    /// Close the pipe ([`Flow::Close`]): the child's next write fails with
    /// `EPIPE` (or `SIGPIPE` kills it), which stops a child whose output
    /// nobody wants.
    Close,
}

/// The sink a `Sender<Chunk>` becomes: each chunk of output is copied into
/// a [`Chunk`] and sent.
///
/// When the channel is full the chunk in hand is kept, the stream pauses
/// (only this pipe: the child blocks in `write`, the others flow on), and
/// it resumes as soon as a consumer takes a chunk. When every receiver is
/// gone, [`OnDisconnect`] says what happens. The sender is dropped when the
/// stream ends, so consumers see the channel close once every sender of it
/// is gone.
///
/// # Examples
///
/// ```
/// # fn main() -> procpump::Result<()> {
/// use procpump::{Job, Reactor};
/// use std::process::Command;
///
/// let (chunks, receiver) = crossbeam_channel::bounded::<procpump::Chunk>(4);
/// let consumer = std::thread::spawn(move || {
///     receiver.iter().map(|chunk| chunk.len()).sum::<usize>()
/// });
/// let mut reactor = Reactor::new()?;
/// let mut seq = Command::new("seq");
/// seq.arg("100000");
/// reactor.spawn(Job::new(seq).stdout(chunks));
/// let reports = reactor.run()?;
/// assert_eq!(consumer.join().unwrap() as u64, reports[0].stdout().unwrap().bytes());
/// # Ok(())
/// # }
/// ```
pub struct ChannelSink {
    outlet: Outlet<Chunk>,
    on_disconnect: OnDisconnect,
}

impl ChannelSink {
    /// A sink that sends into `sender`, with the default [`OnDisconnect`].
    pub fn new(sender: Sender<Chunk>) -> ChannelSink {
        ChannelSink {
            outlet: Outlet::new(sender),
            on_disconnect: OnDisconnect::default(),
        }
    }

    /// What to do when every receiver is gone.
    pub fn on_disconnect(mut self, policy: OnDisconnect) -> ChannelSink {
        self.on_disconnect = policy;
        self
    }

    fn flow(&self, delivery: SendOutcome) -> Flow {
        match delivery {
            SendOutcome::Sent => Flow::Continue,
            SendOutcome::Full => Flow::Pause,
            SendOutcome::Disconnected => match self.on_disconnect {
                OnDisconnect::Discard => Flow::Discard,
                OnDisconnect::Close => Flow::Close,
            },
        }
    }
}

impl fmt::Debug for ChannelSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelSink")
            .field("child", &self.outlet.child())
            .field("stream", &self.outlet.stream())
            .field("on_disconnect", &self.on_disconnect)
            .field("pending", &self.outlet.pending())
            .finish()
    }
}

impl Sink for ChannelSink {
    fn start(&mut self, context: &StreamContext<'_>) {
        self.outlet.start(context);
    }

    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        let chunk = self.outlet.chunk(chunk);
        let delivery = self.outlet.push(chunk);
        self.flow(delivery)
    }

    fn resume(&mut self) -> Flow {
        let delivery = self.outlet.deliver();
        self.flow(delivery)
    }

    fn end(&mut self, end: &StreamEnd) {
        if end.is_teardown() {
            // Nothing more will be delivered: let the consumers see the end.
            self.outlet.drop_pending();
        }
        self.outlet.close_if_flushed();
    }

    fn flush(&mut self) -> Flow {
        self.outlet.flush()
    }
}

impl IntoSink for Sender<Chunk> {
    type Sink = ChannelSink;

    fn into_sink(self) -> ChannelSink {
        ChannelSink::new(self)
    }
}
