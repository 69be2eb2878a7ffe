//! The parent's ends of a child's pipes, registered with the poller, and
//! the reads and writes the reactor does on them.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::sync::Arc;

use polling::Event;

use crate::input::Source;
use crate::reactor::Shared;
use crate::sink::BoxSink;
use crate::{sys, Fill, Flow};

/// A descriptor registered with the reactor's poller. It is removed from
/// the poller before it is closed, on every path, because it is dropped
/// only through this wrapper.
pub(crate) struct Registered {
    file: File,
    key: usize,
    shared: Arc<Shared>,
    /// The capacity the kernel gave the pipe (0 for a descriptor that is
    /// not a pipe): it is never made smaller.
    base: usize,
    /// Bytes this pipe holds over `base`, charged to the reactor's budget.
    enlarged: usize,
    /// The child at the other end.
    pid: u32,
    /// Busy pipes to let pass before looking at the placement again.
    deferred: u32,
    /// Shrinks refused in a row because the pipe held too much.
    refusals: u32,
}

/// How many times a busy pipe is let pass, after its size was chosen,
/// before the child's placement is looked at again (two reads of `/proc`,
/// about 6 µs here: with 64 KiB or more a time, well under 1% of the
/// reactor's time).
const RECHECK_AFTER: u32 = 64;

/// How many busy pipes in a row may retry a shrink that the kernel
/// refused because the pipe held more than the new size (an output pipe
/// read dry takes at most `pipe / read` of them; a full stdin pipe may
/// never shrink).
const SHRINK_RETRIES: u32 = 8;

/// The capacities to give a pipe found busy.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PipeSizes {
    /// While the child runs on the reactor's CPU.
    pub(crate) near: usize,
    /// While it runs on another.
    pub(crate) far: usize,
}

impl Registered {
    /// Registers `fd` under `key`, with no interest yet (oneshot mode: it
    /// reports nothing until [`arm_read`](Self::arm_read) or
    /// [`arm_write`](Self::arm_write)).
    pub(crate) fn new(
        fd: OwnedFd,
        key: usize,
        pid: u32,
        shared: Arc<Shared>,
    ) -> io::Result<Registered> {
        // SAFETY: `fd` is owned by the `Registered` built below, whose
        // `Drop` deletes it from the poller before the `File` closes it.
        unsafe { shared.poller.add(&fd, Event::none(key))? };
        Ok(Registered {
            file: File::from(fd),
            key,
            shared,
            base: 0,
            enlarged: 0,
            pid,
            deferred: 0,
            refusals: 0,
        })
    }

    /// Registers a pipe: as [`new`](Self::new), its capacity read from the
    /// kernel (64 KiB if it does not say).
    pub(crate) fn pipe(
        fd: OwnedFd,
        key: usize,
        pid: u32,
        shared: Arc<Shared>,
    ) -> io::Result<Registered> {
        let mut pipe = Registered::new(fd, key, pid, shared)?;
        pipe.base = sys::pipe_capacity(&pipe.file).unwrap_or(64 * 1024);
        Ok(pipe)
    }

    /// Asks for one readable event.
    pub(crate) fn arm_read(&self) -> io::Result<()> {
        self.shared
            .poller
            .modify(&self.file, Event::readable(self.key))
    }

    /// The descriptor.
    pub(crate) fn file(&self) -> &File {
        &self.file
    }

    /// Asks for one writable event.
    pub(crate) fn arm_write(&self) -> io::Result<()> {
        self.shared
            .poller
            .modify(&self.file, Event::writable(self.key))
    }

    /// The pipe's capacity now.
    pub(crate) fn capacity(&self) -> usize {
        self.base + self.enlarged
    }
}

