//! [`Lines`]: a sink that splits a stream into lines for a line handler.

use std::borrow::Cow;
use std::fmt;

use procpump::{Flow, Sink, StreamContext, StreamEnd};

use crate::backlog::{Backlog, Cutter};

/// The longest line [`Lines`] holds by default: 1 MiB.
pub const DEFAULT_MAX_LINE: usize = 1024 * 1024;

/// What [`Lines`] does with a line longer than its maximum.
///
/// # Examples
///
/// ```
/// use procpump::{Flow, Sink};
/// use procpump_adapters::{Line, LongLines, Lines};
///
/// let mut got = Vec::new();
/// let mut lines = Lines::new(|line: Line<'_>| {
///     got.push((line.bytes().to_vec(), line.truncated()));
///     Flow::Continue
/// })
/// .max_line(4)
/// .long_lines(LongLines::Truncate);
/// let _ = lines.chunk(b"abcdefgh\nxy\n");
/// drop(lines);
/// assert_eq!(got, [(b"abcd".to_vec(), 4), (b"xy".to_vec(), 0)]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LongLines {
    /// Deliver it in pieces of the maximum length; every piece but the last
    /// is flagged [`Line::is_partial`]. Nothing is lost. The default.
    #[default]
    Split,
    /// Deliver its first bytes, up to the maximum, and count the rest in
    /// [`Line::truncated`].
    Truncate,
}

/// One line, or one piece of a long line, as handed to a [`LineHandler`].
///
/// # Examples
///
/// ```
/// use procpump::{Flow, Sink};
/// use procpump_adapters::{Line, Lines};
///
/// let mut seen = Vec::new();
/// let mut lines = Lines::new(|line: Line<'_>| {
///     seen.push(format!("{}|{:?}", line.text_lossy(), line.terminator()));
///     Flow::Continue
/// });
/// let _ = lines.chunk(b"one\r\ntwo\nthree");
/// lines.end(&procpump::StreamEnd::Eof);
/// drop(lines);
/// assert_eq!(seen, ["one|[13, 10]", "two|[10]", "three|[]"]);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    bytes: &'a [u8],
    terminator: &'static [u8],
    partial: bool,
    truncated: u64,
    number: u64,
}

impl<'a> Line<'a> {
    /// The line's bytes, without its terminator (`\n` or `\r\n`).
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The line as text, invalid UTF-8 replaced by U+FFFD. A piece of a
    /// long line may end or start in the middle of a character: use
    /// [`Utf8`](crate::Utf8) on the stream for text that never splits one.
    pub fn text_lossy(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.bytes)
    }

    /// What ended the line: `b"\n"`, `b"\r\n"`, or nothing (a piece of a
    /// long line, or the stream's last line when it had no newline).
    pub fn terminator(&self) -> &'static [u8] {
        self.terminator
    }

    /// True when a newline ended this line: false for a piece of a long
    /// line and for an unterminated last line.
    pub fn is_terminated(&self) -> bool {
        !self.terminator.is_empty()
    }

    /// True for a piece of a line longer than the maximum, with more of the
    /// same line to come ([`LongLines::Split`]). The last piece is not
    /// partial.
    pub fn is_partial(&self) -> bool {
        self.partial
    }

    /// Bytes of this line dropped past the maximum ([`LongLines::Truncate`]);
    /// 0 when nothing was dropped.
    pub fn truncated(&self) -> u64 {
        self.truncated
    }

    /// The line's number, counted from 0; the pieces of one long line share
    /// it.
    pub fn number(&self) -> u64 {
        self.number
    }
}

impl fmt::Debug for Line<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Line")
            .field("text", &self.text_lossy())
            .field("terminator", &self.terminator)
            .field("partial", &self.partial)
            .field("truncated", &self.truncated)
            .field("number", &self.number)
            .finish()
    }
}

