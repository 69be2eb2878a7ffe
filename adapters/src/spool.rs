//! [`Spool`]: each child's output kept aside, in an unlinked temporary
//! file, and written out whole when it ends (GNU parallel's `--group`).

use std::fmt;
use std::io::{self, Write};
use std::path::PathBuf;

use procpump::{Flow, Sink, StreamEnd};

use crate::shared::SharedWriter;
use crate::spill::Spill;

/// Bytes a spool holds in memory before it moves them to a file: 64 KiB.
pub const DEFAULT_SPOOL_MEMORY: usize = 64 * 1024;

/// A writer shared by many children's [`SpoolSink`]s: each child's output
/// is kept aside while it runs and written out whole, under the writer's
/// lock, when its stream ends. Outputs of different children never mix.
///
/// A child's first bytes are kept in memory (up to
/// [`memory`](Spool::memory), default 64 KiB); past that they go to a
/// temporary file that has no name (a [`Spill`]): on Linux it is made with
/// `O_TMPFILE`, elsewhere (or where the file system refuses that) it is
/// created with mode 0600 and unlinked at once. Nothing is left on disk
/// when the run ends, nor when the process is killed.
///
/// # Examples
///
/// ```
/// # fn main() -> procpump::Result<()> {
/// use procpump::{Job, Reactor};
/// use procpump_adapters::Spool;
/// use std::process::Command;
///
/// let out = Spool::writer(Vec::new());
/// let mut reactor = Reactor::new()?;
/// for n in ["3", "2"] {
///     let mut seq = Command::new("seq");
///     seq.arg(n);
///     reactor.spawn(Job::new(seq).stdout(out.sink()));
/// }
/// drop(reactor.run()?);
/// let text = String::from_utf8(out.into_inner().unwrap()).unwrap();
/// assert!(text == "1\n2\n3\n1\n2\n" || text == "1\n2\n1\n2\n3\n");
/// # Ok(())
/// # }
/// ```
pub struct Spool<W> {
    writer: SharedWriter<W>,
    memory: usize,
    dir: Option<PathBuf>,
}

