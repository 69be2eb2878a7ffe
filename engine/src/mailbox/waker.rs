//! Waking a reactor from any thread ([`Waker`]).

use std::fmt;
use std::sync::{Arc, Weak};

use crate::mailbox::shared::Shared;

/// Makes a reactor's [`turn`](crate::Reactor::turn) return, from any
/// thread: a program that drives the reactor by hand and has work of its
/// own (commands arriving on stdin, a signal) wakes it instead of polling
/// with a short timeout.
///
/// Cheap to clone, `Send` and `Sync`; made by
/// [`Reactor::waker`](crate::Reactor::waker). A wake while the reactor is
/// not waiting is kept: the next wait returns at once. Several wakes before
/// a wait count as one. Waking a reactor that is gone does nothing.
///
/// # Examples
///
/// ```
/// # fn main() -> procpump::Result<()> {
/// use procpump::Reactor;
/// use std::time::Duration;
///
/// let mut reactor = Reactor::new()?;
/// let waker = reactor.waker();
/// let thread = std::thread::spawn(move || {
///     std::thread::sleep(Duration::from_millis(50));
///     waker.wake();
/// });
/// // Nothing to do: with a waker handed out, this waits until woken.
/// reactor.turn(None)?;
/// thread.join().unwrap();
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Waker {
    shared: Weak<Shared>,
}

impl Waker {
    pub(crate) fn new(shared: &Arc<Shared>) -> Waker {
        Waker {
            shared: Arc::downgrade(shared),
        }
    }

    /// Makes the reactor's current or next wait return.
    pub fn wake(&self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.wake();
        }
    }
}

impl fmt::Debug for Waker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Waker")
            .field("reactor_alive", &(self.shared.strong_count() > 0))
            .finish()
    }
}
