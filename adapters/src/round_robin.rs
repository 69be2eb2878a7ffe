//! [`round_robin`]: one input, cut into blocks of whole records, spread
//! over many children's stdin (GNU parallel's `--pipe --round-robin`).

use std::fmt;
use std::io::{self, Read};
use std::thread::JoinHandle;

use crossbeam_channel::{Select, Sender};
use procpump::Input;

use crate::records::Records;

/// Blocks that wait in each child's channel before the reader waits: 2.
const WAITING: usize = 2;

/// Reads `reader` on a thread of its own, cuts it into blocks with
/// `records`, and hands each block whole to one of `children` stdins:
/// the next in turn, or, when that one's channel is full (a slow child),
/// the first that has room; when all are full the reader waits, so
/// memory stays at a few blocks per child whatever the input's size.
/// Returns the children's [`Input`]s, to give to their jobs, and the
/// [`Spreader`] to join once they are done.
///
/// A child that stops reading (exits) gets no more blocks; the block it
/// was refused goes to another. The block it was being fed when it
/// stopped is its own report's (`StdinReport`: bytes unsent).
///
/// # Panics
///
/// If `children` is 0, or the thread cannot be made.
///
/// # Examples
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use procpump::{Job, Reactor, Stream};
/// use procpump_adapters::{round_robin, Head, Records};
/// use std::process::Command;
///
/// let text: String = (1..=1000).map(|n| format!("line {n}\n")).collect();
/// let records = Records::lines().records_per_block(10);
/// let (inputs, spreader) = round_robin(std::io::Cursor::new(text), records, 3);
/// let mut reactor = Reactor::new()?;
/// for input in inputs {
///     let mut wc = Command::new("wc");
///     wc.arg("-l");
///     reactor.spawn(Job::new(wc).stdin(input).stdout(Head::new(64)));
/// }
/// let mut lines = 0;
/// for mut report in reactor.run()? {
///     assert!(report.success(), "{report:?}");
///     let count: Head = report.take_sink(Stream::Stdout).unwrap();
///     lines += String::from_utf8_lossy(count.bytes()).trim().parse::<u64>()?;
/// }
/// let spread = spreader.join()?;
/// assert_eq!(lines, 1000);
/// assert_eq!(spread.blocks.iter().sum::<u64>(), 100);
/// # Ok(())
/// # }
/// ```
pub fn round_robin(
    reader: impl Read + Send + 'static,
    records: Records,
    children: usize,
) -> (Vec<Input>, Spreader) {
    assert!(children > 0, "round_robin over no child");
    let (senders, inputs): (Vec<_>, Vec<_>) = (0..children)
        .map(|_| {
            let (sender, receiver) = crossbeam_channel::bounded(WAITING);
            (sender, Input::channel(receiver))
        })
        .collect();
    let thread = std::thread::Builder::new()
        .name("procpump-round-robin".into())
        .spawn(move || spread(reader, records, senders))
        .expect("a thread for round_robin");
    (inputs, Spreader { thread })
}

/// The thread that reads and spreads the input of [`round_robin`].
pub struct Spreader {
    thread: JoinHandle<io::Result<Spread>>,
}

impl Spreader {
    /// Waits until the whole input is read and handed out.
    ///
    /// # Errors
    ///
    /// Reading the input failed, or every child stopped reading before
    /// its end (the message says how many bytes were left).
    pub fn join(self) -> io::Result<Spread> {
        match self.thread.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

impl fmt::Debug for Spreader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spreader").finish_non_exhaustive()
    }
}

/// What [`round_robin`] handed out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Spread {
    /// Blocks handed to each child, by the order of the inputs.
    pub blocks: Vec<u64>,
    /// Bytes handed to each child.
    pub bytes: Vec<u64>,
}

/// The reader's thread: reads, cuts, and sends each block.
fn spread(
    mut reader: impl Read,
    mut records: Records,
    senders: Vec<Sender<Vec<u8>>>,
) -> io::Result<Spread> {
    let mut out = Outlets {
        senders: senders.into_iter().map(Some).collect(),
        next: 0,
        spread: Spread::default(),
        lost: None,
    };
    out.spread.blocks = vec![0; out.senders.len()];
    out.spread.bytes = vec![0; out.senders.len()];
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        records.push(&buf[..n], |block| out.send(block.to_vec()));
        out.check()?;
    }
    records.finish(|block| out.send(block.to_vec()));
    out.check()?;
    Ok(out.spread)
}

/// The children's channels, the turn, and what was handed out.
struct Outlets {
    senders: Vec<Option<Sender<Vec<u8>>>>,
    next: usize,
    spread: Spread,
    /// Bytes no child would take (all stopped reading).
    lost: Option<u64>,
}

impl Outlets {
    /// Sends `block` to the next child in turn that has room, waiting
    /// while none has; a child whose channel is gone is skipped for good.
    fn send(&mut self, mut block: Vec<u8>) {
        loop {
            if self.lost.is_some() || self.senders.iter().all(Option::is_none) {
                *self.lost.get_or_insert(0) += block.len() as u64;
                return;
            }
            match self.try_each(block) {
                Ok(()) => return,
                Err(back) => block = back,
            }
            block = match self.wait_and_send(block) {
                Ok(()) => return,
                Err(back) => back,
            };
        }
    }

    /// Offers `block` to each child in turn, without waiting.
    fn try_each(&mut self, mut block: Vec<u8>) -> Result<(), Vec<u8>> {
        let count = self.senders.len();
        for step in 0..count {
            let child = (self.next + step) % count;
            let Some(sender) = &self.senders[child] else {
                continue;
            };
            let len = block.len() as u64;
            match sender.try_send(block) {
                Ok(()) => {
                    self.sent(child, len);
                    return Ok(());
                }
                Err(crossbeam_channel::TrySendError::Full(back)) => block = back,
                Err(crossbeam_channel::TrySendError::Disconnected(back)) => {
                    self.senders[child] = None;
                    block = back;
                }
            }
        }
        Err(block)
    }

    /// Every channel is full: waits until one has room, and sends there.
    fn wait_and_send(&mut self, block: Vec<u8>) -> Result<(), Vec<u8>> {
        let mut select = Select::new();
        let mut children = Vec::new();
        for (child, sender) in self.senders.iter().enumerate() {
            if let Some(sender) = sender {
                select.send(sender);
                children.push(child);
            }
        }
        if children.is_empty() {
            return Err(block);
        }
        let operation = select.select();
        let child = children[operation.index()];
        let len = block.len() as u64;
        let Some(sender) = &self.senders[child] else {
            return Err(block);
        };
        match operation.send(sender, block) {
            Ok(()) => {
                self.sent(child, len);
                Ok(())
            }
            Err(crossbeam_channel::SendError(back)) => {
                self.senders[child] = None;
                Err(back)
            }
        }
    }

    fn sent(&mut self, child: usize, len: u64) {
        self.spread.blocks[child] += 1;
        self.spread.bytes[child] += len;
        self.next = (child + 1) % self.senders.len();
    }

    /// Fails once no child takes blocks any more.
    fn check(&self) -> io::Result<()> {
        match self.lost {
            None => Ok(()),
            Some(bytes) => Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                format!("every child stopped reading its stdin: {bytes} bytes of a block unsent"),
            )),
        }
    }
}
