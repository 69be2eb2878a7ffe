//! What a sink or source is told when its child starts
//! ([`StreamContext`]), and the handles it can keep: a [`Resumer`] for its
//! stream and a [`Control`] for its child.

use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};

use crate::mailbox::shared::{Request, Shared};
use crate::mailbox::watcher::{Receivable, Sendable};
use crate::{ChildId, Signal, Stream};

#[cfg(doc)]
use crate::{Sink, Source};

/// What a sink or source learns when its child starts.
#[derive(Debug)]
pub struct StreamContext<'a> {
    child: ChildId,
    stream: Stream,
    program: &'a str,
    pid: u32,
    resumer: Resumer,
}

impl<'a> StreamContext<'a> {
    /// The context of `resumer`'s stream, whose child runs `program` as
    /// `pid`.
    pub(crate) fn new(program: &'a str, pid: u32, resumer: Resumer) -> StreamContext<'a> {
        StreamContext {
            child: resumer.child,
            stream: resumer.stream,
            program,
            pid,
            resumer,
        }
    }

    /// The child.
    pub fn child(&self) -> ChildId {
        self.child
    }

    /// The stream this sink or source serves.
    pub fn stream(&self) -> Stream {
        self.stream
    }

    /// The program, as given to the `Command`.
    pub fn program(&self) -> &str {
        self.program
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// A handle that resumes this stream from any thread.
    pub fn resumer(&self) -> Resumer {
        self.resumer.clone()
    }

    /// A handle that kills or signals this child, from the sink itself or
    /// any thread.
    pub fn control(&self) -> Control {
        Control {
            shared: Arc::clone(&self.resumer.shared),
            child: self.child,
        }
    }
}

/// Kills or signals one child from a sink, a source, or any thread.
///
/// The request is queued and the reactor acts on it at once (it is woken
/// through its poller), after the call that made it returns.
///
/// # Examples
///
/// ```
/// # fn main() -> procpump::Result<()> {
/// use procpump::{Control, Flow, Job, Reactor, Sink, StreamContext};
/// use std::process::Command;
///
/// /// Kills the child as soon as it prints "ready".
/// struct KillWhenReady(Option<Control>);
///
/// impl Sink for KillWhenReady {
///     fn start(&mut self, context: &StreamContext<'_>) {
///         self.0 = Some(context.control());
///     }
///     fn chunk(&mut self, chunk: &[u8]) -> Flow {
///         if chunk.windows(5).any(|w| w == b"ready") {
///             self.0.as_ref().unwrap().kill();
///         }
///         Flow::Continue
///     }
/// }
///
/// let mut reactor = Reactor::new()?;
/// let mut sh = Command::new("sh");
/// sh.args(["-c", "echo ready; exec sleep 30"]);
/// reactor.spawn(Job::new(sh).stdout(KillWhenReady(None)));
/// let report = reactor.run()?.remove(0);
/// assert_eq!(report.signal(), Some(9));
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Control {
    shared: Arc<Shared>,
    child: ChildId,
}

impl Control {
    /// Kills the child (`SIGKILL`; its whole group if it has one of its
    /// own).
    pub fn kill(&self) {
        self.shared.request(Request::Kill(self.child));
    }

    /// Sends `signal` to the child (its whole group if it has one of its
    /// own).
    pub fn signal(&self, signal: Signal) {
        self.shared.request(Request::Signal(self.child, signal));
    }

    /// The child.
    pub fn child(&self) -> ChildId {
        self.child
    }
}

/// Resumes one paused stream, from any thread.
///
/// Cheap to clone, `Send` and `Sync`. Resuming a stream that is not paused,
/// has ended, or whose reactor is gone does nothing; the reactor then asks
/// the sink ([`Sink::resume`]) or source before reading or writing again, so
/// an early or repeated resume is harmless.
#[derive(Clone, Debug)]
pub struct Resumer {
    shared: Arc<Shared>,
    child: ChildId,
    slot: usize,
    stream: Stream,
}

impl Resumer {
    /// Resumes `stream` of `child`, which runs in `slot` of the reactor
    /// that shares `shared`.
    pub(crate) fn new(shared: Arc<Shared>, child: ChildId, slot: usize, stream: Stream) -> Resumer {
        Resumer {
            shared,
            child,
            slot,
            stream,
        }
    }

    /// Wakes the reactor and has it resume the stream.
    pub fn resume(&self) {
        self.shared.request(self.request());
    }

    /// Resumes the stream as soon as `sender` has room for a message (or
    /// its receivers are all gone). The wait happens on a helper thread of
    /// the reactor, blocked until then: no polling, no busy loop.
    pub fn resume_when_sendable<T: Send + 'static>(&self, sender: &Sender<T>) {
        let wake = self.waker();
        self.shared.watcher.watch(Box::new(Sendable {
            sender: sender.clone(),
            wake,
        }));
    }

    /// Resumes the stream as soon as `receiver` has a message (or its
    /// senders are all gone), as [`resume_when_sendable`] does for room.
    ///
    /// [`resume_when_sendable`]: Resumer::resume_when_sendable
    pub fn resume_when_receivable<T: Send + 'static>(&self, receiver: &Receiver<T>) {
        let wake = self.waker();
        self.shared.watcher.watch(Box::new(Receivable {
            receiver: receiver.clone(),
            wake,
        }));
    }

    fn request(&self) -> Request {
        Request::Resume {
            child: self.child,
            slot: self.slot,
            stream: self.stream,
        }
    }

    /// A wake-up for the watcher thread: it must not keep the reactor's
    /// shared state alive, or the thread would never be told to stop.
    fn waker(&self) -> impl FnOnce() + Send + 'static {
        let shared = Arc::downgrade(&self.shared);
        let request = self.request();
        move || {
            if let Some(shared) = shared.upgrade() {
                shared.request(request);
            }
        }
    }

    /// The child whose stream this resumes.
    pub fn child(&self) -> ChildId {
        self.child
    }

    /// The stream this resumes.
    pub fn stream(&self) -> Stream {
        self.stream
    }
}
