//! Platform parts.
//!
//! Every platform provides:
//!
//! - [`set_nonblocking`]: put the parent's end of a pipe in non-blocking mode;
//! - [`pipe_capacity`] and [`set_pipe_size`]: read and change a pipe's
//!   buffer size (`None` and an error where the kernel has no such
//!   control), and [`shares_cpu`]: whether a child last ran on the calling
//!   thread's CPU (false where unknown);
//! - [`exit_watch`]: a file descriptor that becomes readable when a child
//!   exits (a pidfd on Linux), or `None` where there is none, in which case
//!   the reactor polls the child's status with a backing-off interval.
//!
//! Everything else the reactor needs comes from `std` and `polling`.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub(crate) use linux::*;

#[cfg(all(unix, not(target_os = "linux")))]
mod unix;
#[cfg(all(unix, not(target_os = "linux")))]
pub(crate) use unix::*;

use std::io;
use std::os::fd::AsFd;

/// The error `F_SETPIPE_SZ` gives for a size below what the pipe holds.
pub(crate) const EBUSY: i32 = rustix::io::Errno::BUSY.raw_os_error();

/// Puts `fd` in non-blocking mode. Only ever called on the parent's ends:
/// the child must inherit blocking descriptors.
/// (`FIONBIO`: one system call, where `F_GETFL` and `F_SETFL` take two.)
pub(crate) fn set_nonblocking(fd: impl AsFd) -> io::Result<()> {
    rustix::io::ioctl_fionbio(&fd, true)?;
    Ok(())
}