/// Where [`Lines`] hands each line.
///
/// Closures `FnMut(Line<'_>) -> Flow` are line handlers. A handler of your
/// own type can be taken back after the run with
/// [`Report::take_sink`](procpump::Report::take_sink) as `Lines<YourType>`
/// and [`Lines::into_handler`], which is how its results are read.
///
/// # Examples
///
/// ```
/// # fn main() -> procpump::Result<()> {
/// use procpump::{Flow, Job, Reactor, Stream};
/// use procpump_adapters::{Line, LineHandler, Lines};
/// use std::process::Command;
///
/// /// Keeps the lines that mention an error.
/// #[derive(Default)]
/// struct Errors(Vec<String>);
///
/// impl LineHandler for Errors {
///     fn line(&mut self, line: Line<'_>) -> Flow {
///         if line.bytes().starts_with(b"error") {
///             self.0.push(line.text_lossy().into_owned());
///         }
///         Flow::Continue
///     }
/// }
///
/// let mut reactor = Reactor::new()?;
/// let mut printf = Command::new("printf");
/// printf.arg("ok\nerror: disk\nok\n");
/// reactor.spawn(Job::new(printf).stdout(Lines::with_handler(Errors::default())));
/// let mut report = reactor.run()?.remove(0);
/// let errors = report.take_sink::<Lines<Errors>>(Stream::Stdout).unwrap();
/// assert_eq!(errors.into_handler().0, ["error: disk"]);
/// # Ok(())
/// # }
/// ```
pub trait LineHandler {
    /// Takes the next line (or piece of a long line). Returns what the
    /// reactor should do next, as [`Sink::chunk`] does; after a pause the
    /// lines still to come are kept until the stream is resumed.
    fn line(&mut self, line: Line<'_>) -> Flow;

    /// As [`Sink::start`]: the stream started. Does nothing by default.
    fn start(&mut self, context: &StreamContext<'_>) {
        let _ = context;
    }

    /// As [`Sink::resume`]: a paused stream is being resumed. Returns
    /// [`Flow::Continue`] by default.
    fn resume(&mut self) -> Flow {
        Flow::Continue
    }

    /// As [`Sink::end`]: the stream ended, after its last line was
    /// delivered. Does nothing by default.
    fn end(&mut self, end: &StreamEnd) {
        let _ = end;
    }
}

impl<F> LineHandler for F
where
    F: FnMut(Line<'_>) -> Flow,
{
    fn line(&mut self, line: Line<'_>) -> Flow {
        self(line)
    }
}

/// A line handler made of a state and a plain function: its type can be
/// named, so it can be taken back after the run. See [`Lines::with_state`].
///
/// # Examples
///
/// ```
/// use procpump::{Flow, Sink, StreamEnd};
/// use procpump_adapters::{Line, Lines};
///
/// let mut longest = Lines::with_state(0usize, |max: &mut usize, line: Line<'_>| {
///     *max = (*max).max(line.bytes().len());
///     Flow::Continue
/// });
/// let _ = longest.chunk(b"a\nabc\nab");
/// longest.end(&StreamEnd::Eof);
/// assert_eq!(*longest.handler().state(), 3);
/// assert_eq!(longest.into_handler().into_state(), 3);
/// ```
pub struct Stateful<T> {
    state: T,
    function: fn(&mut T, Line<'_>) -> Flow,
}

impl<T> Stateful<T> {
    /// The state.
    pub fn state(&self) -> &T {
        &self.state
    }

    /// Takes the state out.
    pub fn into_state(self) -> T {
        self.state
    }
}

impl<T> LineHandler for Stateful<T> {
    fn line(&mut self, line: Line<'_>) -> Flow {
        (self.function)(&mut self.state, line)
    }
}

impl<T: fmt::Debug> fmt::Debug for Stateful<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stateful")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// [`Lines`] whose handler is a state and a function, as made by
/// [`Lines::with_state`].
pub type StatefulLines<T> = Lines<Stateful<T>>;

/// A sink that splits the stream into lines and hands each to a
/// [`LineHandler`].
///
/// - Lines end with `\n` or `\r\n`; the terminator is stripped (and told by
///   [`Line::terminator`]). A last line without a newline is delivered when
///   the stream ends.
/// - Memory is bounded whatever the child prints: a line longer than
///   [`max_line`](Lines::max_line) (default 1 MiB) is split in pieces or
///   truncated ([`LongLines`]); at most that much is held.
/// - Each byte is scanned once, however the stream is cut into chunks: a
///   long line is never rescanned.
/// - Lines inside a chunk are handed over without copying.
///
/// # Examples
///
/// ```
/// # fn main() -> procpump::Result<()> {
/// use procpump::{Flow, Job, Reactor, Stream};
/// use procpump_adapters::{Line, Lines, StatefulLines};
/// use std::process::Command;
///
/// let mut reactor = Reactor::new()?;
/// let mut printf = Command::new("printf");
/// printf.arg("alpha\nbeta\r\ngamma");
/// let lines = Lines::with_state(Vec::new(), |seen: &mut Vec<String>, line: Line<'_>| {
///     seen.push(line.text_lossy().into_owned());
///     Flow::Continue
/// });
/// reactor.spawn(Job::new(printf).stdout(lines));
/// let mut report = reactor.run()?.remove(0);
/// let lines: StatefulLines<Vec<String>> = report.take_sink(Stream::Stdout).unwrap();
/// assert_eq!(lines.into_handler().into_state(), ["alpha", "beta", "gamma"]);
/// # Ok(())
/// # }
/// ```
pub struct Lines<H> {
    handler: H,
    splitter: Splitter,
    backlog: Backlog,
}

impl<F> Lines<F>
where
    F: FnMut(Line<'_>) -> Flow,
{
    /// Lines handed to the closure `handler`.
    pub fn new(handler: F) -> Lines<F> {
        Lines::with_handler(handler)
    }
}

impl<T> Lines<Stateful<T>> {
    /// Lines handed to `function` along with `state`, which can be taken
    /// back after the run (the sink's type, [`StatefulLines<T>`], can be
    /// named; a closure's cannot). `function` is a plain function or a
    /// closure that captures nothing.
    pub fn with_state(state: T, function: fn(&mut T, Line<'_>) -> Flow) -> Lines<Stateful<T>> {
        Lines::with_handler(Stateful { state, function })
    }
}

impl<H: LineHandler> Lines<H> {
    /// Lines handed to `handler`, a [`LineHandler`] of any type.
    pub fn with_handler(handler: H) -> Lines<H> {
        Lines {
            handler,
            splitter: Splitter::new(DEFAULT_MAX_LINE, LongLines::Split),
            backlog: Backlog::default(),
        }
    }

    /// The longest line, in bytes without its terminator, that is handed
    /// over whole (at least 1). Default: [`DEFAULT_MAX_LINE`].
    pub fn max_line(mut self, bytes: usize) -> Lines<H> {
        self.splitter.max = bytes.max(1);
        self
    }

    /// What to do with longer lines. Default: [`LongLines::Split`].
    pub fn long_lines(mut self, policy: LongLines) -> Lines<H> {
        self.splitter.policy = policy;
        self
    }
}

impl<H> Lines<H> {
    /// The handler.
    pub fn handler(&self) -> &H {
        &self.handler
    }

    /// The handler, to change it.
    pub fn handler_mut(&mut self) -> &mut H {
        &mut self.handler
    }

    /// Takes the handler out (after the run, to read its results).
    pub fn into_handler(self) -> H {
        self.handler
    }

    /// Lines handed over so far (the pieces of a long line count once).
    pub fn lines(&self) -> u64 {
        self.splitter.number
    }

    /// Bytes held for a line not yet complete, at most the maximum plus
    /// one (for a `\r` that may start a `\r\n`).
    pub fn held(&self) -> usize {
        self.splitter.buf.len()
    }
}

impl<H: LineHandler> Sink for Lines<H> {
    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        let (splitter, handler) = (&mut self.splitter, &mut self.handler);
        self.backlog.chunk(chunk, splitter, handler)
    }

    fn start(&mut self, context: &StreamContext<'_>) {
        self.handler.start(context);
    }

    fn resume(&mut self) -> Flow {
        let resumed = self.handler.resume();
        let (splitter, handler) = (&mut self.splitter, &mut self.handler);
        self.backlog.resume(resumed, splitter, handler)
    }

    fn end(&mut self, end: &StreamEnd) {
        let (splitter, handler) = (&mut self.splitter, &mut self.handler);
        self.backlog.end(splitter, handler);
        handler.end(end);
    }
}

impl<H> fmt::Debug for Lines<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lines")
            .field("max_line", &self.splitter.max)
            .field("long_lines", &self.splitter.policy)
            .field("lines", &self.splitter.number)
            .field("held", &self.splitter.buf.len())
            .finish_non_exhaustive()
    }
}

/// The splitting itself: the start of the current line, when it spans
/// chunks, and how much of it was dropped.
struct Splitter {
    max: usize,
    policy: LongLines,
    /// The current line's bytes from earlier chunks: at most `max + 1`
    /// (the extra byte is a `\r` that may turn out to start `\r\n`).
    buf: Vec<u8>,
    /// [`LongLines::Truncate`]: bytes of the current line dropped so far.
    dropped: u64,
    /// The last dropped byte was a `\r` (part of `\r\n` if `\n` follows).
    dropped_cr: bool,
    /// The current line's number.
    number: u64,
}

impl Splitter {
    fn new(max: usize, policy: LongLines) -> Splitter {
        Splitter {
            max,
            policy,
            buf: Vec::new(),
            dropped: 0,
            dropped_cr: false,
            number: 0,
        }
    }

    /// Splits `bytes` and hands the lines to `handler`. Returns the first
    /// flow other than `Continue` (or `Continue`) and how many bytes were
    /// used: the rest must be given again after a pause.
    fn split(&mut self, bytes: &[u8], handler: &mut impl LineHandler) -> (Flow, usize) {
        let mut at = 0;
        for newline in memchr::memchr_iter(b'\n', bytes) {
            let (flow, used) = self.complete(&bytes[at..newline], handler);
            at += used;
            if flow != Flow::Continue {
                return (flow, at);
            }
        }
        let (flow, used) = self.extend(&bytes[at..], handler);
        (flow, at + used)
    }

    /// The current line ends with `tail` and a newline. Returns the flow
    /// and how much of `tail` and its newline was used: all of it once the
    /// line was handed over, less if the handler paused or closed on a
    /// piece before.
    fn complete(&mut self, tail: &[u8], handler: &mut impl LineHandler) -> (Flow, usize) {
        if self.buf.is_empty() && self.dropped == 0 {
            return self.complete_in_place(tail, handler);
        }
        let (flow, used) = self.extend(tail, handler);
        if flow != Flow::Continue {
            return (flow, used);
        }
        (self.deliver_held(true, handler), tail.len() + 1)
    }

    /// A line wholly inside one chunk: handed over without copying.
    fn complete_in_place(&mut self, line: &[u8], handler: &mut impl LineHandler) -> (Flow, usize) {
        let (content, terminator) = strip_cr(line);
        let mut at = 0;
        let mut truncated = 0;
        match self.policy {
            LongLines::Split => {
                while content.len() - at > self.max {
                    let flow = handler.line(self.piece(&content[at..at + self.max]));
                    at += self.max;
                    if flow != Flow::Continue {
                        return (flow, at);
                    }
                }
            }
            LongLines::Truncate => truncated = content.len().saturating_sub(self.max) as u64,
        }
        let end = content.len().min(at + self.max);
        let flow = handler.line(self.whole(&content[at..end], terminator, truncated));
        (flow, line.len() + 1)
    }

    /// Adds `bytes` (no newline among them) to the current line, handing
    /// over pieces of it that exceed the maximum ([`LongLines::Split`]) or
    /// dropping them ([`LongLines::Truncate`]). Returns the flow and how
    /// many bytes were used.
    fn extend(&mut self, bytes: &[u8], handler: &mut impl LineHandler) -> (Flow, usize) {
        match self.policy {
            LongLines::Split => self.extend_split(bytes, handler),
            LongLines::Truncate => {
                self.extend_truncate(bytes);
                (Flow::Continue, bytes.len())
            }
        }
    }

    fn extend_split(&mut self, bytes: &[u8], handler: &mut impl LineHandler) -> (Flow, usize) {
        let limit = self.max + 1;
        let mut at = 0;
        while at < bytes.len() {
            let take = (limit - self.buf.len()).min(bytes.len() - at);
            self.hold(&bytes[at..at + take]);
            at += take;
            // A full buffer holds a piece and one byte more: unless that
            // byte is a `\r` that may yet start `\r\n` (it is the last one
            // we have), the piece is certainly not the line's end.
            let full = self.buf.len() == limit;
            if full && !(at == bytes.len() && self.buf[self.max] == b'\r') {
                let flow = handler.line(self.piece(&self.buf[..self.max]));
                self.buf.drain(..self.max);
                if flow != Flow::Continue {
                    return (flow, at);
                }
            }
        }
        (Flow::Continue, bytes.len())
    }

    fn extend_truncate(&mut self, bytes: &[u8]) {
        let take = (self.max - self.buf.len()).min(bytes.len());
        self.hold(&bytes[..take]);
        if take < bytes.len() {
            self.dropped += (bytes.len() - take) as u64;
            self.dropped_cr = bytes.last() == Some(&b'\r');
        }
    }

    /// Appends to the held line, growing the buffer no further than
    /// `max + 1`.
    fn hold(&mut self, bytes: &[u8]) {
        let needed = self.buf.len() + bytes.len();
        if needed > self.buf.capacity() {
            let target = needed.max(self.buf.capacity() * 2).min(self.max + 1);
            self.buf.reserve_exact(target.max(needed) - self.buf.len());
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Hands over the held line: `terminated` by a newline, or the last
    /// line of the stream.
    fn deliver_held(&mut self, terminated: bool, handler: &mut impl LineHandler) -> Flow {
        let mut truncated = self.dropped;
        let mut len = self.buf.len();
        let mut terminator: &'static [u8] = if terminated { b"\n" } else { b"" };
        if terminated && self.dropped_cr && truncated > 0 {
            truncated -= 1;
            terminator = b"\r\n";
        } else if terminated && truncated == 0 && self.buf.last() == Some(&b'\r') {
            len -= 1;
            terminator = b"\r\n";
        }
        let mut flow = Flow::Continue;
        let stop = |flow| matches!(flow, Flow::Close | Flow::Discard);
        if len > self.max {
            // Only at the end of the stream: a full buffer and its `\r`.
            flow = handler.line(self.piece(&self.buf[..self.max]));
            self.buf.drain(..self.max);
            len -= self.max;
        }
        let line = Line {
            bytes: &self.buf[..len],
            terminator,
            partial: false,
            truncated,
            number: self.number,
        };
        if !stop(flow) {
            flow = handler.line(line).most_urgent(flow);
        }
        self.next_line();
        flow
    }

    /// The stream ended: hands over the unterminated last line, if any.
    fn finish(&mut self, handler: &mut impl LineHandler) {
        if !self.buf.is_empty() || self.dropped > 0 {
            let _ = self.deliver_held(false, handler);
        }
    }

    fn next_line(&mut self) {
        self.buf.clear();
        self.dropped = 0;
        self.dropped_cr = false;
        self.number += 1;
    }

    fn piece<'a>(&self, bytes: &'a [u8]) -> Line<'a> {
        Line {
            bytes,
            terminator: b"",
            partial: true,
            truncated: 0,
            number: self.number,
        }
    }

    /// The last (or only) piece of the current line; counts the line.
    fn whole<'a>(
        &mut self,
        bytes: &'a [u8],
        terminator: &'static [u8],
        truncated: u64,
    ) -> Line<'a> {
        let number = self.number;
        self.number += 1;
        Line {
            bytes,
            terminator,
            partial: false,
            truncated,
            number,
        }
    }
}

