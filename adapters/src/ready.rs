//! [`Ready`]: passes a stream on to another sink, and signals the first
//! line that holds a pattern ("listening on").

use std::fmt;
use std::os::fd::BorrowedFd;
use std::sync::Arc;

use procpump::{Flow, Sink, StreamContext, StreamEnd};

use crate::waiter::{Latch, Readiness, ReadyLine, Waiter};
use crate::watch::{ReadyAt, Watch};

/// The longest start of a line that [`Ready`] keeps to tell the line that
/// holds its pattern: 4 KiB.
pub const DEFAULT_READY_LINE: usize = 4096;

/// What [`Ready::on_ready`] takes.
type Callback = Box<dyn FnOnce(&ReadyLine) + Send>;

/// A sink that hands every chunk to another sink, unchanged, and watches
/// the stream for the first line that holds a pattern — "wait until the
/// server prints `listening on`, then go on".
///
/// When it finds the pattern it tells the line, once:
///
/// - to the callback given to [`on_ready`](Ready::on_ready), on the
///   reactor's thread, and then
/// - to every [`Waiter`] made by [`waiter`](Ready::waiter): threads block
///   on it, with a timeout if they like. A waiter also learns when the
///   stream ends without the pattern ([`Readiness::Ended`], with why), so
///   it never waits for ever on a child that dies first.
///
/// By default the line is told when it ends, whole (its first
/// [`max_line`](Ready::max_line) bytes, without its newline); with
/// [`ReadyAt::Match`], as soon as the pattern is seen.
///
/// # The pattern
///
/// A literal, searched for with `memchr::memmem`: it is found inside a
/// line (so it holds no newline), wherever the child's writes cut it. No
/// regular expressions: the `regex` crate searches a slice, not a stream,
/// so it would need the whole line in memory — which [`Lines`](crate::Lines)
/// already does; to wait for a line that a regular expression matches, run
/// it in a [`LineHandler`](crate::LineHandler) of your own. And `regex`
/// would be this crate's largest dependency by far.
///
/// # Once, then out of the way
///
/// Only the first line that holds the pattern is told; after it, `Ready`
/// looks at nothing and only passes chunks on (to act on every such line,
/// use [`Lines`](crate::Lines)). Before it is told, each byte is searched
/// for the pattern once, however the stream is cut, and memory is bounded
/// however long a line runs: the current line's first `max_line` bytes,
/// and the stream's last bytes, fewer than the pattern's length
/// ([`held`](Ready::held)).
///
/// # The inner sink
///
/// It gets every chunk before `Ready` looks at it, so once the line is
/// told, the inner sink has it. Its [`Flow`] is the stream's; its
/// [`start`](Sink::start), [`resume`](Sink::resume), [`end`](Sink::end)
/// and [`flush`](Sink::flush) are called as the reactor calls them.
/// Zero-copy ([`Sink::splice_target`]) is offered only once the line is
/// told: until then the bytes must pass through `Ready`; after it, the
/// reactor (which asks before every transfer) splices the rest into a
/// zero-copy [`FileSink`](crate::FileSink). If the inner sink
/// returns [`Flow::Discard`] before that, it is not called again (as the
/// reactor would do), but `Ready` reads on, watching, and discards the
/// stream once the line is told.
///
/// # Examples
///
/// A callback on the reactor's thread; the output goes on to a
/// [`Tail`](crate::Tail):
///
/// ```
/// # fn main() -> procpump::Result<()> {
/// use procpump::{Job, Reactor, Stream};
/// use procpump_adapters::{Ready, Tail};
/// use std::process::Command;
/// use std::sync::{Arc, Mutex};
///
/// let port = Arc::new(Mutex::new(None));
/// let told = Arc::clone(&port);
/// let ready = Ready::new("listening on port ", Tail::new(1024)).on_ready(move |line| {
///     let text = line.text_lossy();
///     *told.lock().unwrap() = text.rsplit(' ').next().map(str::to_owned);
/// });
///
/// let mut sh = Command::new("sh");
/// sh.args(["-c", "echo starting; echo listening on port 8080; echo serving"]);
/// let mut reactor = Reactor::new()?;
/// reactor.spawn(Job::new(sh).stdout(ready));
/// let mut report = reactor.run()?.remove(0);
/// assert_eq!(port.lock().unwrap().as_deref(), Some("8080"));
///
/// // After the run: the readiness, and the inner sink.
/// let ready: Ready<Tail> = report.take_sink(Stream::Stdout).unwrap();
/// assert!(ready.readiness().unwrap().is_ready());
/// assert_eq!(ready.into_inner().bytes(), b"starting\nlistening on port 8080\nserving\n");
/// # Ok(())
/// # }
/// ```
///
/// A thread that waits is in [`Waiter`]'s example.
pub struct Ready<S> {
    inner: S,
    watch: Watch,
    /// The inner sink returned [`Flow::Discard`]: it is not called again.
    discarding: bool,
    outcome: Outcome,
}

