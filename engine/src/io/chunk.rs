//! A chunk of output, owned, as it goes through a channel.

use std::fmt;
use std::ops::Deref;

use crate::{ChildId, Stream};

/// A chunk of one child's output, owned, for a consumer thread.
#[derive(Clone, PartialEq, Eq)]
pub struct Chunk {
    child: ChildId,
    stream: Stream,
    bytes: Vec<u8>,
}

impl Chunk {
    /// `bytes` read from `stream` of `child`.
    pub(crate) fn new(child: ChildId, stream: Stream, bytes: Vec<u8>) -> Chunk {
        Chunk {
            child,
            stream,
            bytes,
        }
    }

    /// The child that wrote it.
    pub fn child(&self) -> ChildId {
        self.child
    }

    /// The stream it was read from.
    pub fn stream(&self) -> Stream {
        self.stream
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

impl Deref for Chunk {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

impl fmt::Debug for Chunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chunk")
            .field("child", &self.child)
            .field("stream", &self.stream)
            .field("len", &self.bytes.len())
            .finish()
    }
}
