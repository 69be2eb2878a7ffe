//! `--pipe`: stdin cut into blocks of whole records, each block the stdin
//! of one job. A thread reads stdin, cuts it with the adapters' `Records`
//! and hands the blocks over a channel of [`READ_AHEAD`] blocks, so that
//! memory stays at a few blocks whatever the input's size: when the jobs
//! lag, the channel is full and stdin is no longer read.

mod cut;
mod size;

use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, RecvError, TryRecvError};
use std::sync::Arc;

use procpump::{Input, Report, Waker};
use procpump_adapters::Records;

use crate::outcome::Outcome;

pub(crate) use size::size;

/// Blocks cut ahead of the jobs, at most.
pub(crate) const READ_AHEAD: usize = 1;

/// How much stdin is read at once.
const CHUNK: usize = 1 << 16;

/// How `--pipe` cuts stdin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pipe {
    /// `--block`: about this many bytes a block.
    pub(crate) block: usize,
    /// `--recend` (`\n` by default).
    pub(crate) recend: Vec<u8>,
    /// `--recstart` (none by default).
    pub(crate) recstart: Vec<u8>,
    /// `-N`: this many records a block instead of a size.
    pub(crate) records: Option<usize>,
}

impl Default for Pipe {
    fn default() -> Pipe {
        Pipe {
            block: procpump_adapters::DEFAULT_BLOCK_SIZE,
            recend: b"\n".to_vec(),
            recstart: Vec::new(),
            records: None,
        }
    }
}

impl Pipe {
    /// The cutter these settings describe.
    fn cutter(&self) -> Cutter {
        let (end, start) = match (self.recend.is_empty(), self.recstart.is_empty()) {
            (true, true) => (&b"\n"[..], &b""[..]),
            _ => (&self.recend[..], &self.recstart[..]),
        };
        match self.records {
            Some(n) => Cutter::Count(Box::new(Records::markers(end, start).records_per_block(n))),
            None => Cutter::Size(cut::BySize::new(self.block, end, start)),
        }
    }
}

/// How blocks are cut: `-N` records each (the adapters' `Records`), or
/// GNU parallel's way with a size.
enum Cutter {
    Count(Box<Records>),
    Size(cut::BySize),
}

impl Cutter {
    fn push(&mut self, chunk: &[u8], block: impl FnMut(&[u8])) {
        match self {
            Cutter::Count(records) => records.push(chunk, block),
            Cutter::Size(by_size) => by_size.push(chunk, block),
        }
    }

    fn finish(&mut self, block: impl FnMut(&[u8])) {
        match self {
            Cutter::Count(records) => records.finish(block),
            Cutter::Size(by_size) => by_size.finish(block),
        }
    }
}

/// One block of stdin: where it starts and its bytes (shared, so that a
/// retry sends the same bytes again).
#[derive(Clone, Debug)]
pub(crate) struct Block {
    /// Its first byte's offset in stdin.
    pub(crate) start: u64,
    pub(crate) bytes: Arc<[u8]>,
}

impl Block {
    /// The job's stdin: the block's bytes, then end of file.
    pub(crate) fn input(&self) -> Input {
        Input::reader(io::Cursor::new(Shared(Arc::clone(&self.bytes))))
    }

    /// The block as the summary names it: `block N (bytes A-B of stdin)`.
    pub(crate) fn describe(&self, seq: u64) -> String {
        let end = self.start + self.bytes.len() as u64;
        format!("block {seq} (bytes {}-{end} of stdin)", self.start)
    }
}

/// Shared bytes a `Cursor` reads.
struct Shared(Arc<[u8]>);

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// What the reading thread sends.
enum Message {
    Block(Block),
    Failed(io::Error),
}

/// The blocks of stdin, as they are cut.
pub(crate) struct Blocks {
    receiver: Receiver<Message>,
    ahead: Option<Block>,
    /// Blocks handed out.
    read: u64,
    ended: bool,
    error: Option<io::Error>,
}