impl<S: Sink> Ready<S> {
    /// Passes the stream on to `inner`, and watches it for the first line
    /// that holds `pattern`.
    ///
    /// # Panics
    ///
    /// If `pattern` holds a newline (`\n`): it is matched within a line.
    /// An empty pattern is in every line: the first line is told.
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump::{Discard, Flow, Sink};
    /// use procpump_adapters::Ready;
    ///
    /// let mut ready = Ready::new("ready", Discard);
    /// // Cut anywhere: it is found all the same.
    /// assert_eq!(ready.chunk(b"almost rea"), Flow::Continue);
    /// assert!(ready.readiness().is_none());
    /// assert_eq!(ready.chunk(b"dy\n"), Flow::Continue);
    /// assert_eq!(ready.readiness().unwrap().line().unwrap().bytes(), b"almost ready");
    /// ```
    pub fn new(pattern: impl AsRef<[u8]>, inner: S) -> Ready<S> {
        Ready {
            inner,
            watch: Watch::new(pattern.as_ref(), ReadyAt::LineEnd, DEFAULT_READY_LINE),
            discarding: false,
            outcome: Outcome {
                latch: Arc::default(),
                callback: None,
                started: false,
            },
        }
    }

    /// Runs `callback` with the line, once, when the pattern is found: on
    /// the reactor's thread, so it must not block (see the guide's
    /// pitfalls), before the waiters are woken. It is not run if the
    /// stream ends without the pattern: a [`Waiter`], the inner sink's
    /// [`end`](Sink::end) or [`readiness`](Ready::readiness) after the run
    /// tell that. Replaces an earlier callback.
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump::{Discard, Sink};
    /// use procpump_adapters::Ready;
    /// use std::sync::mpsc;
    ///
    /// let (sender, receiver) = mpsc::channel();
    /// let mut ready = Ready::new("ready", Discard).on_ready(move |line| {
    ///     let _ = sender.send(line.text_lossy().into_owned());
    /// });
    /// let _ = ready.chunk(b"ready 1\nready 2\n");
    /// drop(ready);
    /// assert_eq!(receiver.iter().collect::<Vec<_>>(), ["ready 1"]); // once
    /// ```
    pub fn on_ready(mut self, callback: impl FnOnce(&ReadyLine) + Send + 'static) -> Ready<S> {
        self.outcome.callback = Some(Box::new(callback));
        self
    }

    /// When to tell the line. Default: [`ReadyAt::LineEnd`].
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump::{Discard, Sink};
    /// use procpump_adapters::{Ready, ReadyAt};
    ///
    /// let mut ready = Ready::new("> ", Discard).ready_at(ReadyAt::Match);
    /// let _ = ready.chunk(b"welcome\n> ");
    /// assert_eq!(ready.readiness().unwrap().line().unwrap().bytes(), b"> ");
    /// ```
    pub fn ready_at(mut self, at: ReadyAt) -> Ready<S> {
        self.watch.set_at(at);
        self
    }

    /// The longest start of a line kept to tell it, in bytes. A longer
    /// line is told with its first `bytes` bytes only
    /// ([`ReadyLine::is_truncated`]), as soon as it passes them, even if
    /// the pattern lies beyond. Default: [`DEFAULT_READY_LINE`].
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump::{Discard, Sink};
    /// use procpump_adapters::Ready;
    ///
    /// let mut ready = Ready::new("ready", Discard).max_line(8);
    /// let _ = ready.chunk(b"all systems ready\n");
    /// let readiness = ready.readiness().unwrap();
    /// let line = readiness.line().unwrap();
    /// assert_eq!((line.bytes(), line.is_truncated()), (&b"all syst"[..], true));
    /// ```
    pub fn max_line(mut self, bytes: usize) -> Ready<S> {
        self.watch.set_max_line(bytes);
        self
    }
}

