//! A writer shared by many children's sinks, behind one lock: the handle
//! that [`Tagged`](crate::Tagged) and [`Spool`](crate::Spool) hand out.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// One writer, shared; cheap to clone (the clones share it). A panic while
/// it was locked does not poison it for the others.
pub(crate) struct SharedWriter<W> {
    writer: Arc<Mutex<W>>,
}

impl<W> SharedWriter<W> {
    pub(crate) fn new(writer: W) -> SharedWriter<W> {
        SharedWriter {
            writer: Arc::new(Mutex::new(writer)),
        }
    }

    /// The writer, locked.
    pub(crate) fn lock(&self) -> MutexGuard<'_, W> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` with the writer, under its lock.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut W) -> R) -> R {
        f(&mut self.lock())
    }

    /// The writer back, if this is the last handle; else the handle.
    pub(crate) fn into_inner(self) -> Result<W, SharedWriter<W>> {
        match Arc::try_unwrap(self.writer) {
            Ok(mutex) => Ok(mutex.into_inner().unwrap_or_else(PoisonError::into_inner)),
            Err(writer) => Err(SharedWriter { writer }),
        }
    }
}

impl<W> Clone for SharedWriter<W> {
    fn clone(&self) -> SharedWriter<W> {
        SharedWriter {
            writer: Arc::clone(&self.writer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writer_comes_back_from_the_last_handle_only() {
        let shared = SharedWriter::new(Vec::<u8>::new());
        let other = shared.clone();
        other.with(|out| out.extend_from_slice(b"one"));
        let shared = shared.into_inner().unwrap_err();
        drop(other);
        assert_eq!(shared.into_inner().ok().unwrap(), b"one");
    }
}
