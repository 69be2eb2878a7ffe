//! Where the commands come from: the arguments, or stdin read by a thread.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{self, BufRead};
use std::os::unix::ffi::OsStringExt;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::time::Duration;

use crate::run::TICK;

/// Commands read ahead from stdin, at most.
pub(crate) const READ_AHEAD: usize = 256;

/// The commands still to run: the arguments, or lines of stdin read by a
/// thread into a bounded channel (so a slow producer never stalls the
/// reactor, and memory stays bounded).
pub(crate) enum Commands {
    Args(std::vec::IntoIter<OsString>),
    Stdin {
        lines: Receiver<OsString>,
        ahead: VecDeque<OsString>,
        ended: bool,
    },
}

impl Commands {
    pub(crate) fn new(commands: Vec<OsString>) -> Commands {
        if !commands.is_empty() {
            return Commands::Args(commands.into_iter());
        }
        let (sender, lines) = mpsc::sync_channel(READ_AHEAD);
        std::thread::spawn(move || {
            for line in io::stdin().lock().split(b'\n') {
                let Ok(mut line) = line else { break };
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                let blank = line.iter().all(u8::is_ascii_whitespace);
                if !blank && sender.send(OsString::from_vec(line)).is_err() {
                    break;
                }
            }
        });
        Commands::Stdin {
            lines,
            ahead: VecDeque::new(),
            ended: false,
        }
    }

    /// The next command if one is at hand, without waiting.
    pub(crate) fn next(&mut self) -> Option<OsString> {
        match self {
            Commands::Args(args) => args.next(),
            Commands::Stdin {
                lines,
                ahead,
                ended,
            } => ahead.pop_front().or_else(|| match lines.try_recv() {
                Ok(line) => Some(line),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => {
                    *ended = true;
                    None
                }
            }),
        }
    }

    /// Waits up to `timeout` for stdin to give a command (kept for
    /// [`next`](Commands::next)) or to end.
    pub(crate) fn wait(&mut self, timeout: Duration) {
        if let Commands::Stdin {
            lines,
            ahead,
            ended: ended @ false,
        } = self
        {
            match lines.recv_timeout(timeout) {
                Ok(line) => ahead.push_back(line),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => *ended = true,
            }
        }
    }

    /// True when every command was handed out.
    pub(crate) fn is_exhausted(&self) -> bool {
        match self {
            Commands::Args(args) => args.len() == 0,
            Commands::Stdin { ahead, ended, .. } => *ended && ahead.is_empty(),
        }
    }

    /// Whether there are two commands or more; for stdin, reads ahead to
    /// know (unless `stop` is set meanwhile).
    pub(crate) fn more_than_one(&mut self, stop: impl Fn() -> bool) -> bool {
        loop {
            match self {
                Commands::Args(args) => return args.len() > 1,
                Commands::Stdin { ahead, ended, .. } if ahead.len() > 1 || *ended => {
                    return ahead.len() > 1
                }
                Commands::Stdin { .. } if stop() => return true,
                Commands::Stdin { .. } => self.wait(TICK),
            }
        }
    }

    /// How many there are in all, `handed` of them handed out, once known
    /// (the arguments, or stdin once it ended).
    pub(crate) fn total(&self, handed: u64) -> Option<u64> {
        match self {
            Commands::Args(args) => Some(handed + args.len() as u64),
            Commands::Stdin { ahead, ended, .. } => ended.then_some(handed + ahead.len() as u64),
        }
    }

    /// How many are left, when known (the arguments).
    pub(crate) fn remaining(&self) -> Option<usize> {
        match self {
            Commands::Args(args) => Some(args.len()),
            Commands::Stdin { .. } => None,
        }
    }
}
