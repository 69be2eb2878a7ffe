//! The terminal: stdout and stderr, buffered and shared by the sinks, the
//! progress line, and the byte counter for its rate.

use std::io::{self, BufWriter, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use procpump::{Flow, Sink};

use crate::halt::Counts;

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

/// The least time between two drawings of the progress line.
const REDRAW: Duration = Duration::from_millis(100);

/// The progress line's state: when it was drawn, the bytes then, the rate.
pub(crate) struct Progress {
    began: Instant,
    drawn: Instant,
    bytes: u64,
    rate: f64,
}

impl Progress {
    pub(crate) fn new(now: Instant) -> Progress {
        Progress {
            began: now,
            drawn: now,
            bytes: 0,
            rate: 0.0,
        }
    }

    /// Redraws the line when it is due: jobs done (of how many), running,
    /// failed, bytes/s, and the time left at the pace so far.
    pub(crate) fn draw(
        &mut self,
        status: &StatusLine,
        bytes: u64,
        running: usize,
        counts: &Counts,
    ) {
        let now = Instant::now();
        let since = now - self.drawn;
        if !status.enabled || since < REDRAW {
            return;
        }
        let rate = (bytes - self.bytes) as f64 / since.as_secs_f64();
        self.rate = 0.7 * self.rate + 0.3 * rate;
        (self.drawn, self.bytes) = (now, bytes);
        let done = counts.failed + counts.succeeded;
        let (total, eta) = match counts.total {
            Some(total) if done > 0 => {
                let per_job = self.began.elapsed().as_secs_f64() / done as f64;
                let left = total.saturating_sub(done) as f64 * per_job;
                (format!("/{total}"), format!(", ETA {left:.0}s"))
            }
            Some(total) => (format!("/{total}"), String::new()),
            None => (String::new(), String::new()),
        };
        let text = format!(
            "fanout: {done}{total} done, {running} running, {} failed, {}/s{eta}",
            counts.failed,
            human(self.rate as u64),
        );
        status.draw(&text);
    }
}

/// Bytes for people: 999 B, 1.2 kB, 3.4 MB, 5.6 GB.
pub(crate) fn human(bytes: u64) -> String {
    match bytes {
        0..=999 => format!("{bytes} B"),
        1_000..=999_999 => format!("{:.1} kB", bytes as f64 / 1e3),
        1_000_000..=999_999_999 => format!("{:.1} MB", bytes as f64 / 1e6),
        _ => format!("{:.1} GB", bytes as f64 / 1e9),
    }
}
