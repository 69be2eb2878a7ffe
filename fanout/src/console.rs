//! The terminal: stdout and stderr, buffered and shared by the sinks, the
//! progress line's place on the terminal, and the byte counter for its
//! rate.

use std::io::{self, BufWriter, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use procpump::{Flow, Sink};

/// The progress line on stderr, drawn only when stderr is a terminal, and
/// cleared before any other output lands on that terminal.
#[derive(Debug)]
pub(crate) struct StatusLine {
    pub(crate) enabled: bool,
    pub(crate) shown: AtomicBool,
}

impl StatusLine {
    pub(crate) fn clear(&self) {
        if self.shown.swap(false, Ordering::Relaxed) {
            let _ = io::stderr().write_all(b"\r\x1b[K");
        }
    }

    pub(crate) fn draw(&self, text: &str) {
        if self.enabled {
            let _ = write!(io::stderr(), "\r{text}\x1b[K");
            self.shown.store(true, Ordering::Relaxed);
        }
    }
}

/// stdout or stderr, buffered (flushed after every turn of the reactor),
/// shared by every sink that writes there. Writing clears the progress
/// line first when this stream shows on the same terminal.
#[derive(Clone)]
pub(crate) struct Console {
    inner: Arc<Mutex<ConsoleInner>>,
}

pub(crate) struct ConsoleInner {
    out: BufWriter<Box<dyn Write + Send>>,
    status: Arc<StatusLine>,
    on_screen: bool,
}

impl Console {
    pub(crate) fn new(
        out: Box<dyn Write + Send>,
        on_screen: bool,
        status: &Arc<StatusLine>,
    ) -> Console {
        let inner = ConsoleInner {
            out: BufWriter::with_capacity(64 * 1024, out),
            status: Arc::clone(status),
            on_screen: on_screen && status.enabled,
        };
        Console {
            inner: Arc::new(Mutex::new(inner)),
        }
    }

    /// stdout and stderr, with no progress line.
    pub(crate) fn pair() -> (Console, Console) {
        let status = Arc::new(StatusLine {
            enabled: false,
            shown: AtomicBool::new(false),
        });
        (
            Console::new(Box::new(io::stdout()), false, &status),
            Console::new(Box::new(io::stderr()), false, &status),
        )
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, ConsoleInner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Write for Console {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut inner = self.lock();
        if inner.on_screen {
            inner.status.clear();
        }
        inner.out.write(buf)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let mut inner = self.lock();
        if inner.on_screen {
            inner.status.clear();
        }
        inner.out.write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.lock().out.flush()
    }
}

/// Counts the bytes of every stream, for the progress line's rate.
pub(crate) struct Counter(pub(crate) Arc<AtomicU64>);

impl Sink for Counter {
    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        self.0.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        Flow::Continue
    }
}