impl<W: Write + Send + 'static> Spool<W> {
    /// Shares `writer` (e.g. [`io::stdout()`], a `Vec<u8>`, a file).
    pub fn writer(writer: W) -> Spool<W> {
        Spool {
            writer: SharedWriter::new(writer),
            memory: DEFAULT_SPOOL_MEMORY,
            dir: None,
        }
    }

    /// Bytes of one child's output held in memory before they move to a
    /// file (for sinks made afterwards). Default: 64 KiB.
    pub fn memory(mut self, bytes: usize) -> Spool<W> {
        self.memory = bytes;
        self
    }

    /// Where the temporary files go. Default: [`std::env::temp_dir`]
    /// (`$TMPDIR`, or `/tmp`), read when a file is needed.
    pub fn temp_dir(mut self, dir: impl Into<PathBuf>) -> Spool<W> {
        self.dir = Some(dir.into());
        self
    }

    /// A sink for one child's stream.
    pub fn sink(&self) -> SpoolSink<W> {
        let mut spill = Spill::new(self.memory);
        if let Some(dir) = &self.dir {
            spill = spill.temp_dir(dir);
        }
        SpoolSink {
            writer: self.writer.clone(),
            spill,
            bytes: 0,
            error: None,
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
    pub fn into_inner(self) -> Result<W, Spool<W>> {
        let Spool {
            writer,
            memory,
            dir,
        } = self;
        match writer.into_inner() {
            Ok(writer) => Ok(writer),
            Err(writer) => Err(Spool {
                writer,
                memory,
                dir,
            }),
        }
    }
}

impl<W> Clone for Spool<W> {
    fn clone(&self) -> Spool<W> {
        Spool {
            writer: self.writer.clone(),
            memory: self.memory,
            dir: self.dir.clone(),
        }
    }
}

impl<W> fmt::Debug for Spool<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spool")
            .field("memory", &self.memory)
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// One child's stream, kept aside and then written whole to a shared
/// [`Spool`] writer.
///
/// If keeping or writing fails (a full disk), the first error is kept
/// ([`error`](SpoolSink::error)) and the stream is closed; what was kept
/// is still written out at the end.
///
/// # Examples
///
/// ```
/// use procpump::{Flow, Sink, StreamEnd};
/// use procpump_adapters::Spool;
///
/// let out = Spool::writer(Vec::new()).memory(4);
/// let mut sink = out.sink();
/// let _ = sink.chunk(b"kept ");
/// let _ = sink.chunk(b"aside");
/// assert!(sink.is_on_disk());
/// out.with(|written| assert!(written.is_empty()));
/// sink.end(&StreamEnd::Eof);
/// assert_eq!((sink.bytes(), sink.error().is_none()), (10, true));
/// drop(sink);
/// assert_eq!(out.into_inner().unwrap(), b"kept aside");
/// ```
pub struct SpoolSink<W> {
    writer: SharedWriter<W>,
    spill: Spill,
    bytes: u64,
    error: Option<io::Error>,
}

impl<W: Write> SpoolSink<W> {
    /// Bytes kept so far (and, after the end, written out).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// True while the output is kept in a temporary file (it outgrew the
    /// memory limit); false again once `end` has written it out.
    pub fn is_on_disk(&self) -> bool {
        self.spill.is_on_disk()
    }

    /// The first error, if keeping or writing out failed.
    pub fn error(&self) -> Option<&io::Error> {
        self.error.as_ref()
    }

    fn fail(&mut self, err: io::Error) -> Flow {
        log::warn!("spooling a child's output failed: {err}");
        self.error.get_or_insert(err);
        Flow::Close
    }

    /// Writes everything kept to the shared writer, under its lock.
    fn replay(&mut self) -> io::Result<()> {
        let mut writer = self.writer.lock();
        self.spill.write_to(&mut *writer)?;
        writer.flush()
    }
}

impl<W: Write> Sink for SpoolSink<W> {
    /// The first error ([`SpoolSink::error`]): it fails the stream.
    fn error(&self) -> Option<&io::Error> {
        self.error.as_ref()
    }

    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        if self.error.is_some() {
            return Flow::Close;
        }
        match self.spill.keep(chunk) {
            Ok(()) => {
                self.bytes += chunk.len() as u64;
                Flow::Continue
            }
            Err(err) => self.fail(err),
        }
    }

    fn end(&mut self, _end: &StreamEnd) {
        if let Err(err) = self.replay() {
            let _ = self.fail(err);
        }
    }
}

impl<W> fmt::Debug for SpoolSink<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpoolSink")
            .field("bytes", &self.bytes)
            .field("on_disk", &self.spill.is_on_disk())
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn fresh_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("procpump-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn is_empty(dir: &Path) -> bool {
        std::fs::read_dir(dir).unwrap().next().is_none()
    }

    #[test]
    fn output_moves_to_disk_past_the_memory_limit_and_replays_whole() {
        let dir = fresh_dir("spool-replay");
        let spool = Spool::writer(Vec::new()).memory(4).temp_dir(&dir);
        let mut sink = spool.sink();
        assert_eq!(sink.chunk(b"abc"), Flow::Continue);
        assert!(!sink.is_on_disk());
        assert_eq!(sink.chunk(b"def"), Flow::Continue);
        assert!(sink.is_on_disk());
        assert!(is_empty(&dir));
        spool.with(|out| assert!(out.is_empty()));
        sink.end(&StreamEnd::Eof);
        assert!(sink.error().is_none());
        drop(sink);
        assert_eq!(spool.into_inner().unwrap(), b"abcdef");
        std::fs::remove_dir(&dir).unwrap();
    }

    #[test]
    fn a_missing_directory_is_an_error_that_names_it() {
        let spool = Spool::writer(Vec::new())
            .memory(0)
            .temp_dir("/nonexistent-dir");
        let mut sink = spool.sink();
        assert_eq!(sink.chunk(b"x"), Flow::Close);
        assert!(sink
            .error()
            .unwrap()
            .to_string()
            .contains("/nonexistent-dir"));
    }
}
