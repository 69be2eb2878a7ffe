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

    /// The output stream this is, if it is one.
    pub(crate) fn output(self) -> Option<Output> {
        match self {
            Stream::Stdin => None,
            Stream::Stdout => Some(Output::Stdout),
            Stream::Stderr => Some(Output::Stderr),
        }
    }
}

/// One of the two streams the reactor reads: a [`Stream`] that can only be
/// stdout or stderr, and the index of its place in per-output arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Output {
    Stdout,
    Stderr,
}

impl Output {
    /// Both, in index order.
    pub(crate) const ALL: [Output; 2] = [Output::Stdout, Output::Stderr];

    /// 0 for stdout, 1 for stderr.
    pub(crate) fn index(self) -> usize {
        match self {
            Output::Stdout => 0,
            Output::Stderr => 1,
        }
    }

    /// As a [`Stream`].
    pub(crate) fn stream(self) -> Stream {
        match self {
            Output::Stdout => Stream::Stdout,
            Output::Stderr => Stream::Stderr,
        }
    }
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
