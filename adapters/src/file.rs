//! [`FileSink`]: writes a stream to a file, zero-copy where it can.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

use procpump::{Flow, Sink, StreamEnd};

/// A sink that writes the stream to a file.
///
/// - Open it by path ([`create`](FileSink::create),
///   [`create_new`](FileSink::create_new), [`append`](FileSink::append)) or
///   hand it an open [`File`] ([`from_file`](FileSink::from_file)).
/// - On Linux, with [`zero_copy(true)`](FileSink::zero_copy), when the
///   file is a regular file not opened for appending, the reactor moves
///   the bytes from the pipe into it with `splice(2)`
///   ([`Sink::splice_target`]): they never pass through user space. The
///   kernel refuses to splice into files opened with `O_APPEND`; those are
///   written with `write(2)`, as on other platforms. Off by default: on
///   the machine this was measured on, the kernel's copy from the pipe's
///   pages into the page cache made splicing slower (0.4–1.8 GB/s, varying
///   run to run) than reading and writing (about 2 GB/s, steady); measure
///   on yours with the `compare-adapters` benchmark.
/// - Optionally [`sync`](FileSink::sync)s the file to disk at the end.
/// - A failure (a full disk, typically) is never silent: the first error
///   is kept, naming the path ([`error`](FileSink::error)), logged, and the
///   stream is closed, so the child's next write fails too.
///
/// # Examples
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use procpump::{Job, Reactor, Stream};
/// use procpump_adapters::FileSink;
/// use std::process::Command;
///
/// let path = std::env::temp_dir().join(format!("procpump-doc-{}.txt", std::process::id()));
/// let mut reactor = Reactor::new()?;
/// let mut seq = Command::new("seq");
/// seq.arg("3");
/// reactor.spawn(Job::new(seq).stdout(FileSink::create(&path)?.sync(true)));
/// let mut report = reactor.run()?.remove(0);
/// let file: FileSink = report.take_sink(Stream::Stdout).unwrap();
/// assert!(file.error().is_none());
/// assert_eq!(file.bytes(), 6);
/// assert_eq!(std::fs::read_to_string(&path)?, "1\n2\n3\n");
/// std::fs::remove_file(&path)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct FileSink {
    file: File,
    path: PathBuf,
    sync: bool,
    /// Splicing is possible and wanted.
    splice: bool,
    bytes: u64,
    spliced: u64,
    error: Option<io::Error>,
}

impl FileSink {
    /// Creates the file, or truncates it if it exists (as
    /// [`File::create`]).
    ///
    /// # Errors
    ///
    /// When the file cannot be opened; the error names the path.
    pub fn create(path: impl AsRef<Path>) -> io::Result<FileSink> {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        FileSink::open(path.as_ref(), &options, "create")
    }

    /// Creates the file, failing if it exists.
    ///
    /// # Errors
    ///
    /// When the file exists or cannot be created; the error names the path.
    pub fn create_new(path: impl AsRef<Path>) -> io::Result<FileSink> {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        FileSink::open(path.as_ref(), &options, "create")
    }

    /// Opens the file for appending, creating it if needed. Appending
    /// rules out splicing: the bytes are written.
    ///
    /// # Errors
    ///
    /// When the file cannot be opened; the error names the path.
    pub fn append(path: impl AsRef<Path>) -> io::Result<FileSink> {
        let mut options = OpenOptions::new();
        options.append(true).create(true);
        FileSink::open(path.as_ref(), &options, "open for appending")
    }

    /// Writes to a file already open for writing, from its current
    /// position. `path` only names it in errors.
    pub fn from_file(file: File, path: impl Into<PathBuf>) -> FileSink {
        FileSink {
            file,
            path: path.into(),
            sync: false,
            splice: false,
            bytes: 0,
            spliced: 0,
            error: None,
        }
    }

    fn open(path: &Path, options: &OpenOptions, what: &str) -> io::Result<FileSink> {
        let file = options
            .open(path)
            .map_err(|err| with_path(err, what, path))?;
        Ok(FileSink::from_file(file, path))
    }

    /// Flushes the file to disk (`fsync`) when the stream ends. Default:
    /// off.
    pub fn sync(mut self, sync: bool) -> FileSink {
        self.sync = sync;
        self
    }

