//! The shared state behind [`Ordered`](super::Ordered): the writer, and
//! each job's output from the oldest unwritten one on.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::path::PathBuf;

use procpump::Resumer;

use super::OrderedMode;
use crate::spill::Spill;

/// The writer and the outputs waiting for it, by position (the order the
/// sinks were made).
pub(super) struct Queue<W> {
    pub(super) writer: W,
    pub(super) mode: OrderedMode,
    pub(super) memory: usize,
    pub(super) memory_per_job: usize,
    pub(super) dir: Option<PathBuf>,
    /// Whether a job's flush waits until its output is written.
    pub(super) reports_wait: bool,
    /// Sinks made so far: the next one's position.
    made: u64,
    /// The oldest position not yet wholly written: its output goes to the
    /// writer as it comes.
    live: u64,
    /// Every position from `live` on whose sink was made.
    jobs: BTreeMap<u64, Job>,
    /// Write errors of written positions, until their sinks take them.
    unclaimed: HashMap<u64, io::Error>,
    /// Bytes of memory all jobs hold, now and at most.
    resident: usize,
    peak: usize,
}

/// One job's output not yet written.
struct Job {
    held: Spill,
    /// Its stream ended (or its sink was dropped): no more bytes come.
    ended: bool,
    /// The first error keeping or writing its output.
    error: Option<io::Error>,
    /// Wakes its sink's flush once its output is written.
    resumer: Option<Resumer>,
    waiting: bool,
}

impl<W: Write> Queue<W> {
    pub(super) fn new(writer: W) -> Queue<W> {
        Queue {
            writer,
            mode: OrderedMode::Bytes,
            memory: super::DEFAULT_ORDERED_MEMORY,
            memory_per_job: super::DEFAULT_ORDERED_JOB_MEMORY,
            dir: None,
            reports_wait: true,
            made: 0,
            live: 0,
            jobs: BTreeMap::new(),
            unclaimed: HashMap::new(),
            resident: 0,
            peak: 0,
        }
    }

    pub(super) fn resident(&self) -> usize {
        self.resident
    }

    pub(super) fn peak(&self) -> usize {
        self.peak
    }

    /// The error that lost some of written job `position`'s output, if
    /// one did and its sink did not take it.
    pub(super) fn take_error(&mut self, position: u64) -> Option<io::Error> {
        self.unclaimed.remove(&position)
    }

    /// A new job, last in order. Returns its position.
    pub(super) fn push(&mut self) -> u64 {
        let mut held = Spill::new(self.memory_per_job);
        if let Some(dir) = &self.dir {
            held = held.temp_dir(dir);
        }
        let position = self.made;
        self.made += 1;
        let job = Job {
            held,
            ended: false,
            error: None,
            resumer: None,
            waiting: false,
        };
        self.jobs.insert(position, job);
        position
    }

    pub(super) fn started(&mut self, position: u64, resumer: Resumer) {
        if let Some(job) = self.jobs.get_mut(&position) {
            job.resumer = Some(resumer);
        }
    }

    /// Takes a chunk of job `position`'s output: written if it is the
    /// live one (in line mode up to its last newline), held if not.
    /// Returns the job's first error, if it has one now.
    pub(super) fn chunk(&mut self, position: u64, chunk: &[u8]) -> Option<io::Error> {
        if position == self.live {
            self.write_live(position, chunk);
        } else {
            self.keep(position, chunk);
        }
        self.jobs.get_mut(&position)?.error.take()
    }

    /// Job `position`'s stream ended: its output, and the outputs of the
    /// ended jobs after it, go out if their turn came.
    pub(super) fn end(&mut self, position: u64) {
        if let Some(job) = self.jobs.get_mut(&position) {
            job.ended = true;
        }
        self.advance();
    }

    /// Whether job `position`'s output is wholly written (or there is
    /// nothing left to write): then its first error, if any, is handed
    /// over. If not, its sink's resumer is called once it is.
    pub(super) fn flushed(&mut self, position: u64) -> Result<Option<io::Error>, ()> {
        let Some(job) = self.jobs.get_mut(&position) else {
            return Ok(self.unclaimed.remove(&position));
        };
        let nothing_to_wait_for = job.ended && job.held.is_empty();
        if nothing_to_wait_for || job.resumer.is_none() || !self.reports_wait {
            return Ok(job.error.take());
        }
        job.waiting = true;
        Err(())
    }

    /// The sink of job `position` is gone: its stream ended, and nobody
    /// will take its error.
    pub(super) fn forget(&mut self, position: u64) {
        if self.reports_wait {
            self.unclaimed.remove(&position);
        }
        if let Some(job) = self.jobs.get_mut(&position) {
            job.resumer = None;
        }
        self.end(position);
    }

