//! Held output: what `--group`, `-k` and `--retries` keep aside before it
//! is printed, in memory and then in unnamed temporary files.
//!
//! - `--group`: each job's output is printed whole when the job ends.
//! - `-k`: jobs' output is printed in their order: the oldest unfinished
//!   job's live (in line mode), the later ones held until their turn.
//! - `--retries`: a run's output is held until it ends, and dropped if the
//!   job runs again (only its last run's output is printed).
//!
//! Memory stays bounded: a job's stream holds at most [`MEMORY`] bytes in
//! memory (none at all past the [`IN_MEMORY`] jobs after the oldest
//! unfinished one), the rest in an unnamed temporary file (a `Spill`:
//! `O_TMPFILE`, or a private file unlinked at once; nothing is left on
//! disk, even when fanout is killed).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};

use procpump::{Flow, Sink, Stream};
use procpump_adapters::Spill;

use crate::console::Console;

/// Bytes of one job's stream held in memory before they go to a file.
pub(crate) const MEMORY: usize = 32 * 1024;

/// With `-k`, how many jobs after the oldest unfinished one may hold
/// output in memory; the later ones hold it in files from the first byte.
pub(crate) const IN_MEMORY: u64 = 64;

/// The shared state of all held output (the sinks run on the reactor's
/// thread; the lock is there because sinks must be `Send`).
#[derive(Clone)]
pub(crate) struct Held {
    inner: Arc<Mutex<Holding>>,
}

struct Holding {
    consoles: [Console; 2],
    /// Line mode: an unterminated last line gets its newline, as in live
    /// line mode (with `--group`, only when tagged).
    end_lines: bool,
    keep_order: bool,
    /// Whether the oldest job's output goes out live (`-k` in line mode,
    /// without retries).
    live: bool,
    /// The oldest job not yet printed (`-k`).
    next: u64,
    jobs: BTreeMap<u64, HeldJob>,
}

/// One job's held streams.
struct HeldJob {
    streams: [HeldStream; 2],
    finished: bool,
}

struct HeldStream {
    buffer: Spill,
    tag: Vec<u8>,
    at_line_start: bool,
    /// The first error holding this stream (a full disk): its output since
    /// is lost, and the job is reported failed.
    error: Option<io::Error>,
}

impl Held {
    /// `lines`: line mode (`--line-buffer`); `live`: print the oldest
    /// job's output as it comes (`-k` in line mode without retries).
    pub(crate) fn new(
        out: &Console,
        err: &Console,
        keep_order: bool,
        lines: bool,
        live: bool,
    ) -> Held {
        let holding = Holding {
            consoles: [out.clone(), err.clone()],
            end_lines: lines,
            keep_order,
            live: keep_order && lines && live,
            next: 1,
            jobs: BTreeMap::new(),
        };
        Held {
            inner: Arc::new(Mutex::new(holding)),
        }
    }