impl Blocks {
    /// Reads `input` on a thread of its own, cut as `pipe` says, waking
    /// the reactor at each block and at the end.
    pub(crate) fn start(pipe: &Pipe, input: Box<dyn Read + Send>, waker: Waker) -> Blocks {
        let (sender, receiver) = mpsc::sync_channel(READ_AHEAD);
        let records = pipe.cutter();
        std::thread::Builder::new()
            .name("fanout-pipe".into())
            .spawn(move || {
                read(input, records, &sender, &waker);
                // The end is seen once the sender is gone: dropped first.
                drop(sender);
                waker.wake();
            })
            .expect("a thread to read stdin");
        Blocks {
            receiver,
            ahead: None,
            read: 0,
            ended: false,
            error: None,
        }
    }

    /// The next block if one is at hand, without waiting.
    pub(crate) fn next(&mut self) -> Option<Block> {
        if self.ahead.is_none() && !self.ended {
            let message = self.receiver.try_recv();
            self.take(message.map_err(|e| e == TryRecvError::Disconnected));
        }
        let block = self.ahead.take()?;
        self.read += 1;
        Some(block)
    }

    /// Waits for a block (kept for [`next`](Blocks::next)) or the end.
    pub(crate) fn wait(&mut self) {
        if self.ahead.is_none() && !self.ended {
            let message = self.receiver.recv();
            self.take(message.map_err(|RecvError| true));
        }
    }

    /// Keeps what was received; `Err(true)`: the thread is done.
    fn take(&mut self, message: Result<Message, bool>) {
        match message {
            Ok(Message::Block(block)) => self.ahead = Some(block),
            Ok(Message::Failed(error)) => self.error = Some(error),
            Err(ended) => self.ended = ended,
        }
    }

    /// True when stdin ended (or failed) and every block was handed out.
    pub(crate) fn is_exhausted(&mut self) -> bool {
        if self.ahead.is_none() && !self.ended {
            let message = self.receiver.try_recv();
            self.take(message.map_err(|e| e == TryRecvError::Disconnected));
        }
        self.ended && self.ahead.is_none()
    }

    /// How many blocks there are, once stdin has ended.
    pub(crate) fn total(&self) -> Option<u64> {
        self.ended
            .then_some(self.read + u64::from(self.ahead.is_some()))
    }

    /// The error stdin was read with, once (it ends the blocks).
    pub(crate) fn take_error(&mut self) -> Option<io::Error> {
        self.error.take()
    }
}

/// The reading thread: `input` in chunks, cut by `records`, each block
/// sent (waiting while the channel is full); a read error is sent last.
/// The caller wakes the reactor once more after dropping `sender`.
fn read(
    mut input: Box<dyn Read + Send>,
    mut records: Cutter,
    sender: &mpsc::SyncSender<Message>,
    waker: &Waker,
) {
    let mut chunk = vec![0; CHUNK];
    let mut start = 0;
    let mut cut = Vec::new();
    let mut send = |blocks: &mut Vec<Vec<u8>>| {
        for bytes in blocks.drain(..) {
            let block = Block {
                start,
                bytes: bytes.into(),
            };
            start += block.bytes.len() as u64;
            if sender.send(Message::Block(block)).is_err() {
                return false;
            }
            waker.wake();
        }
        true
    };
    loop {
        let n = match input.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => {
                let err = io::Error::new(err.kind(), format!("cannot read stdin: {err}"));
                let _ = sender.send(Message::Failed(err));
                return;
            }
        };
        records.push(&chunk[..n], |block| cut.push(block.to_vec()));
        if !send(&mut cut) {
            return;
        }
    }
    records.finish(|block| cut.push(block.to_vec()));
    send(&mut cut);
}

/// A `--pipe` job's outcome, its block considered: a job that ended
/// without reading all of its block failed; a failed job's block is
/// named.
pub(crate) fn check_read(
    outcome: Outcome,
    report: &Report,
    block: &Option<Block>,
    seq: u64,
) -> Outcome {
    let Some(block) = block else {
        return outcome;
    };
    let unread = report.stdin().map_or(0, |stdin| stdin.unsent());
    match outcome {
        Outcome::Ok if unread > 0 => Outcome::Failed(format!(
            "exit 0 before reading all of {}",
            block.describe(seq)
        )),
        Outcome::Failed(why) => Outcome::Failed(format!("{why}, {}", block.describe(seq))),
        other => other,
    }
}