impl<S> Ready<S> {
    /// A [`Waiter`] on this sink's [`Readiness`], for any thread. Make as
    /// many as you like, before or after the sink is handed to a job.
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump::{Discard, Sink};
    /// use procpump_adapters::Ready;
    /// use std::time::Duration;
    ///
    /// let mut ready = Ready::new("ready", Discard);
    /// let waiter = ready.waiter();
    /// assert!(waiter.wait_timeout(Duration::from_millis(1)).is_none());
    /// let _ = ready.chunk(b"ready\n");
    /// assert!(waiter.wait().is_ready());
    /// ```
    pub fn waiter(&self) -> Waiter {
        Waiter::new(Arc::clone(&self.outcome.latch))
    }

    /// The readiness, once known (the same as the waiters'): after the
    /// run, or from the reactor's thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump::{Discard, Sink, StreamEnd};
    /// use procpump_adapters::{Readiness, Ready};
    ///
    /// let mut ready = Ready::new("ready", Discard);
    /// assert_eq!(ready.readiness(), None);
    /// ready.end(&StreamEnd::Eof);
    /// assert_eq!(ready.readiness(), Some(Readiness::Ended(StreamEnd::Eof)));
    /// ```
    pub fn readiness(&self) -> Option<Readiness> {
        self.outcome.latch.get()
    }

    /// The pattern.
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump::Discard;
    /// use procpump_adapters::Ready;
    ///
    /// assert_eq!(Ready::new("ready", Discard).pattern(), b"ready");
    /// ```
    pub fn pattern(&self) -> &[u8] {
        self.watch.pattern()
    }

    /// Bytes held to watch the stream: at most
    /// [`max_line`](Ready::max_line) of the current line and the pattern's
    /// length less one; none once the line is told or the stream ended.
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump::{Discard, Sink};
    /// use procpump_adapters::Ready;
    ///
    /// let mut ready = Ready::new("ready", Discard).max_line(100);
    /// for _ in 0..1000 {
    ///     let _ = ready.chunk(&[b'x'; 4096]); // a line that never ends
    /// }
    /// assert_eq!(ready.held(), 100 + 4);
    /// let _ = ready.chunk(b"ready\n");
    /// assert_eq!(ready.held(), 0);
    /// ```
    pub fn held(&self) -> usize {
        self.watch.held()
    }

    /// The inner sink.
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump::Sink;
    /// use procpump_adapters::{Head, Ready};
    ///
    /// let mut ready = Ready::new("ready", Head::new(3));
    /// let _ = ready.chunk(b"ready\n");
    /// assert_eq!(ready.inner().bytes(), b"rea");
    /// ```
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The inner sink, to change it.
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump::Sink;
    /// use procpump_adapters::{Head, Ready, Tail, Tee};
    ///
    /// let mut ready = Ready::new("ready", Tee::new().with(Head::new(2)).with(Tail::new(2)));
    /// let _ = ready.chunk(b"ready\n");
    /// assert_eq!(ready.inner_mut().take::<Tail>(1).unwrap().bytes(), b"y\n");
    /// ```
    pub fn inner_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Takes the inner sink out (after the run, to read its results).
    /// Waiters that still wait are told what dropping would tell them
    /// (see [`Readiness::Ended`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump::Sink;
    /// use procpump_adapters::{Ready, Tail};
    ///
    /// let mut ready = Ready::new("ready", Tail::new(6));
    /// let _ = ready.chunk(b"ready\nsteady\n");
    /// assert_eq!(ready.into_inner().bytes(), b"teady\n");
    /// ```
    pub fn into_inner(self) -> S {
        self.inner
    }

    /// Decides the stream's flow from the inner sink's: a discarding
    /// inner sink must not stop the watching.
    fn settle(&mut self, flow: Flow) -> Flow {
        if flow == Flow::Discard {
            self.discarding = true;
        }
        if self.discarding && !self.watch.is_done() {
            Flow::Continue
        } else {
            flow
        }
    }
}

