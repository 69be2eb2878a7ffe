//! A descriptor registered with the reactor's poller, removed from it
//! before it is closed on every path.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;

use crate::base::Key;
use crate::mailbox::Shared;
use crate::sys::Interest;

/// A descriptor registered with the reactor's poller (level-triggered).
/// It is removed from the poller before it is closed, on every path,
/// because it is dropped only through this wrapper: so the rest of the
/// engine needs no `unsafe`.
pub(super) struct Registered {
    file: File,
    key: Key,
    interest: Interest,
    shared: Arc<Shared>,
}

impl Registered {
    /// Registers `fd` under `key`, watched for `interest`.
    pub(crate) fn new(
        fd: OwnedFd,
        key: Key,
        interest: Interest,
        shared: Arc<Shared>,
    ) -> io::Result<Registered> {
        // SAFETY: `fd` is owned by the `Registered` built below, whose
        // `Drop` deletes it from the poller before the `File` closes it.
        unsafe {
            shared.poller.add(fd.as_fd(), key.encode(), interest)?;
        }
        Ok(Registered {
            file: File::from(fd),
            key,
            interest,
            shared,
        })
    }

    /// Watches the descriptor for `interest` from now on (a system call
    /// only if that changes anything).
    pub(crate) fn watch(&mut self, interest: Interest) -> io::Result<()> {
        if interest != self.interest {
            self.shared
                .poller
                .modify(self.file.as_fd(), self.key.encode(), interest)?;
            self.interest = interest;
        }
        Ok(())
    }

    /// The descriptor.
    pub(crate) fn file(&self) -> &File {
        &self.file
    }

    /// What the reactor shares with the pipe (its budget).
    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Err(err) = self.shared.poller.delete(self.file.as_fd()) {
            log::debug!("removing fd from the poller failed: {err}");
        }
    }
}
