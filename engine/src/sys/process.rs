//! Signals, processes, pipes and error numbers (POSIX: the same calls on
//! every Unix platform).

use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;

use rustix::io::Errno;
use rustix::process::{Pid, Signal as RawSignal};

/// No such process (or process group).
pub(crate) const ESRCH: i32 = Errno::SRCH.raw_os_error();
/// An I/O error: what a terminal's master side reads once every process
/// closed the terminal.
pub(crate) const EIO: i32 = Errno::IO.raw_os_error();
/// Busy: what `F_SETPIPE_SZ` answers for a size below what the pipe holds.
pub(crate) const EBUSY: i32 = Errno::BUSY.raw_os_error();
/// Not permitted: what `F_SETPIPE_SZ` answers past the per-user limit.
#[cfg(test)]
pub(crate) const EPERM: i32 = Errno::PERM.raw_os_error();

/// The numbers of the signals the engine names.
pub(crate) mod signal {
    use rustix::process::Signal;

    pub(crate) const HUP: i32 = Signal::HUP.as_raw();
    pub(crate) const INT: i32 = Signal::INT.as_raw();
    pub(crate) const QUIT: i32 = Signal::QUIT.as_raw();
    pub(crate) const KILL: i32 = Signal::KILL.as_raw();
    pub(crate) const USR1: i32 = Signal::USR1.as_raw();
    pub(crate) const USR2: i32 = Signal::USR2.as_raw();
    pub(crate) const TERM: i32 = Signal::TERM.as_raw();
    pub(crate) const CONT: i32 = Signal::CONT.as_raw();
    pub(crate) const STOP: i32 = Signal::STOP.as_raw();
}

/// Whether the platform names a signal of this number.
pub(crate) fn is_signal(number: i32) -> bool {
    RawSignal::from_named_raw(number).is_some()
}

fn raw(number: i32) -> io::Result<RawSignal> {
    RawSignal::from_named_raw(number)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("bad signal {number}")))
}

fn to_pid(pid: u32) -> io::Result<Pid> {
    i32::try_from(pid)
        .ok()
        .and_then(Pid::from_raw)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("bad pid {pid}")))
}

/// Sends signal `number` to one process, through its pidfd when there is
/// one (which cannot hit a recycled pid).
pub(crate) fn send_signal(number: i32, pid: u32, pidfd: Option<&File>) -> io::Result<()> {
    let signal = raw(number)?;
    if let Some(pidfd) = pidfd {
        #[cfg(target_os = "linux")]
        return Ok(rustix::process::pidfd_send_signal(pidfd, signal)?);
    }
    let _ = pidfd;
    Ok(rustix::process::kill_process(to_pid(pid)?, signal)?)
}

/// Sends signal `number` to every process of the group `pgid`.
pub(crate) fn send_group_signal(number: i32, pgid: u32) -> io::Result<()> {
    Ok(rustix::process::kill_process_group(
        to_pid(pgid)?,
        raw(number)?,
    )?)
}

/// A pipe, both ends close-on-exec: (read end, write end).
pub(crate) fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    use rustix::pipe::{pipe_with, PipeFlags};
    Ok(pipe_with(PipeFlags::CLOEXEC)?)
}
