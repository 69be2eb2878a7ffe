//! What [`Ready`](crate::Ready) found, and the [`Waiter`] that threads
//! block on until it is known.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use procpump::StreamEnd;

/// The line in which [`Ready`](crate::Ready) found its pattern: its first
/// bytes, up to [`Ready::max_line`](crate::Ready::max_line), without its
/// terminator.
///
/// # Examples
///
/// ```
/// use procpump::{Discard, Sink};
/// use procpump_adapters::{Readiness, Ready};
///
/// let mut ready = Ready::new("listening on", Discard);
/// let _ = ready.chunk(b"starting\nlistening on :8080\r\nserving\n");
/// let Some(Readiness::Ready(line)) = ready.readiness() else { panic!() };
/// assert_eq!(line.bytes(), b"listening on :8080");
/// assert_eq!(line.text_lossy(), "listening on :8080");
/// assert!(line.is_terminated());
/// assert!(!line.is_truncated());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ReadyLine {
    bytes: Vec<u8>,
    terminated: bool,
    truncated: bool,
}

impl ReadyLine {
    pub(crate) fn new(bytes: Vec<u8>, terminated: bool, truncated: bool) -> ReadyLine {
        ReadyLine {
            bytes,
            terminated,
            truncated,
        }
    }

    /// The line's bytes, without its terminator (`\n` or `\r\n`); its
    /// first [`max_line`](crate::Ready::max_line) bytes if it was longer.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Takes the line's bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The line as text, invalid UTF-8 replaced by U+FFFD.
    pub fn text_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.bytes)
    }

    /// True when [`bytes`](ReadyLine::bytes) is the whole line and a
    /// newline ended it. False for a truncated line, for the stream's last
    /// line when it had no newline, and, with
    /// [`ReadyAt::Match`](crate::ReadyAt::Match), for a line whose end had
    /// not arrived yet when the pattern was found.
    pub fn is_terminated(&self) -> bool {
        self.terminated
    }

    /// True when the line was longer than
    /// [`max_line`](crate::Ready::max_line): [`bytes`](ReadyLine::bytes)
    /// holds its start only (which may end before the pattern).
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }
}

impl fmt::Debug for ReadyLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadyLine")
            .field("text", &self.text_lossy())
            .field("terminated", &self.terminated)
            .field("truncated", &self.truncated)
            .finish()
    }
}

/// What became of a stream watched by [`Ready`](crate::Ready): the pattern
/// was found, or the stream ended first. Known once, and never changes.
///
/// # Examples
///
/// ```
/// use procpump::{Discard, Sink, StreamEnd};
/// use procpump_adapters::{Readiness, Ready};
///
/// let mut ready = Ready::new("listening on", Discard);
/// let _ = ready.chunk(b"error: address in use\n");
/// ready.end(&StreamEnd::Eof);
/// let readiness = ready.readiness().unwrap();
/// assert_eq!(readiness, Readiness::Ended(StreamEnd::Eof));
/// assert!(!readiness.is_ready());
/// assert!(readiness.line().is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// The pattern was found, in this line.
    Ready(ReadyLine),
    /// The stream ended without the pattern, for this reason. A
    /// [`Ready`](crate::Ready) dropped before its stream ended says
    /// [`StreamEnd::NotStarted`] if it was never started, else
    /// [`StreamEnd::Killed`] (the reactor drops sinks unended only when it
    /// kills their children after a panic).
    Ended(StreamEnd),
}

impl Readiness {
    /// True when the pattern was found.
    pub fn is_ready(&self) -> bool {
        matches!(self, Readiness::Ready(_))
    }

    /// The line that held the pattern, if it was found.
    pub fn line(&self) -> Option<&ReadyLine> {
        match self {
            Readiness::Ready(line) => Some(line),
            Readiness::Ended(_) => None,
        }
    }
}

/// Where a [`Ready`] and its waiters meet: the readiness, once known.
///
/// [`Ready`]: crate::Ready
#[derive(Debug, Default)]
pub(crate) struct Latch {
    readiness: Mutex<Option<Readiness>>,
    known: Condvar,
}

impl Latch {
    /// Records `readiness` and wakes every waiter; the first one recorded
    /// stays.
    pub(crate) fn set(&self, readiness: Readiness) {
        let mut slot = self.lock();
        if slot.is_none() {
            *slot = Some(readiness);
            self.known.notify_all();
        }
    }

