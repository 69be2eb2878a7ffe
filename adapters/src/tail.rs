//! [`Tail`]: keeps the last bytes of a stream, in a ring buffer.

use procpump::{Flow, Sink};

use crate::ring::Ring;

/// A sink that keeps the last `n` bytes of the stream in a ring buffer:
/// memory stays at most `n` bytes however much the child prints.
///
/// # Examples
///
/// ```
/// # fn main() -> procpump::Result<()> {
/// use procpump::{Job, Reactor, Stream};
/// use procpump_adapters::Tail;
/// use std::process::Command;
///
/// let mut reactor = Reactor::new()?;
/// let mut seq = Command::new("seq");
/// seq.arg("1000");
/// reactor.spawn(Job::new(seq).stdout(Tail::new(9)));
/// let mut report = reactor.run()?.remove(0);
/// let tail: Tail = report.take_sink(Stream::Stdout).unwrap();
/// assert_eq!(tail.bytes(), b"999\n1000\n");
/// assert_eq!(tail.total(), 3893);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Tail {
    ring: Ring,
    total: u64,
}

impl Tail {
    /// Keeps the last `bytes` bytes.
    pub fn new(bytes: usize) -> Tail {
        Tail {
            ring: Ring::new(bytes),
            total: 0,
        }
    }

    /// The bytes kept, oldest first, copied into one piece.
    pub fn bytes(&self) -> Vec<u8> {
        self.ring.to_vec()
    }

    /// The bytes kept, oldest first, in two parts (without copying).
    pub fn as_slices(&self) -> (&[u8], &[u8]) {
        self.ring.as_slices()
    }

    /// Takes the bytes kept, oldest first.
    pub fn into_bytes(self) -> Vec<u8> {
        self.ring.into_vec()
    }

    /// Bytes seen in all.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Bytes seen and no longer kept (those before the tail).
    pub fn dropped(&self) -> u64 {
        self.total - self.ring.len() as u64
    }
}

impl Sink for Tail {
    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        self.total += chunk.len() as u64;
        self.ring.push(chunk);
        Flow::Continue
    }
}