    /// Writes the live job's chunk; in line mode, only its whole lines
    /// (after what it held), keeping the rest.
    fn write_live(&mut self, position: u64, chunk: &[u8]) {
        let whole = match self.mode {
            OrderedMode::Bytes => chunk.len(),
            OrderedMode::Lines => match memchr::memrchr(b'\n', chunk) {
                Some(last) => last + 1,
                None => 0,
            },
        };
        if whole > 0 {
            let Some(job) = self.jobs.get_mut(&position) else {
                return;
            };
            let before = job.held.resident();
            let result = write_held(&mut job.held, &mut self.writer)
                .and_then(|_| write_out(&mut self.writer, &chunk[..whole]));
            self.resident -= before;
            self.record(position, result);
        }
        if whole < chunk.len() {
            self.keep(position, &chunk[whole..]);
        }
    }

    /// Holds `bytes` for job `position`: in memory while all jobs together
    /// stay within the bound, in its file past it.
    fn keep(&mut self, position: u64, bytes: &[u8]) {
        let Some(job) = self.jobs.get_mut(&position) else {
            return;
        };
        let before = job.held.resident();
        let mut result = Ok(());
        if self.resident + bytes.len() > self.memory && !job.held.is_on_disk() {
            result = job.held.move_to_file();
        }
        let result = result.and_then(|()| job.held.keep(bytes));
        self.resident = self.resident - before + job.held.resident();
        self.peak = self.peak.max(self.resident);
        self.record(position, result);
    }

    /// Writes what the live job holds and moves on while the live job has
    /// ended; the new live job's output so far goes out too (in line
    /// mode, its whole lines).
    fn advance(&mut self) {
        while let Some(job) = self.jobs.get_mut(&self.live) {
            let before = job.held.resident();
            let result = if job.ended {
                write_held(&mut job.held, &mut self.writer).and_then(|last| {
                    let unended = last.is_some_and(|byte| byte != b'\n');
                    match self.mode {
                        OrderedMode::Lines if unended => write_out(&mut self.writer, b"\n"),
                        _ => self.writer.flush().map_err(writing),
                    }
                })
            } else {
                self.write_whole_lines()
            };
            let live = self.live;
            if let Some(job) = self.jobs.get(&live) {
                self.resident = self.resident - before + job.held.resident();
            }
            self.record(live, result);
            if !self.jobs.get(&live).is_some_and(|job| job.ended) {
                return;
            }
            self.written(live);
            self.live += 1;
        }
    }

    /// The live job, still running, has held output: writes it (in line
    /// mode, up to its last newline; the rest stays held).
    fn write_whole_lines(&mut self) -> io::Result<()> {
        let Some(job) = self.jobs.get_mut(&self.live) else {
            return Ok(());
        };
        if self.mode == OrderedMode::Bytes {
            let written = write_held(&mut job.held, &mut self.writer);
            return written.and_then(|_| self.writer.flush().map_err(writing));
        }
        let mut rest = Spill::new(self.memory_per_job);
        if let Some(dir) = &self.dir {
            rest = rest.temp_dir(dir);
        }
        let writer = &mut self.writer;
        let result = job.held.drain(|piece| match memchr::memrchr(b'\n', piece) {
            None => rest.keep(piece),
            Some(last) => {
                write_held(&mut rest, writer)?;
                writer.write_all(&piece[..=last]).map_err(writing)?;
                rest.keep(&piece[last + 1..])
            }
        });
        job.held = rest;
        result.and_then(|()| writer.flush().map_err(writing))
    }

    /// Job `position`'s output is wholly written: its error waits for its
    /// sink, which is woken if it waits.
    fn written(&mut self, position: u64) {
        let Some(job) = self.jobs.remove(&position) else {
            return;
        };
        self.resident -= job.held.resident();
        if let Some(err) = job.error {
            self.unclaimed.insert(position, err);
        }
        if let (true, Some(resumer)) = (job.waiting, job.resumer) {
            resumer.resume();
        }
    }

    /// Keeps job `position`'s first error.
    fn record(&mut self, position: u64, result: io::Result<()>) {
        if let (Err(err), Some(job)) = (result, self.jobs.get_mut(&position)) {
            log::warn!("output in order, position {position}: {err}");
            job.error.get_or_insert(err);
        }
    }
}

/// Writes what `held` holds to `writer`, emptying it. Returns the last
/// byte written, if any.
fn write_held(held: &mut Spill, writer: &mut impl Write) -> io::Result<Option<u8>> {
    let mut last = None;
    held.drain(|bytes| {
        writer.write_all(bytes).map_err(writing)?;
        last = bytes.last().copied().or(last);
        Ok(())
    })?;
    Ok(last)
}

/// Writes `bytes` and flushes, so that live output is seen live.
fn write_out(writer: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    writer.write_all(bytes).map_err(writing)?;
    writer.flush().map_err(writing)
}

/// A write error, saying what was being written.
fn writing(err: io::Error) -> io::Error {
    io::Error::new(
        err.kind(),
        format!("cannot write the output in order: {err}"),
    )
}