    /// `--pipe`: an unterminated last line stays so, so that the output
    /// of `--pipe -k cat` is the input byte for byte.
    pub(crate) fn keep_last_lines(self) -> Held {
        self.lock().end_lines = false;
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Holding> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Job `seq` starts (or starts again, with `--retries`: what its last
    /// run held is dropped): its output will be held, each line prefixed
    /// by `tag`. Returns its sinks for stdout and stderr.
    pub(crate) fn start(&self, seq: u64, tag: &[u8]) -> (HeldSink, HeldSink) {
        let mut holding = self.lock();
        let limit = if !holding.keep_order || seq.saturating_sub(holding.next) < IN_MEMORY {
            MEMORY
        } else {
            0
        };
        let stream = || HeldStream {
            buffer: Spill::new(limit),
            tag: tag.to_vec(),
            at_line_start: true,
            error: None,
        };
        let job = HeldJob {
            streams: [stream(), stream()],
            finished: false,
        };
        holding.jobs.insert(seq, job);
        let sink = |stream| HeldSink {
            held: self.clone(),
            seq,
            stream,
        };
        (sink(Stream::Stdout), sink(Stream::Stderr))
    }

    /// Job `seq` ended for good (or was skipped: nothing held), and its
    /// output goes out when its turn comes. Returns the error that lost
    /// some of its output, if one did.
    pub(crate) fn finish(&self, seq: u64) -> Option<io::Error> {
        let mut holding = self.lock();
        let error = match holding.jobs.get_mut(&seq) {
            Some(job) => {
                job.finished = true;
                let [out, err] = &mut job.streams;
                out.error.take().or_else(|| err.error.take())
            }
            None => {
                let job = HeldJob {
                    streams: [HeldStream::empty(), HeldStream::empty()],
                    finished: true,
                };
                holding.jobs.insert(seq, job);
                None
            }
        };
        holding.print_ready(seq);
        error
    }

    /// Prints everything still held, in order (the run is over).
    pub(crate) fn print_all(&self) {
        let mut holding = self.lock();
        let seqs: Vec<u64> = holding.jobs.keys().copied().collect();
        for seq in seqs {
            holding.print(seq);
        }
    }
}

impl Holding {
    /// After job `done` finished: prints it (`--group`), or every finished
    /// job from the oldest on (`-k`), then what the new oldest one holds.
    fn print_ready(&mut self, done: u64) {
        if !self.keep_order {
            self.print(done);
            return;
        }
        while self.jobs.get(&self.next).is_some_and(|job| job.finished) {
            self.print(self.next);
            self.next += 1;
        }
        if self.live {
            let next = self.next;
            if let Some(job) = self.jobs.get_mut(&next) {
                for (stream, console) in job.streams.iter_mut().zip(&mut self.consoles) {
                    let result = stream.replay(console);
                    record(&mut stream.error, result);
                }
            }
        }
    }

    /// Writes job `seq`'s held output out, and forgets it.
    fn print(&mut self, seq: u64) {
        let Some(mut job) = self.jobs.remove(&seq) else {
            return;
        };
        for (stream, console) in job.streams.iter_mut().zip(&mut self.consoles) {
            let _ = stream.replay(console);
            let _ = stream.end_line(console, self.end_lines);
        }
    }

    /// Takes a chunk of job `seq`'s `stream`.
    fn chunk(&mut self, seq: u64, stream: Stream, chunk: &[u8]) -> Flow {
        let index = usize::from(stream == Stream::Stderr);
        let live = self.live && seq == self.next;
        let Some(job) = self.jobs.get_mut(&seq) else {
            return Flow::Continue;
        };
        let held = &mut job.streams[index];
        if held.error.is_some() {
            return Flow::Close;
        }
        let result = if live {
            held.write(&mut self.consoles[index], chunk)
        } else {
            held.buffer.keep(chunk)
        };
        match result {
            Ok(()) => Flow::Continue,
            Err(err) => {
                record(&mut held.error, Err(err));
                Flow::Close
            }
        }
    }
}

fn record(slot: &mut Option<io::Error>, result: io::Result<()>) {
    if let Err(err) = result {
        slot.get_or_insert(err);
    }
}

impl HeldStream {
    fn empty() -> HeldStream {
        HeldStream {
            buffer: Spill::new(0),
            tag: Vec::new(),
            at_line_start: true,
            error: None,
        }
    }

    /// Writes `bytes` out, each line prefixed by the tag.
    fn write(&mut self, console: &mut Console, bytes: &[u8]) -> io::Result<()> {
        if self.tag.is_empty() {
            if let Some(&last) = bytes.last() {
                self.at_line_start = last == b'\n';
            }
            return console.write_all(bytes);
        }
        for piece in bytes.split_inclusive(|&byte| byte == b'\n') {
            if self.at_line_start {
                console.write_all(&self.tag)?;
            }
            console.write_all(piece)?;
            self.at_line_start = piece.ends_with(b"\n");
        }
        Ok(())
    }

    /// Writes out what the buffer holds, and empties it.
    fn replay(&mut self, console: &mut Console) -> io::Result<()> {
        let mut buffer = std::mem::replace(&mut self.buffer, Spill::new(0));
        let result = buffer.drain(|bytes| self.write(console, bytes));
        self.buffer = buffer;
        result
    }

    /// In line mode or with a tag, an unterminated last line gets its
    /// newline.
    fn end_line(&mut self, console: &mut Console, lines: bool) -> io::Result<()> {
        if (lines || !self.tag.is_empty()) && !self.at_line_start {
            self.at_line_start = true;
            console.write_all(b"\n")?;
        }
        Ok(())
    }
}

/// One job's stdout or stderr, held.
pub(crate) struct HeldSink {
    held: Held,
    seq: u64,
    stream: Stream,
}

impl Sink for HeldSink {
    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        self.held.lock().chunk(self.seq, self.stream, chunk)
    }
}