impl Registered {
    /// Called when the pipe was found busy (full, or holding more than one
    /// read): sizes it for where the child runs, `sizes.near` while it last
    /// ran on this thread's CPU and `sizes.far` while on another, never
    /// below the kernel's own size. The placement is looked at the first
    /// time and then every [`RECHECK_AFTER`] more, so a pipe follows its
    /// child when the scheduler moves it.
    ///
    /// Why two sizes, measured on 2 GiB through one pipe
    /// (docs/BENCHMARKS.md): on different CPUs every wake-up crosses CPUs,
    /// and a 1 MiB pipe runs 2.7 times as fast as a 256 KiB one; on one
    /// CPU there are no such wake-ups, data that stays in cache wins, and
    /// a pipe the size of one read (256 KiB) moves about 20% more than the
    /// default 64 KiB and 40% more than 1 MiB.
    ///
    /// Growing takes from the reactor's budget (see
    /// [`PipeBudget`](crate::reactor::PipeBudget)); a refusal (the budget,
    /// the kernel's per-user limit, a shrink below what the pipe holds, no
    /// such control) is not an error: the pipe keeps its size.
    pub(crate) fn busy(&mut self, sizes: PipeSizes) {
        if self.deferred > 0 {
            self.deferred -= 1;
            return;
        }
        self.deferred = RECHECK_AFTER;
        let wanted = if sys::shares_cpu(self.pid) {
            sizes.near
        } else {
            sizes.far
        }
        .max(self.base);
        let capacity = self.capacity();
        if wanted == capacity {
            return;
        }
        let extra = wanted.saturating_sub(capacity);
        if !self.shared.pipe_budget.take(extra) {
            log::debug!("pipe kept at {capacity} bytes: the budget for enlarged pipes is spent");
            return;
        }
        match sys::set_pipe_size(&self.file, wanted) {
            Ok(size) => {
                log::trace!("pipe resized from {capacity} to {size} bytes");
                // The kernel rounds up to a power of two pages: charge what
                // it gave, not what was asked.
                let enlarged = size.saturating_sub(self.base);
                self.shared
                    .pipe_budget
                    .settle(self.enlarged + extra, enlarged);
                self.enlarged = enlarged;
                self.refusals = 0;
            }
            Err(err) => {
                self.shared.pipe_budget.give_back(extra);
                if err.raw_os_error() == Some(sys::EBUSY) && self.refusals < SHRINK_RETRIES {
                    // It holds more than `wanted` for now: try again at the
                    // next busy pipe, when a read may have emptied it.
                    self.refusals += 1;
                    self.deferred = 0;
                } else {
                    self.refusals = 0;
                }
                log::debug!("pipe kept at {capacity} bytes: resizing to {wanted} refused: {err}");
            }
        }
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.shared.pipe_budget.give_back(self.enlarged);
        if let Err(err) = self.shared.poller.delete(&self.file) {
            log::debug!("removing fd from the poller failed: {err}");
        }
    }
}

/// The reactor's end of an output pipe, and its sink.
pub(crate) struct OutPipe {
    pub(crate) fd: Registered,
    pub(crate) sink: BoxSink,
    pub(crate) bytes: u64,
    /// Bytes read after the sink said [`Flow::Discard`], the chunk that said
    /// so included.
    pub(crate) discarded: u64,
    /// A readable event was asked for and has not arrived.
    pub(crate) armed: bool,
    /// The sink returned `Flow::Pause` and was not resumed since.
    pub(crate) paused: bool,
    /// Still worth asking the sink for a splice target.
    splice: bool,
    /// The sink said [`Flow::Discard`]: read on, call it no more.
    pub(crate) discarding: bool,
}

/// What reading a pipe came to.
pub(crate) enum ReadOutcome {
    /// Waiting for the next readable event (or for a resume).
    Waiting,
    /// End of file.
    Eof,
    /// The sink closed the stream.
    Closed,
    /// The read failed.
    Failed(io::Error),
}

impl OutPipe {
    pub(crate) fn new(fd: Registered, sink: BoxSink) -> OutPipe {
        OutPipe {
            fd,
            sink,
            bytes: 0,
            discarded: 0,
            armed: false,
            paused: false,
            splice: true,
            discarding: false,
        }
    }

    pub(crate) fn arm(&mut self) -> io::Result<()> {
        self.fd.arm_read()?;
        self.armed = true;
        Ok(())
    }

    /// Reads what the pipe holds into `buf` and hands it to the sink, for
    /// at most `max_reads` full buffers (so one busy child cannot starve
    /// the others), then re-arms unless the sink paused or the stream
    /// ended. `sizes` are the capacities to give the pipe when it is found
    /// busy.
    pub(crate) fn pump(
        &mut self,
        buf: &mut [u8],
        max_reads: usize,
        sizes: PipeSizes,
    ) -> ReadOutcome {
        self.armed = false;
        let mut reads = 0;
        loop {
            if self.splice && !self.discarding {
                match self.splice_once() {
                    Some(Ok(0)) => return ReadOutcome::Eof,
                    Some(Ok(n)) => {
                        reads += 1;
                        let flow = self.sink.sink().spliced(n);
                        let busy = n >= self.fd.capacity();
                        match self.delivered(n, flow, busy.then_some(sizes)) {
                            Flow::Continue | Flow::Discard if reads < max_reads => continue,
                            Flow::Continue | Flow::Discard => break,
                            Flow::Pause => return ReadOutcome::Waiting,
                            Flow::Close => return ReadOutcome::Closed,
                        }
                    }
                    Some(Err(err)) if err.kind() == io::ErrorKind::Interrupted => continue,
                    Some(Err(err)) if err.kind() == io::ErrorKind::WouldBlock => break,
                    Some(Err(err)) => {
                        log::debug!("splicing failed ({err}): reading instead");
                        self.splice = false;
                    }
                    None => self.splice = false,
                }
            }
            let n = match (&self.fd.file).read(buf) {
                Ok(0) => return ReadOutcome::Eof,
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                Err(err) => return ReadOutcome::Failed(err),
            };
            reads += 1;
            let flow = if self.discarding {
                Flow::Discard
            } else {
                self.sink.sink().chunk(&buf[..n])
            };
            // The pipe is busy when the read emptied it full or filled the
            // buffer (a pipe larger than one read).
            let busy = n >= buf.len().min(self.fd.capacity());
            match self.delivered(n, flow, busy.then_some(sizes)) {
                Flow::Continue | Flow::Discard => {}
                Flow::Pause => return ReadOutcome::Waiting,
                Flow::Close => return ReadOutcome::Closed,
            }
            // A short read almost always means the pipe is empty: wait for
            // the next event rather than pay a read that finds nothing.
            if n < buf.len() || reads >= max_reads {
                break;
            }
        }
        match self.arm() {
            Ok(()) => ReadOutcome::Waiting,
            Err(err) => ReadOutcome::Failed(err),
        }
    }
}

