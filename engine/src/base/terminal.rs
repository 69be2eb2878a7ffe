//! A pseudo-terminal for a child's output ([`Terminal`]).

use std::fmt;

/// A pseudo-terminal for a child's stdout and stderr
/// ([`Job::terminal`](crate::Job::terminal)).
///
/// Programs that buffer their output on a pipe (every C stdio program,
/// Python, awk: a pipe gets nothing until the buffer fills or the program
/// exits) write line by line to a terminal, and many colour their output
/// or draw progress only there. With a terminal the child's stdout and
/// stderr are the terminal's slave side, so `isatty(1)` and `isatty(2)`
/// hold and the window size is set; the reactor reads the master side like
/// any pipe, with backpressure, timeouts, process groups and reports as for
/// pipes. Output is one stream (stdout and stderr share the terminal, in
/// the order written), reported as stdout. Its end: once every process
/// holding the terminal has closed it, reading the master fails with
/// `EIO`, which is the stream's end of file.
///
/// What it is not, and why: output processing is off (no `\n` to `\r\n`),
/// so the bytes arrive as written; stdin stays what
/// [`Job::stdin`](crate::Job::stdin) gives (end of input on a terminal is
/// a control character, not a close); and it is not the child's
/// controlling terminal (that takes code run between `fork` and `exec`,
/// which procpump does not run): `/dev/tty` still means the caller's, and
/// the terminal sends the child no signals.
///
/// # Examples
///
/// ```
/// # fn main() -> procpump::Result<()> {
/// use procpump::{Flow, Job, Reactor, Terminal};
/// use std::process::Command;
///
/// let mut sh = Command::new("sh");
/// sh.args(["-c", "test -t 1 && echo terminal; stty size <&1"]);
/// let mut seen = Vec::new();
/// let mut reactor = Reactor::new()?;
/// reactor.spawn(Job::new(sh).terminal(Terminal::new().size(100, 30), move |chunk: &[u8]| {
///     seen.extend_from_slice(chunk);
///     assert!(b"terminal\n30 100\n".starts_with(&seen));
///     Flow::Continue
/// }));
/// let report = reactor.run()?.remove(0);
/// assert!(report.success(), "{report:?}");
/// assert_eq!(report.stdout().unwrap().bytes(), 16);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Terminal {
    columns: u16,
    rows: u16,
}

impl Terminal {
    /// A terminal of 80 columns and 24 rows.
    pub fn new() -> Terminal {
        Terminal {
            columns: 80,
            rows: 24,
        }
    }

    /// The window size the child sees (`TIOCGWINSZ`). Clamped to at least
    /// one column and one row.
    pub fn size(mut self, columns: u16, rows: u16) -> Terminal {
        self.columns = columns.max(1);
        self.rows = rows.max(1);
        self
    }

    /// Its columns.
    pub fn columns(&self) -> u16 {
        self.columns
    }

    /// Its rows.
    pub fn rows(&self) -> u16 {
        self.rows
    }
}

impl Default for Terminal {
    fn default() -> Terminal {
        Terminal::new()
    }
}

impl fmt::Debug for Terminal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Terminal({}x{})", self.columns, self.rows)
    }
}