    /// Lets the reactor splice into the file, where possible (Linux, a
    /// regular file, not appending). Default: off (see above).
    pub fn zero_copy(mut self, zero_copy: bool) -> FileSink {
        self.splice = zero_copy && splice_possible(&self.file);
        self
    }

    /// The path, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes written to the file.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Of those, bytes spliced (moved without a copy).
    pub fn spliced_bytes(&self) -> u64 {
        self.spliced
    }

    /// The first error, naming the path: writing failed (the stream was
    /// then closed) or syncing failed.
    pub fn error(&self) -> Option<&io::Error> {
        self.error.as_ref()
    }

    /// Takes the first error, if any.
    pub fn take_error(&mut self) -> Option<io::Error> {
        self.error.take()
    }

    /// Takes the file back.
    pub fn into_file(self) -> File {
        self.file
    }

    /// Turns the result into one: the bytes written, or the first error.
    ///
    /// # Errors
    ///
    /// The first error met, naming the path.
    pub fn finish(self) -> io::Result<u64> {
        match self.error {
            Some(err) => Err(err),
            None => Ok(self.bytes),
        }
    }

    fn fail(&mut self, err: io::Error, what: &str) {
        let err = with_path(err, what, &self.path);
        log::warn!("{err}");
        self.error.get_or_insert(err);
    }
}

impl Sink for FileSink {
    /// The first error ([`FileSink::error`]): it fails the stream.
    fn error(&self) -> Option<&io::Error> {
        self.error.as_ref()
    }

    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        if self.error.is_some() {
            return Flow::Close;
        }
        match self.file.write_all(chunk) {
            Ok(()) => {
                self.bytes += chunk.len() as u64;
                Flow::Continue
            }
            Err(err) => {
                self.fail(err, "write to");
                Flow::Close
            }
        }
    }

    fn splice_target(&mut self) -> Option<BorrowedFd<'_>> {
        (self.splice && self.error.is_none()).then(|| self.file.as_fd())
    }

    fn spliced(&mut self, bytes: usize) -> Flow {
        self.bytes += bytes as u64;
        self.spliced += bytes as u64;
        Flow::Continue
    }

    fn end(&mut self, _end: &StreamEnd) {
        if self.sync {
            if let Err(err) = self.file.sync_all() {
                self.fail(err, "sync");
            }
        }
    }
}

/// Adds what failed and the path to an error's message, keeping its kind.
fn with_path(err: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(
        err.kind(),
        format!("cannot {what} {}: {err}", path.display()),
    )
}

/// True on Linux when `file` is a regular file not open for appending: the
/// kernel splices into those.
fn splice_possible(file: &File) -> bool {
    if !cfg!(target_os = "linux") {
        return false;
    }
    let regular = file.metadata().is_ok_and(|meta| meta.is_file());
    let appending = rustix::fs::fcntl_getfl(file)
        .map_or(true, |flags| flags.contains(rustix::fs::OFlags::APPEND));
    regular && !appending
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_kept_named_and_closes_the_stream() {
        let Ok(full) = OpenOptions::new().write(true).open("/dev/full") else {
            return;
        };
        let mut sink = FileSink::from_file(full, "/dev/full");
        assert!(sink.splice_target().is_none());
        assert_eq!(sink.chunk(b"hello"), Flow::Close);
        let err = sink.error().unwrap();
        assert_eq!(err.raw_os_error(), None);
        assert!(err.to_string().contains("/dev/full"), "{err}");
        assert_eq!(sink.chunk(b"again"), Flow::Close);
        assert!(sink.finish().is_err());
    }

    #[test]
    fn errors_opening_name_the_path() {
        let err = FileSink::create("/nonexistent-dir/x").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(err.to_string().contains("/nonexistent-dir/x"), "{err}");
    }

    #[test]
    fn appending_is_never_spliced() {
        let path = std::env::temp_dir().join(format!("procpump-append-{}", std::process::id()));
        let mut sink = FileSink::append(&path).unwrap().zero_copy(true);
        assert!(sink.splice_target().is_none());
        let mut sink2 = FileSink::create(&path).unwrap();
        assert!(sink2.splice_target().is_none());
        let mut sink2 = sink2.zero_copy(true);
        assert_eq!(sink2.splice_target().is_some(), cfg!(target_os = "linux"));
        assert_eq!(sink.chunk(b"ab"), Flow::Continue);
        std::fs::remove_file(&path).unwrap();
    }
}