impl OutPipe {
    /// Splices what the pipe holds into the sink's target, if it has one.
    fn splice_once(&mut self) -> Option<io::Result<usize>> {
        let target = self.sink.sink().splice_target()?;
        Some(sys::splice(&self.fd.file, target, self.fd.capacity()))
    }

    /// Counts `n` bytes handed over, sizes a busy pipe (`sizes` given), and
    /// records a pause.
    fn delivered(&mut self, n: usize, flow: Flow, busy: Option<PipeSizes>) -> Flow {
        self.bytes += n as u64;
        if let Some(sizes) = busy {
            self.fd.busy(sizes);
        }
        match flow {
            Flow::Pause => self.paused = true,
            Flow::Discard => {
                self.discarding = true;
                self.splice = false;
                self.discarded += n as u64;
            }
            Flow::Continue | Flow::Close => {}
        }
        flow
    }
}

/// The reactor's end of a stdin pipe, and its source.
pub(crate) struct InPipe {
    pub(crate) fd: Registered,
    pub(crate) source: Box<dyn Source + Send>,
    pub(crate) written: u64,
    /// A writable event was asked for and has not arrived.
    pub(crate) armed: bool,
    /// The source said `Fill::Pending` and was not resumed since.
    pub(crate) waiting: bool,
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

/// What writing a pipe came to.
pub(crate) enum WriteOutcome {
    /// Waiting for the next writable event (or for the source to resume).
    Waiting,
    /// The source ended and everything was written.
    Done,
    /// The child closed its end (`EPIPE`).
    ChildClosed,
    /// The source failed.
    SourceFailed(io::Error),
    /// The write failed.
    Failed(io::Error),
}

/// The stdin buffer's size: a pipe of the default size fills in one write.
const INPUT_BUFFER: usize = 64 * 1024;

impl InPipe {
    pub(crate) fn new(fd: Registered, source: Box<dyn Source + Send>) -> InPipe {
        InPipe {
            fd,
            source,
            written: 0,
            armed: false,
            waiting: false,
            buf: Vec::new(),
            start: 0,
            end: 0,
        }
    }

    pub(crate) fn arm(&mut self) -> io::Result<()> {
        self.fd.arm_write()?;
        self.armed = true;
        Ok(())
    }

    /// Bytes taken from the source and not written, plus what the source
    /// says it still holds.
    pub(crate) fn unsent(&self) -> u64 {
        (self.end - self.start) as u64 + self.source.remaining().unwrap_or(0)
    }

    /// Writes from the source until the pipe is full, the source has
    /// nothing for now, or `max_bytes` were written (fairness). `far` is
    /// the capacity to give the pipe when it is found full while the child
    /// runs on another CPU; on the reactor's, it keeps the size of one
    /// write.
    pub(crate) fn pump(&mut self, max_bytes: u64, far: usize) -> WriteOutcome {
        let sizes = PipeSizes {
            near: INPUT_BUFFER,
            far,
        };
        self.armed = false;
        let mut budget = max_bytes;
        loop {
            if self.start == self.end {
                if self.buf.is_empty() {
                    self.buf = vec![0; INPUT_BUFFER];
                }
                match self.source.fill(&mut self.buf) {
                    Ok(Fill::Data(n)) => {
                        self.start = 0;
                        self.end = n.min(self.buf.len());
                    }
                    Ok(Fill::Pending) => {
                        self.waiting = true;
                        return WriteOutcome::Waiting;
                    }
                    Ok(Fill::End) => return WriteOutcome::Done,
                    Err(err) => return WriteOutcome::SourceFailed(err),
                }
            }
            match (&self.fd.file).write(&self.buf[self.start..self.end]) {
                Ok(n) => {
                    self.start += n;
                    self.written += n as u64;
                    budget = budget.saturating_sub(n as u64);
                    if self.start < self.end {
                        // A short write: the pipe is full.
                        self.fd.busy(sizes);
                        break;
                    }
                    if budget == 0 {
                        break;
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    self.fd.busy(sizes);
                    break;
                }
                Err(err) if err.kind() == io::ErrorKind::BrokenPipe => {
                    return WriteOutcome::ChildClosed
                }
                Err(err) => return WriteOutcome::Failed(err),
            }
        }
        match self.arm() {
            Ok(()) => WriteOutcome::Waiting,
            Err(err) => WriteOutcome::Failed(err),
        }
    }
}
