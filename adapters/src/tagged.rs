//! [`Tagged`]: many children's lines onto one writer, each line whole and
//! prefixed by a tag (GNU parallel's `--tag --line-buffer`).

use std::fmt;
use std::io::{self, Write};

use procpump::{Flow, Sink, StreamContext, StreamEnd};

use crate::lines::{Line, LineHandler, Lines, DEFAULT_MAX_LINE};
use crate::shared::SharedWriter;

/// A writer shared by many children's [`TaggedSink`]s: the complete lines
/// of each chunk a child's sink takes are tagged into one buffer and
/// written with one `write_all` under the writer's lock (never one write
/// per line; with an empty tag they are written as they are, without a
/// copy), so lines of different children never interleave inside a line,
/// and a line-buffered writer such as [`io::stdout()`] makes one system
/// call per chunk, not per line.
///
/// Cheap to clone (the clones share the writer). A line not yet complete
/// is held by its child's sink, up to [`max_line`](Tagged::max_line)
/// bytes; a longer line is written in pieces, each tagged and ended with a
/// newline. A last line without a newline gets one. `\r\n` is kept.
///
/// # Examples
///
/// ```
/// # fn main() -> procpump::Result<()> {
/// use procpump::{Job, Reactor};
/// use procpump_adapters::Tagged;
/// use std::process::Command;
///
/// let out = Tagged::writer(Vec::new());
/// let mut reactor = Reactor::new()?;
/// for word in ["one", "two"] {
///     let mut printf = Command::new("printf");
///     printf.arg(format!("{word} a\\n{word} b\\n"));
///     reactor.spawn(Job::new(printf).stdout(out.sink(format!("[{word}] "))));
/// }
/// drop(reactor.run()?);
/// let text = String::from_utf8(out.into_inner().unwrap()).unwrap();
/// let mut lines: Vec<&str> = text.lines().collect();
/// lines.sort();
/// assert_eq!(lines, ["[one] one a", "[one] one b", "[two] two a", "[two] two b"]);
/// # Ok(())
/// # }
/// ```
pub struct Tagged<W> {
    writer: SharedWriter<W>,
    max_line: usize,
}

impl<W: Write + Send + 'static> Tagged<W> {
    /// Shares `writer` (e.g. [`io::stdout()`], a `Vec<u8>`, a pipe).
    pub fn writer(writer: W) -> Tagged<W> {
        Tagged {
            writer: SharedWriter::new(writer),
            max_line: DEFAULT_MAX_LINE,
        }
    }

    /// The longest line held whole, per child (sinks made afterwards).
    /// Default: 1 MiB.
    pub fn max_line(mut self, bytes: usize) -> Tagged<W> {
        self.max_line = bytes.max(1);
        self
    }

    /// A sink for one child's stream: its lines are written prefixed by
    /// `tag` (written as given: add a separator such as `"\t"` or `": "`).
    pub fn sink(&self, tag: impl Into<Vec<u8>>) -> TaggedSink<W> {
        let writer = TagWriter {
            writer: self.writer.clone(),
            tag: tag.into(),
            batch: Vec::new(),
            error: None,
        };
        TaggedSink {
            lines: Lines::with_handler(writer).max_line(self.max_line),
            direct_lines: 0,
        }
    }

    /// Runs `f` with the writer, under its lock.
    pub fn with<R>(&self, f: impl FnOnce(&mut W) -> R) -> R {
        self.writer.with(f)
    }

    /// Takes the writer back, if this is the last handle (the sinks hold
    /// one each: drop the reports first).
    ///
    /// # Errors
    ///
    /// Returns the handle itself while other handles exist.
    pub fn into_inner(self) -> Result<W, Tagged<W>> {
        let max_line = self.max_line;
        match self.writer.into_inner() {
            Ok(writer) => Ok(writer),
            Err(writer) => Err(Tagged { writer, max_line }),
        }
    }
}

impl<W> Clone for Tagged<W> {
    fn clone(&self) -> Tagged<W> {
        Tagged {
            writer: self.writer.clone(),
            max_line: self.max_line,
        }
    }
}

impl<W> fmt::Debug for Tagged<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tagged")
            .field("max_line", &self.max_line)
            .finish_non_exhaustive()
    }
}

