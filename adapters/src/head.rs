//! [`Head`]: keeps the first bytes of a stream.

use procpump::{Flow, Sink};

/// A sink that keeps the first `n` bytes of the stream and counts the rest,
/// reading on to the end (the child is never blocked or cut off).
///
/// # Examples
///
/// ```
/// # fn main() -> procpump::Result<()> {
/// use procpump::{Job, Reactor, Stream};
/// use procpump_adapters::Head;
/// use std::process::Command;
///
/// let mut reactor = Reactor::new()?;
/// let mut seq = Command::new("seq");
/// seq.arg("1000");
/// reactor.spawn(Job::new(seq).stdout(Head::new(4)));
/// let mut report = reactor.run()?.remove(0);
/// let head: Head = report.take_sink(Stream::Stdout).unwrap();
/// assert_eq!(head.bytes(), b"1\n2\n");
/// assert_eq!(head.dropped(), 3893 - 4);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Head {
    kept: Vec<u8>,
    limit: usize,
    total: u64,
}

impl Head {
    /// Keeps the first `bytes` bytes.
    pub fn new(bytes: usize) -> Head {
        Head {
            kept: Vec::new(),
            limit: bytes,
            total: 0,
        }
    }

    /// The bytes kept: the first `n` of the stream (fewer if it was
    /// shorter).
    pub fn bytes(&self) -> &[u8] {
        &self.kept
    }

    /// Takes the bytes kept.
    pub fn into_bytes(self) -> Vec<u8> {
        self.kept
    }

    /// Bytes seen in all.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Bytes seen and not kept.
    pub fn dropped(&self) -> u64 {
        self.total - self.kept.len() as u64
    }
}

impl Sink for Head {
    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        self.total += chunk.len() as u64;
        let take = (self.limit - self.kept.len()).min(chunk.len());
        self.kept.extend_from_slice(&chunk[..take]);
        Flow::Continue
    }
}