impl<H: LineHandler> Cutter<H> for Splitter {
    fn cut(&mut self, bytes: &[u8], handler: &mut H) -> (Flow, usize) {
        self.split(bytes, handler)
    }

    fn finish(&mut self, handler: &mut H) {
        Splitter::finish(self, handler);
    }
}

/// Splits a line's `\r` (of `\r\n`) from its content.
fn strip_cr(line: &[u8]) -> (&[u8], &'static [u8]) {
    match line.strip_suffix(b"\r") {
        Some(content) => (content, b"\r\n"),
        None => (line, b"\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the tests compare: bytes, terminator, partial, truncated, number.
    type Got = (Vec<u8>, Vec<u8>, bool, u64, u64);

    fn collect(max: usize, policy: LongLines, chunks: &[&[u8]]) -> Vec<Got> {
        let mut got = Vec::new();
        let mut lines = Lines::new(|line: Line<'_>| {
            got.push((
                line.bytes().to_vec(),
                line.terminator().to_vec(),
                line.is_partial(),
                line.truncated(),
                line.number(),
            ));
            Flow::Continue
        })
        .max_line(max)
        .long_lines(policy);
        for chunk in chunks {
            assert_eq!(lines.chunk(chunk), Flow::Continue);
            assert!(lines.held() <= max + 1);
        }
        lines.end(&StreamEnd::Eof);
        got
    }

    fn line(text: &str, terminator: &str, partial: bool, truncated: u64, number: u64) -> Got {
        let bytes = text.as_bytes().to_vec();
        (
            bytes,
            terminator.as_bytes().to_vec(),
            partial,
            truncated,
            number,
        )
    }

    #[test]
    fn splits_on_newlines_and_crlf_across_chunks() {
        let got = collect(100, LongLines::Split, &[b"ab", b"c\r", b"\nd\n\n", b"e"]);
        assert_eq!(
            got,
            [
                line("abc", "\r\n", false, 0, 0),
                line("d", "\n", false, 0, 1),
                line("", "\n", false, 0, 2),
                line("e", "", false, 0, 3),
            ]
        );
    }

    #[test]
    fn a_lone_cr_at_the_end_is_content() {
        let got = collect(100, LongLines::Split, &[b"a\r", b"b\r"]);
        assert_eq!(got, [line("a\rb\r", "", false, 0, 0)]);
    }

    #[test]
    fn long_lines_split_at_the_maximum() {
        let got = collect(3, LongLines::Split, &[b"abcdefg\nhi", b"jklmn\n"]);
        assert_eq!(
            got,
            [
                line("abc", "", true, 0, 0),
                line("def", "", true, 0, 0),
                line("g", "\n", false, 0, 0),
                line("hij", "", true, 0, 1),
                line("klm", "", true, 0, 1),
                line("n", "\n", false, 0, 1),
            ]
        );
    }

    #[test]
    fn a_piece_never_ends_with_the_cr_of_crlf() {
        let got = collect(3, LongLines::Split, &[b"abc\r", b"\n", b"abc\r"]);
        assert_eq!(
            got,
            [
                line("abc", "\r\n", false, 0, 0),
                line("abc", "", true, 0, 1),
                line("\r", "", false, 0, 1),
            ]
        );
    }

    #[test]
    fn long_lines_truncate_and_count() {
        let got = collect(
            3,
            LongLines::Truncate,
            &[b"abcdefg\r\nhi", b"jk\r", b"\nxyz\r"],
        );
        assert_eq!(
            got,
            [
                line("abc", "\r\n", false, 4, 0),
                line("hij", "\r\n", false, 1, 1),
                line("xyz", "", false, 1, 2),
            ]
        );
    }

    #[test]
    fn pausing_keeps_the_rest_of_the_chunk_until_resumed() {
        let mut seen = Vec::new();
        let mut lines = Lines::new(|line: Line<'_>| {
            seen.push(line.text_lossy().into_owned());
            if line.bytes() == b"b" {
                Flow::Pause
            } else {
                Flow::Continue
            }
        });
        assert_eq!(lines.chunk(b"a\nb\nc\nd"), Flow::Pause);
        assert_eq!(lines.resume(), Flow::Continue);
        assert_eq!(lines.chunk(b"e\n"), Flow::Continue);
        lines.end(&StreamEnd::Eof);
        drop(lines);
        assert_eq!(seen, ["a", "b", "c", "de"]);
    }

    #[test]
    fn memory_stays_bounded_for_an_endless_line() {
        let mut pieces = 0u64;
        let mut lines = Lines::new(|line: Line<'_>| {
            assert!(line.bytes().len() == 1000);
            pieces += 1;
            Flow::Continue
        })
        .max_line(1000);
        let chunk = vec![b'x'; 64 * 1024];
        for _ in 0..100 {
            let _ = lines.chunk(&chunk);
            assert!(lines.splitter.buf.capacity() <= 1001);
        }
        drop(lines);
        assert_eq!(pieces, 6553);
    }
}