    pub(crate) fn get(&self) -> Option<Readiness> {
        self.lock().clone()
    }

    pub(crate) fn is_set(&self) -> bool {
        self.lock().is_some()
    }

    /// No user code runs under this lock, so a poisoned one still holds
    /// a consistent value.
    fn lock(&self) -> MutexGuard<'_, Option<Readiness>> {
        self.readiness
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Blocks a thread until a [`Ready`](crate::Ready) knows its
/// [`Readiness`]: the pattern was found, or the stream ended without it.
///
/// Made by [`Ready::waiter`](crate::Ready::waiter). Cheap to clone, `Send`
/// and `Sync`; every clone, and every call, sees the same readiness. It
/// never waits for ever on a child that dies without printing the pattern:
/// the end of the stream (or the sink being dropped) is a readiness too.
///
/// # Examples
///
/// ```
/// # fn main() -> procpump::Result<()> {
/// use procpump::{Discard, Handle, Job};
/// use procpump_adapters::{Readiness, Ready};
/// use std::process::Command;
/// use std::time::Duration;
///
/// let handle = Handle::start()?;
/// let mut sh = Command::new("sh");
/// sh.args(["-c", "echo booting; sleep 0.05; echo 'listening on :8080'; exec sleep 10"]);
/// let ready = Ready::new("listening on", Discard);
/// let waiter = ready.waiter();
/// let server = handle.spawn(Job::new(sh).stdout(ready));
///
/// match waiter.wait_timeout(Duration::from_secs(10)) {
///     Some(Readiness::Ready(line)) => assert_eq!(line.text_lossy(), "listening on :8080"),
///     Some(Readiness::Ended(end)) => panic!("the server stopped first: {end:?}"),
///     None => panic!("not ready after 10 s"),
/// }
/// server.kill();
/// assert_eq!(server.wait()?.signal(), Some(9));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Waiter {
    latch: Arc<Latch>,
}

impl Waiter {
    pub(crate) fn new(latch: Arc<Latch>) -> Waiter {
        Waiter { latch }
    }

    /// Blocks until the readiness is known, and returns it.
    ///
    /// This returns once the pattern is found or the stream ends — and a
    /// stream ends when the child and whatever shares its pipe exit or
    /// close it. A child that neither prints the pattern nor exits keeps
    /// this waiting: prefer [`wait_timeout`](Waiter::wait_timeout), or give
    /// the job a [`timeout`](procpump::Job::timeout).
    pub fn wait(&self) -> Readiness {
        let slot = self.latch.lock();
        let slot = self
            .latch
            .known
            .wait_while(slot, |slot| slot.is_none())
            .unwrap_or_else(PoisonError::into_inner);
        slot.clone().expect("the latch is set")
    }

    /// Waits at most `timeout`; `None` if the readiness is still unknown
    /// then.
    pub fn wait_timeout(&self, timeout: Duration) -> Option<Readiness> {
        let slot = self.latch.lock();
        let (slot, _) = self
            .latch
            .known
            .wait_timeout_while(slot, timeout, |slot| slot.is_none())
            .unwrap_or_else(PoisonError::into_inner);
        slot.clone()
    }

    /// The readiness if it is known, without waiting.
    pub fn try_wait(&self) -> Option<Readiness> {
        self.latch.get()
    }
}

impl fmt::Debug for Waiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Waiter")
            .field("readiness", &self.latch.get())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_waiter_sees_the_first_readiness() {
        let latch = Arc::new(Latch::default());
        let waiter = Waiter::new(Arc::clone(&latch));
        let other = waiter.clone();
        assert_eq!(waiter.try_wait(), None);
        assert_eq!(waiter.wait_timeout(Duration::from_millis(1)), None);
        let blocked = std::thread::spawn(move || other.wait());
        latch.set(Readiness::Ended(StreamEnd::Eof));
        latch.set(Readiness::Ended(StreamEnd::Closed));
        let first = Readiness::Ended(StreamEnd::Eof);
        assert_eq!(blocked.join().unwrap(), first);
        assert_eq!(waiter.wait(), first);
        assert_eq!(waiter.wait_timeout(Duration::MAX), Some(first));
    }
}
