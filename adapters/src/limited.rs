//! [`Limited`]: keeps everything up to a limit, then acts as a circuit
//! breaker.

use procpump::{Control, Flow, Resumer, Sink, StreamContext};

/// What [`Limited`] does when the stream goes past its limit. In every
/// case the bytes up to the limit are kept and the overflow is flagged.
///
/// # Examples
///
/// ```
/// use procpump::{Flow, Sink};
/// use procpump_adapters::{Limited, OnLimit};
///
/// let mut truncate = Limited::new(3);
/// assert_eq!(truncate.chunk(b"abcdef"), Flow::Continue);
/// assert_eq!((truncate.bytes(), truncate.dropped()), (&b"abc"[..], 3));
///
/// let mut close = Limited::new(3).on_limit(OnLimit::Close);
/// assert_eq!(close.chunk(b"ab"), Flow::Continue);
/// assert_eq!(close.chunk(b"cd"), Flow::Close);
/// assert!(close.is_truncated());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnLimit {
    /// Drop the rest, counted, and read on to the end: the child is not
    /// disturbed. The default.
    #[default]
    Truncate,
    /// Close the pipe ([`Flow::Close`]): the child's next write fails with
    /// `EPIPE` (or kills it with `SIGPIPE`).
    Close,
    /// Kill the child (`SIGKILL`, through the reactor's [`Control`]), and
    /// then close the pipe. Like Node's `maxBuffer`. The stream pauses
    /// until the kill is done, so the child dies of it, not of the closed
    /// pipe. Outside a reactor (no [`Sink::start`]), closes only.
    Kill,
}

/// A sink that keeps the whole stream up to `n` bytes, and then, by the
/// [`OnLimit`] chosen, drops the rest, closes the pipe or kills the child —
/// never losing what it kept.
///
/// # Examples
///
/// ```
/// # fn main() -> procpump::Result<()> {
/// use procpump::{Job, Reactor, Stream};
/// use procpump_adapters::{Limited, OnLimit};
/// use std::process::Command;
///
/// let mut reactor = Reactor::new()?;
/// let yes = Command::new("yes"); // prints forever
/// reactor.spawn(Job::new(yes).stdout(Limited::new(6).on_limit(OnLimit::Kill)));
/// let mut report = reactor.run()?.remove(0);
/// assert_eq!(report.signal(), Some(9));
/// let kept: Limited = report.take_sink(Stream::Stdout).unwrap();
/// assert!(kept.is_truncated());
/// assert_eq!(kept.bytes(), b"y\ny\ny\n");
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Limited {
    kept: Vec<u8>,
    limit: usize,
    on_limit: OnLimit,
    total: u64,
    /// [`OnLimit::Kill`]: what kills the child, and resumes the stream
    /// (paused meanwhile) to close it.
    control: Option<(Control, Resumer)>,
    /// The child was asked to die: the stream closes when resumed.
    killing: bool,
}

impl Limited {
    /// Keeps up to `bytes` bytes; past them, truncates (see
    /// [`on_limit`](Limited::on_limit)).
    pub fn new(bytes: usize) -> Limited {
        Limited {
            kept: Vec::new(),
            limit: bytes,
            on_limit: OnLimit::Truncate,
            total: 0,
            control: None,
            killing: false,
        }
    }

    /// What to do past the limit. Default: [`OnLimit::Truncate`].
    pub fn on_limit(mut self, on_limit: OnLimit) -> Limited {
        self.on_limit = on_limit;
        self
    }

    /// The bytes kept: the whole stream if it stayed within the limit, its
    /// first `n` bytes otherwise.
    pub fn bytes(&self) -> &[u8] {
        &self.kept
    }

    /// Takes the bytes kept.
    pub fn into_bytes(self) -> Vec<u8> {
        self.kept
    }

    /// True when the stream went past the limit.
    pub fn is_truncated(&self) -> bool {
        self.total > self.limit as u64
    }

    /// Bytes seen in all (with [`OnLimit::Close`] or [`OnLimit::Kill`],
    /// those read before the breaker tripped).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Bytes seen and not kept.
    pub fn dropped(&self) -> u64 {
        self.total - self.kept.len() as u64
    }

    /// The stream went past the limit: trips the breaker.
    fn trip(&mut self) -> Flow {
        match self.on_limit {
            OnLimit::Truncate => Flow::Continue,
            OnLimit::Close => Flow::Close,
            OnLimit::Kill => self.kill(),
        }
    }

    /// Asks the reactor to kill the child, then to resume the stream, which
    /// then closes. The pipe stays open meanwhile, so the child dies of the
    /// kill and not of a closed pipe.
    fn kill(&mut self) -> Flow {
        match &self.control {
            Some((control, resumer)) => {
                control.kill();
                resumer.resume();
                self.killing = true;
                Flow::Pause
            }
            None => Flow::Close,
        }
    }
}

impl Sink for Limited {
    fn start(&mut self, context: &StreamContext<'_>) {
        self.control = Some((context.control(), context.resumer()));
    }

    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        let was_truncated = self.is_truncated();
        self.total += chunk.len() as u64;
        let take = (self.limit - self.kept.len()).min(chunk.len());
        self.kept.extend_from_slice(&chunk[..take]);
        if self.is_truncated() && !was_truncated {
            return self.trip();
        }
        Flow::Continue
    }

    fn resume(&mut self) -> Flow {
        if self.killing {
            Flow::Close
        } else {
            Flow::Continue
        }
    }
}
