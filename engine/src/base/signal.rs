//! Signals the reactor sends: to stop a child, on a timeout or on request.

use std::fmt;
use std::io;

use crate::sys;

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
    pub const HUP: Signal = Signal(sys::signal::HUP);
    /// `SIGINT`.
    pub const INT: Signal = Signal(sys::signal::INT);
    /// `SIGQUIT`.
    pub const QUIT: Signal = Signal(sys::signal::QUIT);
    /// `SIGKILL`: cannot be caught or ignored.
    pub const KILL: Signal = Signal(sys::signal::KILL);
    /// `SIGUSR1`.
    pub const USR1: Signal = Signal(sys::signal::USR1);
    /// `SIGUSR2`.
    pub const USR2: Signal = Signal(sys::signal::USR2);
    /// `SIGTERM`: the polite request to stop.
    pub const TERM: Signal = Signal(sys::signal::TERM);
    /// `SIGCONT`.
    pub const CONT: Signal = Signal(sys::signal::CONT);
    /// `SIGSTOP`: cannot be caught or ignored.
    pub const STOP: Signal = Signal(sys::signal::STOP);

    /// The signal with this number, if the platform names one.
    pub fn from_number(number: i32) -> Option<Signal> {
        sys::is_signal(number).then_some(Signal(number))
    }

    /// The signal's number.
    pub fn number(self) -> i32 {
        self.0
    }

    /// Sends the signal to one process, through its pidfd when there is
    /// one (which cannot hit a recycled pid).
    pub(crate) fn send(self, pid: u32, pidfd: Option<&std::fs::File>) -> io::Result<()> {
        sys::send_signal(self.0, pid, pidfd)
    }

    /// Sends the signal to every process of the group `pgid`.
    pub(crate) fn send_group(self, pgid: u32) -> io::Result<()> {
        sys::send_group_signal(self.0, pgid)
    }
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
