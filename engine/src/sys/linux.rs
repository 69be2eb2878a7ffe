//! Linux: pipe sizes through `F_GETPIPE_SZ`/`F_SETPIPE_SZ`,
//! exit through pidfd.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::process::Child;

use rustix::process::{pidfd_open, Pid, PidfdFlags};

/// The pipe's current capacity in bytes, if the kernel says.
pub(crate) fn pipe_capacity(fd: impl AsFd) -> Option<usize> {
    rustix::pipe::fcntl_getpipe_size(fd).ok()
}

/// Asks the kernel to make the pipe's capacity `size` bytes and returns the
/// capacity it now has (`size` rounded up to a power of two pages). The
/// kernel refuses past `/proc/sys/fs/pipe-max-size`, past the per-user
/// limit (`/proc/sys/fs/pipe-user-pages-*`), and below what the pipe holds
/// (`EBUSY`): the caller carries on with the size the pipe had.
pub(crate) fn set_pipe_size(fd: impl AsFd, size: usize) -> io::Result<usize> {
    Ok(rustix::pipe::fcntl_setpipe_size(fd, size)?)
}

/// The largest pipe an unprivileged process may ask for.
pub(crate) fn max_pipe_size() -> Option<usize> {
    std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// How many bytes this process may add to its pipes by enlarging them: a
/// quarter of the per-user soft limit, or no limit for a privileged user
/// (which the kernel exempts).
pub(crate) fn pipe_budget() -> usize {
    if rustix::process::geteuid().is_root() {
        return usize::MAX;
    }
    let pages: usize = std::fs::read_to_string("/proc/sys/fs/pipe-user-pages-soft")
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(16384);
    if pages == 0 {
        // 0 means no soft limit.
        return usize::MAX;
    }
    pages.saturating_mul(4096) / 4
}

/// A pidfd for `child`: readable once it has exited. `None` where the kernel
/// has no `pidfd_open` (before 5.3) or refuses it; the reactor then polls.
pub(crate) fn exit_watch(child: &Child) -> Option<OwnedFd> {
    // The `Child` is still ours and not yet reaped, so its pid cannot have
    // been reused: the pidfd refers to this very child.
    match pidfd_open(Pid::from_child(child), PidfdFlags::empty()) {
        Ok(fd) => Some(fd),
        Err(err) => {
            log::debug!(
                "pidfd_open({}) failed: {err}; polling for its exit",
                child.id()
            );
            None
        }
    }
}

/// Moves up to `len` bytes from the pipe `from` into `to` without copying
/// them through user space. `Ok(0)`: end of file. `WouldBlock`: the pipe is
/// empty (it is non-blocking).
pub(crate) fn splice(from: impl AsFd, to: impl AsFd, len: usize) -> io::Result<usize> {
    use rustix::pipe::SpliceFlags;
    Ok(rustix::pipe::splice(
        from,
        None,
        to,
        None,
        len,
        SpliceFlags::MOVE,
    )?)
}

/// Whether the process `pid` last ran on the CPU this thread runs on (from
/// the `processor` field of `/proc/.../stat`). False when unknown.
pub(crate) fn shares_cpu(pid: u32) -> bool {
    fn last_cpu(path: &str) -> Option<u32> {
        let stat = std::fs::read_to_string(path).ok()?;
        // Fields after the command name, which may hold spaces and ')'.
        let rest = &stat[stat.rfind(')')? + 1..];
        rest.split_whitespace().nth(36)?.parse().ok()
    }
    match (
        last_cpu("/proc/thread-self/stat"),
        last_cpu(&format!("/proc/{pid}/stat")),
    ) {
        (Some(ours), Some(theirs)) => ours == theirs,
        _ => false,
    }
}