/// One child's stream into a shared [`Tagged`] writer.
///
/// If writing fails, the first error is kept ([`error`](TaggedSink::error))
/// and the stream is closed.
///
/// # Examples
///
/// ```
/// use procpump::{Flow, Sink, StreamEnd};
/// use procpump_adapters::Tagged;
///
/// let out = Tagged::writer(Vec::new());
/// let (mut a, mut b) = (out.sink("a: "), out.sink("b: "));
/// let _ = a.chunk(b"one, ");
/// let _ = b.chunk(b"two\n");
/// let _ = a.chunk(b"three\n");
/// a.end(&StreamEnd::Eof);
/// assert_eq!((a.lines(), a.error().is_none()), (1, true));
/// drop((a, b));
/// assert_eq!(out.into_inner().unwrap(), b"b: two\na: one, three\n");
/// ```
pub struct TaggedSink<W> {
    lines: Lines<TagWriter<W>>,
    /// Lines written whole without going through `lines` (untagged).
    direct_lines: u64,
}

impl<W> TaggedSink<W> {
    /// The first write error, if writing failed.
    pub fn error(&self) -> Option<&io::Error> {
        self.lines.handler().error.as_ref()
    }

    /// Lines written (a long line written in pieces counts once).
    pub fn lines(&self) -> u64 {
        self.lines.lines() + self.direct_lines
    }
}

impl<W: Write> TaggedSink<W> {
    /// Without a tag, the complete lines of a chunk need no copy: they go
    /// out as they are, after the line held from earlier chunks (which
    /// `lines` completes), in one lock; only the unterminated rest goes
    /// through `lines`.
    fn chunk_untagged(&mut self, chunk: &[u8]) -> Flow {
        let Some(last) = memchr::memrchr(b'\n', chunk) else {
            return self.chunk_tagged(chunk);
        };
        let (mut whole, rest) = chunk.split_at(last + 1);
        if self.lines.held() > 0 {
            let first = memchr::memchr(b'\n', whole).unwrap_or(last);
            let flow = self.lines.chunk(&whole[..=first]);
            if flow != Flow::Continue {
                return after_batch(self.lines.handler_mut().write_batch(), flow);
            }
            whole = &whole[first + 1..];
        }
        self.direct_lines += memchr::memchr_iter(b'\n', whole).count() as u64;
        let written = self.lines.handler_mut().write_with(whole);
        if written == Flow::Close {
            return Flow::Close;
        }
        self.chunk_tagged(rest)
    }

    fn chunk_tagged(&mut self, chunk: &[u8]) -> Flow {
        let flow = self.lines.chunk(chunk);
        after_batch(self.lines.handler_mut().write_batch(), flow)
    }
}

impl<W: Write> Sink for TaggedSink<W> {
    /// The first write error ([`TaggedSink::error`]): it fails the stream.
    fn error(&self) -> Option<&io::Error> {
        TaggedSink::error(self)
    }

    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        if self.lines.handler().tag.is_empty() {
            self.chunk_untagged(chunk)
        } else {
            self.chunk_tagged(chunk)
        }
    }

    fn start(&mut self, context: &StreamContext<'_>) {
        self.lines.start(context);
    }

    fn resume(&mut self) -> Flow {
        let flow = self.lines.resume();
        after_batch(self.lines.handler_mut().write_batch(), flow)
    }

    fn end(&mut self, end: &StreamEnd) {
        // `Lines::end` hands over the last line, then calls the handler's
        // `end`, which writes the batch.
        self.lines.end(end);
    }
}

impl<W> fmt::Debug for TaggedSink<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaggedSink")
            .field("tag", &String::from_utf8_lossy(&self.lines.handler().tag))
            .field("lines", &self.lines.lines())
            .field("error", &self.error())
            .finish()
    }
}

/// The flow after a chunk: `Close` if writing the batch failed, else what
/// the lines asked for.
fn after_batch(written: Flow, flow: Flow) -> Flow {
    if written == Flow::Close {
        Flow::Close
    } else {
        flow
    }
}

/// Tags each line into a batch; the batch is written with one
/// `write_all` after each chunk (and when it grows past [`BATCH`]).
struct TagWriter<W> {
    writer: SharedWriter<W>,
    tag: Vec<u8>,
    batch: Vec<u8>,
    error: Option<io::Error>,
}

/// The most bytes a batch holds before it is written mid-chunk: 64 KiB.
const BATCH: usize = 64 * 1024;

impl<W: Write> TagWriter<W> {
    /// Writes the batch under the writer's lock. Returns `Close` once
    /// writing failed.
    fn write_batch(&mut self) -> Flow {
        self.write_with(&[])
    }

