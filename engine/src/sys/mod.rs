//! Platform parts.
//!
//! Every platform provides:
//!
//! - [`Poller`] and [`Events`]: level-triggered readiness of registered
//!   descriptors by key (`add`, `modify`, `delete`, each with an
//!   [`Interest`]), a `wait` with a timeout, and a `notify` that wakes it
//!   from another thread (the `polling` crate's on every platform,
//!   `poller.rs`);
//! - [`set_nonblocking`]: put the parent's end of a pipe in non-blocking mode;
//! - [`pipe_capacity`] and [`set_pipe_size`]: read and change a pipe's
//!   buffer size (`None` and an error where the kernel has no such
//!   control), [`max_pipe_size`] and [`pipe_budget`], and [`shares_cpu`]:
//!   whether a child last ran on the calling thread's CPU (false where
//!   unknown);
//! - [`exit_watch`]: a file descriptor that becomes readable when a child
//!   exits (a pidfd on Linux), or `None` where there is none, in which case
//!   the reactor polls the child's status with a backing-off interval;
//! - [`splice`]: move bytes from a pipe to a descriptor in the kernel
//!   (`Unsupported` where there is no such call);
//! - [`open_terminal`]: a pseudo-terminal (POSIX, in `mod.rs` for all);
//! - signals to a process or a group, close-on-exec pipes, and the error
//!   numbers the engine tests for, by name (POSIX, `process.rs` for all).
//!
//! Everything else the reactor needs comes from `std`: no module outside
//! `sys/` calls `rustix`.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub(crate) use linux::*;

#[cfg(all(unix, not(target_os = "linux")))]
mod unix;
#[cfg(all(unix, not(target_os = "linux")))]
pub(crate) use unix::*;

// Signals, processes, pipes, error numbers: POSIX, for all.
mod process;
pub(crate) use process::*;

// The poller: `polling`'s, on every platform.
mod poller;
pub(crate) use poller::{Events, Poller};

use std::io;
use std::os::fd::{AsFd, OwnedFd};

/// What a registered descriptor is watched for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Interest {
    /// Readable (or closed at the other end).
    Read,
    /// Writable (or closed at the other end).
    Write,
    /// Nothing: the descriptor stays registered but silent (at most one
    /// hang-up or error may still be reported).
    None,
}

/// A pseudo-terminal of `columns` × `rows`, its output processing off:
/// its master side (to read) and its slave side (for the child). Both are
/// close-on-exec (the child gets the slave through `Stdio`).
pub(crate) fn open_terminal(columns: u16, rows: u16) -> io::Result<(OwnedFd, OwnedFd)> {
    use rustix::fs::{open, Mode, OFlags};
    use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
    use rustix::termios::{
        tcgetattr, tcsetattr, tcsetwinsize, OptionalActions, OutputModes, Winsize,
    };

    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let name = ptsname(&master, Vec::new())?;
    let slave = open(
        name.as_c_str(),
        OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let size = Winsize {
        ws_row: rows,
        ws_col: columns,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    tcsetwinsize(&master, size)?;
    let mut modes = tcgetattr(&slave)?;
    modes.output_modes.remove(OutputModes::OPOST);
    tcsetattr(&slave, OptionalActions::Now, &modes)?;
    Ok((master, slave))
}

/// Puts `fd` in non-blocking mode. Only ever called on the parent's ends:
/// the child must inherit blocking descriptors.
/// (`FIONBIO`: one system call, where `F_GETFL` and `F_SETFL` take two.)
pub(crate) fn set_nonblocking(fd: impl AsFd) -> io::Result<()> {
    rustix::io::ioctl_fionbio(&fd, true)?;
    Ok(())
}