impl<S: Sink> Sink for Ready<S> {
    fn error(&self) -> Option<&std::io::Error> {
        self.inner.error()
    }

    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        let flow = if self.discarding {
            Flow::Discard
        } else {
            self.inner.chunk(chunk)
        };
        if let Some(line) = self.watch.feed(chunk) {
            self.outcome.ready(line);
        }
        self.settle(flow)
    }

    fn start(&mut self, context: &StreamContext<'_>) {
        self.outcome.started = true;
        self.inner.start(context);
    }

    fn resume(&mut self) -> Flow {
        let flow = if self.discarding {
            Flow::Discard
        } else {
            self.inner.resume()
        };
        self.settle(flow)
    }

    fn splice_target(&mut self) -> Option<BorrowedFd<'_>> {
        if self.watch.is_done() && !self.discarding {
            self.inner.splice_target()
        } else {
            None
        }
    }

    fn spliced(&mut self, bytes: usize) -> Flow {
        let flow = self.inner.spliced(bytes);
        self.settle(flow)
    }

    fn end(&mut self, end: &StreamEnd) {
        if !self.discarding {
            self.inner.end(end);
        }
        match self.watch.finish() {
            Some(line) => self.outcome.ready(line),
            None => self.outcome.ended(end.clone()),
        }
    }

    fn flush(&mut self) -> Flow {
        if self.discarding {
            Flow::Continue
        } else {
            self.inner.flush()
        }
    }
}

impl<S> fmt::Debug for Ready<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ready")
            .field("pattern", &String::from_utf8_lossy(self.watch.pattern()))
            .field("ready_at", &self.watch.at())
            .field("max_line", &self.watch.max_line())
            .field("held", &self.watch.held())
            .field("readiness", &self.outcome.latch.get())
            .finish_non_exhaustive()
    }
}

/// Tells the readiness, once: to the callback, then to the waiters; and,
/// if it was never told, when dropped.
struct Outcome {
    latch: Arc<Latch>,
    callback: Option<Callback>,
    started: bool,
}

impl Outcome {
    fn ready(&mut self, line: ReadyLine) {
        if let Some(callback) = self.callback.take() {
            callback(&line);
        }
        self.latch.set(Readiness::Ready(line));
    }

    fn ended(&mut self, end: StreamEnd) {
        self.callback = None;
        self.latch.set(Readiness::Ended(end));
    }
}