    /// Writes the batch, then `whole` (complete lines, not copied), under
    /// the lock, in one vectored write when the writer takes it whole.
    /// Returns `Close` once writing failed.
    fn write_with(&mut self, whole: &[u8]) -> Flow {
        if self.error.is_some() {
            return Flow::Close;
        }
        if self.batch.is_empty() && whole.is_empty() {
            return Flow::Continue;
        }
        let mut writer = self.writer.lock();
        let result = write_both(&mut *writer, &self.batch, whole);
        drop(writer);
        self.batch.clear();
        if self.batch.capacity() > 4 * BATCH {
            self.batch.shrink_to(BATCH);
        }
        match result {
            Ok(()) => Flow::Continue,
            Err(err) => {
                log::warn!("writing tagged lines failed: {err}");
                self.error = Some(err);
                Flow::Close
            }
        }
    }
}

/// Writes `first` then `second`, with `write_vectored` while both have
/// bytes left (retried on `Interrupted`), then `write_all`.
fn write_both(writer: &mut impl Write, mut first: &[u8], mut second: &[u8]) -> io::Result<()> {
    while !first.is_empty() && !second.is_empty() {
        let slices = [io::IoSlice::new(first), io::IoSlice::new(second)];
        match writer.write_vectored(&slices) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) if n < first.len() => first = &first[n..],
            Ok(n) => {
                second = &second[n - first.len()..];
                first = &[];
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    writer.write_all(first)?;
    writer.write_all(second)
}

impl<W: Write> LineHandler for TagWriter<W> {
    fn line(&mut self, line: Line<'_>) -> Flow {
        if self.error.is_some() {
            return Flow::Close;
        }
        self.batch.extend_from_slice(&self.tag);
        self.batch.extend_from_slice(line.bytes());
        let terminator = line.terminator();
        self.batch.extend_from_slice(if terminator.is_empty() {
            b"\n"
        } else {
            terminator
        });
        if self.batch.len() >= BATCH {
            return self.write_batch();
        }
        Flow::Continue
    }

    fn end(&mut self, _end: &StreamEnd) {
        let _ = self.write_batch();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records each `write` call.
    #[derive(Default)]
    struct Writes(Vec<Vec<u8>>);

    impl Write for Writes {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.push(buf.to_vec());
            Ok(buf.len())
        }

        fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
            self.0
                .push(bufs.iter().flat_map(|buf| buf.iter().copied()).collect());
            Ok(bufs.iter().map(|buf| buf.len()).sum())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_lines_of_a_chunk_go_out_in_one_write() {
        let out = Tagged::writer(Writes::default());
        let mut sink = out.sink("t\t");
        let _ = sink.chunk(b"a\nb\nc");
        let _ = sink.chunk(b"d\ne\n");
        sink.end(&StreamEnd::Eof);
        drop(sink);
        let writes = out.into_inner().unwrap().0;
        assert_eq!(writes, [&b"t\ta\nt\tb\n"[..], b"t\tcd\nt\te\n"]);
    }

    #[test]
    fn untagged_whole_lines_go_out_as_they_are() {
        let out = Tagged::writer(Writes::default());
        let mut sink = out.sink("");
        let _ = sink.chunk(b"a\nb");
        let _ = sink.chunk(b"c\nd\ne");
        let _ = sink.chunk(b"f\r");
        let _ = sink.chunk(b"\ng\n");
        sink.end(&StreamEnd::Eof);
        assert_eq!(sink.lines(), 5);
        drop(sink);
        let writes = out.into_inner().unwrap().0;
        // One write per chunk that ends a line.
        let expected: [&[u8]; 3] = [b"a\n", b"bc\nd\n", b"ef\r\ng\n"];
        assert_eq!(writes, expected);
    }

    #[test]
    fn a_big_chunk_goes_out_in_batches() {
        let out = Tagged::writer(Writes::default());
        let mut sink = out.sink("t ");
        let line = [b'x'; 1021];
        let mut chunk = Vec::new();
        for _ in 0..200 {
            chunk.extend_from_slice(&line);
            chunk.push(b'\n');
        }
        let _ = sink.chunk(&chunk);
        sink.end(&StreamEnd::Eof);
        drop(sink);
        let writes = out.into_inner().unwrap().0;
        assert_eq!(writes.len(), 4, "200 KiB in 64 KiB batches");
        let tagged: Vec<u8> = chunk
            .split_inclusive(|&b| b == b'\n')
            .flat_map(|line| [&b"t "[..], line].concat())
            .collect();
        assert_eq!(writes.concat(), tagged);
    }
}
