//! Signals the reactor sends: to stop a child, on a timeout or on request.

use std::fmt;
use std::io;

/// A Unix signal, by number.
///
/// # Examples
///
/// ```
/// use procpump::Signal;
///
/// assert_eq!(Signal::TERM.number(), 15);
/// assert_eq!(Signal::from_number(9), Some(Signal::KILL));
/// assert_eq!(Signal::from_number(0), None);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signal(i32);

impl Signal {
    /// `SIGHUP`.
    pub const HUP: Signal = Signal(rustix::process::Signal::HUP.as_raw());
    /// `SIGINT`.
    pub const INT: Signal = Signal(rustix::process::Signal::INT.as_raw());
    /// `SIGQUIT`.
    pub const QUIT: Signal = Signal(rustix::process::Signal::QUIT.as_raw());
    /// `SIGKILL`: cannot be caught or ignored.
    pub const KILL: Signal = Signal(rustix::process::Signal::KILL.as_raw());
    /// `SIGUSR1`.
    pub const USR1: Signal = Signal(rustix::process::Signal::USR1.as_raw());
    /// `SIGUSR2`.
    pub const USR2: Signal = Signal(rustix::process::Signal::USR2.as_raw());
    /// `SIGTERM`: the polite request to stop.
    pub const TERM: Signal = Signal(rustix::process::Signal::TERM.as_raw());
    /// `SIGCONT`.
    pub const CONT: Signal = Signal(rustix::process::Signal::CONT.as_raw());
    /// `SIGSTOP`: cannot be caught or ignored.
    pub const STOP: Signal = Signal(rustix::process::Signal::STOP.as_raw());

    /// The signal with this number, if the platform names one.
    pub fn from_number(number: i32) -> Option<Signal> {
        rustix::process::Signal::from_named_raw(number).map(|signal| Signal(signal.as_raw()))
    }

    /// The signal's number.
    pub fn number(self) -> i32 {
        self.0
    }

    fn raw(self) -> rustix::process::Signal {
        // Every `Signal` was made from a named signal.
        rustix::process::Signal::from_named_raw(self.0).unwrap_or(rustix::process::Signal::KILL)
    }

    /// Sends the signal to one process, through its pidfd when there is
    /// one (which cannot hit a recycled pid).
    pub(crate) fn send(self, pid: u32, pidfd: Option<&std::fs::File>) -> io::Result<()> {
        if let Some(pidfd) = pidfd {
            #[cfg(target_os = "linux")]
            return Ok(rustix::process::pidfd_send_signal(pidfd, self.raw())?);
        }
        let _ = pidfd;
        let pid = to_pid(pid)?;
        Ok(rustix::process::kill_process(pid, self.raw())?)
    }

    /// Sends the signal to every process of the group `pgid`.
    pub(crate) fn send_group(self, pgid: u32) -> io::Result<()> {
        Ok(rustix::process::kill_process_group(
            to_pid(pgid)?,
            self.raw(),
        )?)
    }
}

fn to_pid(pid: u32) -> io::Result<rustix::process::Pid> {
    i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("bad pid {pid}")))
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signal({})", self.number())
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            Signal::HUP => "SIGHUP",
            Signal::INT => "SIGINT",
            Signal::QUIT => "SIGQUIT",
            Signal::KILL => "SIGKILL",
            Signal::USR1 => "SIGUSR1",
            Signal::USR2 => "SIGUSR2",
            Signal::TERM => "SIGTERM",
            Signal::CONT => "SIGCONT",
            Signal::STOP => "SIGSTOP",
            _ => return write!(f, "signal {}", self.number()),
        };
        f.write_str(name)
    }
}