impl Drop for Outcome {
    fn drop(&mut self) {
        if !self.latch.is_set() {
            // Unended: never handed to a reactor, or its child was killed
            // after a panic.
            let end = if self.started {
                StreamEnd::Killed
            } else {
                StreamEnd::NotStarted
            };
            self.ended(end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records every call, and answers with the flows it is given.
    #[derive(Default)]
    struct Recorder {
        calls: Vec<String>,
        flows: Vec<Flow>,
    }

    impl Recorder {
        fn answering(flows: &[Flow]) -> Recorder {
            Recorder {
                calls: Vec::new(),
                flows: flows.to_vec(),
            }
        }

        fn next(&mut self) -> Flow {
            if self.flows.is_empty() {
                Flow::Continue
            } else {
                self.flows.remove(0)
            }
        }
    }

    impl Sink for Recorder {
        fn chunk(&mut self, chunk: &[u8]) -> Flow {
            self.calls.push(String::from_utf8_lossy(chunk).into_owned());
            self.next()
        }
        fn resume(&mut self) -> Flow {
            self.calls.push("resume".into());
            self.next()
        }
        fn end(&mut self, end: &StreamEnd) {
            self.calls.push(format!("end {end:?}"));
        }
        fn flush(&mut self) -> Flow {
            self.calls.push("flush".into());
            Flow::Continue
        }
    }

    #[test]
    fn passes_everything_on_and_respects_the_inner_flow() {
        let inner = Recorder::answering(&[Flow::Pause, Flow::Continue, Flow::Close]);
        let mut ready = Ready::new("up", inner);
        assert_eq!(ready.chunk(b"going u"), Flow::Pause);
        assert_eq!(ready.resume(), Flow::Continue);
        assert_eq!(ready.chunk(b"p\n"), Flow::Close);
        assert!(ready.readiness().unwrap().is_ready());
        ready.end(&StreamEnd::Closed);
        assert_eq!(ready.flush(), Flow::Continue);
        // The readiness stays the first one told.
        assert!(ready.readiness().unwrap().is_ready());
        let calls = ready.into_inner().calls;
        assert_eq!(calls, ["going u", "resume", "p\n", "end Closed", "flush"]);
    }

    #[test]
    fn watches_on_past_an_inner_sink_that_discards() {
        let inner = Recorder::answering(&[Flow::Continue, Flow::Discard]);
        let mut ready = Ready::new("ready", inner);
        assert_eq!(ready.chunk(b"a\n"), Flow::Continue);
        assert_eq!(ready.chunk(b"b\n"), Flow::Continue);
        assert_eq!(ready.chunk(b"c\n"), Flow::Continue);
        assert_eq!(ready.resume(), Flow::Continue);
        assert_eq!(ready.chunk(b"ready\n"), Flow::Discard);
        assert!(ready.readiness().unwrap().is_ready());
        assert_eq!(ready.into_inner().calls, ["a\n", "b\n"]);
    }

    #[test]
    fn a_discarding_inner_sink_is_not_ended() {
        let mut ready = Ready::new("ready", Recorder::answering(&[Flow::Discard]));
        assert_eq!(ready.chunk(b"a\n"), Flow::Continue);
        ready.end(&StreamEnd::Eof);
        assert_eq!(ready.flush(), Flow::Continue);
        assert_eq!(ready.readiness(), Some(Readiness::Ended(StreamEnd::Eof)));
        assert_eq!(ready.into_inner().calls, ["a\n"]);
    }

    #[test]
    fn the_inner_sink_has_the_line_when_it_is_told() {
        let (sender, receiver) = std::sync::mpsc::channel();
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let inner = {
            let seen = Arc::clone(&seen);
            move |chunk: &[u8]| {
                seen.lock().unwrap().extend_from_slice(chunk);
                Flow::Continue
            }
        };
        let told = Arc::clone(&seen);
        let mut ready = Ready::new("ready", inner).on_ready(move |line| {
            let seen = told.lock().unwrap().clone();
            sender.send((line.bytes().to_vec(), seen)).unwrap();
        });
        let _ = ready.chunk(b"x\nre");
        let _ = ready.chunk(b"ady\ny\n");
        let (line, seen) = receiver.recv().unwrap();
        assert_eq!(
            (line.as_slice(), seen.as_slice()),
            (&b"ready"[..], &b"x\nready\ny\n"[..])
        );
    }

    #[test]
    fn a_line_without_its_end_is_told_when_the_stream_ends() {
        let mut ready = Ready::new("ready", Recorder::default());
        let _ = ready.chunk(b"ready?");
        assert_eq!(ready.readiness(), None);
        ready.end(&StreamEnd::Eof);
        let readiness = ready.readiness().unwrap();
        let line = readiness.line().unwrap();
        assert_eq!(
            (line.bytes(), line.is_terminated()),
            (&b"ready?"[..], false)
        );
    }

    #[test]
    fn dropped_unended_it_tells_the_waiters_why() {
        let never = Ready::new("ready", Recorder::default());
        let waiter = never.waiter();
        drop(never);
        assert_eq!(waiter.wait(), Readiness::Ended(StreamEnd::NotStarted));

        let mut started = Ready::new("ready", Recorder::default());
        started.outcome.started = true;
        let waiter = started.waiter();
        let inner = started.into_inner();
        assert!(inner.calls.is_empty());
        assert_eq!(waiter.wait(), Readiness::Ended(StreamEnd::Killed));
    }

    #[test]
    fn splices_only_once_the_line_is_told() {
        let path = std::env::temp_dir().join(format!("procpump-ready-{}", std::process::id()));
        let file = crate::FileSink::create(&path).unwrap().zero_copy(true);
        let mut ready = Ready::new("ready", file);
        assert!(ready.splice_target().is_none());
        let _ = ready.chunk(b"not yet\n");
        assert!(ready.splice_target().is_none());
        let _ = ready.chunk(b"ready\n");
        assert_eq!(ready.splice_target().is_some(), cfg!(target_os = "linux"));
        assert_eq!(ready.spliced(10), Flow::Continue);
        assert_eq!(ready.into_inner().bytes(), 8 + 6 + 10);
        std::fs::remove_file(&path).unwrap();
    }
}
