//! How a [`Reactor`] behaves: [`Options`].

use std::time::Duration;

#[cfg(doc)]
use crate::{Job, Reactor, StreamEnd};

/// How a [`Reactor`] behaves: linger, buffer and pipe sizes.
///
/// # Examples
///
/// ```
/// use procpump::{Options, Reactor};
/// use std::time::Duration;
///
/// let options = Options::new().linger(Duration::from_millis(200));
/// let reactor = Reactor::with_options(options)?;
/// # Ok::<(), procpump::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Options {
    pub(crate) linger: Duration,
    pub(crate) read_size: usize,
    pub(crate) pipe_size: usize,
    pub(crate) poll_exits: bool,
    pub(crate) max_running: usize,
    pub(crate) pipe_budget: Option<usize>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            linger: Duration::from_secs(2),
            read_size: 256 * 1024,
            pipe_size: 1024 * 1024,
            poll_exits: false,
            max_running: usize::MAX,
            pipe_budget: None,
        }
    }
}

impl Options {
    /// With the pipe size capped at `max` (the kernel's
    /// `/proc/sys/fs/pipe-max-size`), if known.
    pub(crate) fn capped(mut self, max: Option<usize>) -> Options {
        if let Some(max) = max {
            self.pipe_size = self.pipe_size.min(max);
        }
        self
    }

    /// The defaults: linger 2 s, reads of 256 KiB, busy pipes enlarged to
    /// 1 MiB (256 KiB while the child shares the reactor's CPU).
    pub fn new() -> Options {
        Options::default()
    }

    /// How long, after a child exits, its pipes may stay open (held by
    /// grandchildren) before the reactor closes them and flags them
    /// [`StreamEnd::ForceClosed`]. Time a stream spends paused by its sink
    /// does not count. Default: 2 s. [`Job::linger`] overrides it per child.
    pub fn linger(mut self, linger: Duration) -> Options {
        self.linger = linger;
        self
    }

    /// The most bytes one read takes from a pipe, and so the largest chunk a
    /// sink is handed. The reactor keeps one buffer of this size for all
    /// children. Default: 256 KiB. Clamped to at least 4 KiB.
    pub fn read_size(mut self, bytes: usize) -> Options {
        self.read_size = bytes.max(4096);
        self
    }

    /// The capacity to ask the kernel for when a pipe is found busy (full,
    /// or holding more than one read) while its child runs on another CPU
    /// than the reactor (`F_SETPIPE_SZ` on Linux; larger pipes mean fewer,
    /// larger reads and writes). The kernel may refuse (per-user limits):
    /// the pipe then keeps its size, quietly. 0 leaves every pipe as the
    /// kernel made it. Default: 1 MiB, capped by
    /// `/proc/sys/fs/pipe-max-size`.
    ///
    /// The trade-off, measured (docs/BENCHMARKS.md): when the child and the
    /// reactor run on different CPUs, a large pipe means far fewer
    /// cross-CPU wake-ups and about three times the throughput of the
    /// default 64 KiB; when they share one CPU there are no such wake-ups
    /// and data that stays in cache wins: a pipe of one read
    /// ([`read_size`](Self::read_size), if smaller than this) moves about
    /// 20% more than 64 KiB and 40% more than 1 MiB. So on Linux a
    /// busy pipe gets the size for where its child last ran, looked at
    /// again every 64 busy pipes, and follows the child when the scheduler
    /// moves it (growing or shrinking; never below the kernel's own size).
    pub fn pipe_size(mut self, bytes: usize) -> Options {
        self.pipe_size = bytes;
        self
    }

    /// The most bytes the reactor may add, all pipes together, by enlarging
    /// them. The kernel charges pipe pages to their user, and once an
    /// unprivileged user passes `/proc/sys/fs/pipe-user-pages-soft` (64 MiB
    /// by default), every new pipe that user makes, in any process, is cut
    /// to a page or two. Default: a quarter of that limit for an
    /// unprivileged user, no limit for root (whom the kernel exempts).
    pub fn pipe_budget(mut self, bytes: usize) -> Options {
        self.pipe_budget = Some(bytes);
        self
    }

    /// At most this many children running at once; the others wait in the
    /// queue, in order, and start as running ones are reported. Default:
    /// no limit. Clamped to at least 1.
    pub fn max_running(mut self, children: usize) -> Options {
        self.max_running = children.max(1);
        self
    }

    /// Watch exits by polling each child's status (with an interval backing
    /// off from 1 ms to 50 ms) even where pidfds exist. This is the fallback
    /// used where `pidfd_open` is missing; the option exists to exercise
    /// it. Default: false.
    pub fn poll_exits(mut self, poll: bool) -> Options {
        self.poll_exits = poll;
        self
    }
}
