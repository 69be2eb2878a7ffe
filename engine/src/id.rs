//! Identity: which child, which stream.

use std::fmt;

/// Identifies one child of a [`Reactor`](crate::Reactor), from the moment it
/// is queued until its [`Report`](crate::Report) is handed out. Never reused
/// by the same reactor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChildId(pub(crate) u64);

impl ChildId {
    /// The id as a number: children are numbered from 0 in the order they
    /// were handed to the reactor.
    pub fn index(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ChildId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// One of a child's three standard streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stream {
    /// The child's standard input, which the reactor writes.
    Stdin,
    /// The child's standard output, which the reactor reads.
    Stdout,
    /// The child's standard error, which the reactor reads.
    Stderr,
}

impl Stream {
    /// `"stdin"`, `"stdout"` or `"stderr"`.
    pub fn name(self) -> &'static str {
        match self {
            Stream::Stdin => "stdin",
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Stream::Stdin => 0,
            Stream::Stdout => 1,
            Stream::Stderr => 2,
        }
    }

    pub(crate) fn from_index(index: usize) -> Stream {
        match index {
            0 => Stream::Stdin,
            1 => Stream::Stdout,
            _ => Stream::Stderr,
        }
    }
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
