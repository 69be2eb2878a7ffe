//! [`HeadTail`]: keeps both ends of a stream and counts what was between.

use procpump::{Flow, Sink};

use crate::ring::Ring;

/// A sink that keeps the first `head` bytes and the last `tail` bytes of
/// the stream, and counts the bytes dropped between them: the shape of a
/// useful error message from a child that printed too much.
///
/// When the stream is no longer than `head + tail`, nothing is dropped and
/// [`head`](HeadTail::head) followed by [`tail`](HeadTail::tail) is the
/// whole stream.
///
/// # Examples
///
/// ```
/// # fn main() -> procpump::Result<()> {
/// use procpump::{Job, Reactor, Stream};
/// use procpump_adapters::HeadTail;
/// use std::process::Command;
///
/// let mut reactor = Reactor::new()?;
/// let mut seq = Command::new("seq");
/// seq.arg("1000");
/// reactor.spawn(Job::new(seq).stdout(HeadTail::new(4, 9)));
/// let mut report = reactor.run()?.remove(0);
/// let ends: HeadTail = report.take_sink(Stream::Stdout).unwrap();
/// assert_eq!(ends.head(), b"1\n2\n");
/// assert_eq!(ends.tail(), b"999\n1000\n");
/// assert_eq!(ends.dropped(), 3893 - 4 - 9);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct HeadTail {
    head: Vec<u8>,
    head_limit: usize,
    tail: Ring,
    total: u64,
}

impl HeadTail {
    /// Keeps the first `head` and the last `tail` bytes.
    pub fn new(head: usize, tail: usize) -> HeadTail {
        HeadTail {
            head: Vec::new(),
            head_limit: head,
            tail: Ring::new(tail),
            total: 0,
        }
    }

    /// The first bytes of the stream.
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// The last bytes of the stream after the head, oldest first.
    pub fn tail(&self) -> Vec<u8> {
        self.tail.to_vec()
    }

    /// Takes the head and the tail.
    pub fn into_parts(self) -> (Vec<u8>, Vec<u8>) {
        (self.head, self.tail.into_vec())
    }

    /// Bytes seen in all.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Bytes dropped between the head and the tail.
    pub fn dropped(&self) -> u64 {
        self.total - self.head.len() as u64 - self.tail.len() as u64
    }

    /// True when bytes were dropped between the head and the tail.
    pub fn is_truncated(&self) -> bool {
        self.dropped() > 0
    }
}

impl Sink for HeadTail {
    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        self.total += chunk.len() as u64;
        let take = (self.head_limit - self.head.len()).min(chunk.len());
        self.head.extend_from_slice(&chunk[..take]);
        self.tail.push(&chunk[take..]);
        Flow::Continue
    }
}
