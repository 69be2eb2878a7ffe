//! Other Unix systems: no pipe-size control, no pidfd.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::process::Child;

/// Unknown on this platform.
pub(crate) fn pipe_capacity(_fd: impl AsFd) -> Option<usize> {
    None
}

/// Unsupported on this platform.
pub(crate) fn set_pipe_size(_fd: impl AsFd, _size: usize) -> io::Result<usize> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Unknown on this platform.
pub(crate) fn max_pipe_size() -> Option<usize> {
    None
}

/// No exit descriptor here: the reactor polls the child's status.
pub(crate) fn exit_watch(_child: &Child) -> Option<OwnedFd> {
    None
}

/// Unsupported on this platform: the reactor falls back to reads.
pub(crate) fn splice(_from: impl AsFd, _to: impl AsFd, _len: usize) -> io::Result<usize> {
    Err(io::ErrorKind::Unsupported.into())
}

/// No pipe enlarging here, so no budget to keep.
pub(crate) fn pipe_budget() -> usize {
    0
}

/// Unknown here.
pub(crate) fn shares_cpu(_pid: u32) -> bool {
    false
}
