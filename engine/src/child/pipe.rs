//! The parent's end of one of a child's pipes: registered with the poller,
//! sized for where its child runs.

use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::sync::Arc;

use crate::base::Key;
use crate::child::registration::Registered;
use crate::child::sizing::{PipeSize, PipeSizes};
use crate::mailbox::Shared;
use crate::sys::{self, Interest};

/// One of a child's pipes, as the reactor holds it.
pub(super) struct Pipe {
    fd: Registered,
    size: PipeSize,
    /// The child at the other end.
    pid: u32,
}

impl Pipe {
    /// Makes `fd` non-blocking (the child keeps its blocking end) and
    /// registers it under `key`, watched for `interest`.
    pub(crate) fn new(
        fd: OwnedFd,
        key: Key,
        interest: Interest,
        pid: u32,
        shared: Arc<Shared>,
    ) -> io::Result<Pipe> {
        sys::set_nonblocking(&fd)?;
        let base = sys::pipe_capacity(&fd).unwrap_or(64 * 1024);
        Ok(Pipe {
            fd: Registered::new(fd, key, interest, shared)?,
            size: PipeSize::new(base),
            pid,
        })
    }

    /// Watches the pipe for `interest` from now on.
    pub(crate) fn watch(&mut self, interest: Interest) -> io::Result<()> {
        self.fd.watch(interest)
    }

    /// The descriptor.
    pub(crate) fn file(&self) -> &File {
        self.fd.file()
    }

    /// The pipe's capacity now.
    pub(crate) fn capacity(&self) -> usize {
        self.size.capacity()
    }

    /// The pipe was found busy: size it for where its child runs
    /// ([`PipeSize::busy`]).
    pub(crate) fn busy(&mut self, sizes: PipeSizes) {
        let pid = self.pid;
        let file = self.fd.file();
        self.size.busy(
            sizes,
            &self.fd.shared().pipe_budget,
            || sys::shares_cpu(pid),
            |size| sys::set_pipe_size(file, size),
        );
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        self.size.release(&self.fd.shared().pipe_budget);
    }
}

/// What serving a pipe borrows from the reactor (it does no I/O itself):
/// its one read buffer, and the capacities to give busy pipes.
#[derive(Debug)]
pub(crate) struct Scratch {
    /// Every read goes here ([`Options::read_size`](crate::Options::read_size)).
    pub(crate) buffer: Vec<u8>,
    /// For output pipes.
    pub(crate) read_sizes: PipeSizes,
    /// For stdin pipes.
    pub(crate) write_sizes: PipeSizes,
}

/// The stdin buffer's size: a pipe of the default size fills in one write.
pub(super) const INPUT_BUFFER: usize = 64 * 1024;

impl Scratch {
    /// For reads of `read_size` bytes, busy pipes enlarged to `pipe_size`
    /// while their child runs on another CPU.
    pub(crate) fn new(read_size: usize, pipe_size: usize) -> Scratch {
        Scratch {
            buffer: vec![0; read_size],
            read_sizes: PipeSizes {
                near: read_size.min(pipe_size),
                far: pipe_size,
            },
            write_sizes: PipeSizes {
                near: INPUT_BUFFER,
                far: pipe_size,
            },
        }
    }
}
