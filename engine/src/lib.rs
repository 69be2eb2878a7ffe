//! Run many child processes and stream their stdin, stdout and stderr
//! through one reactor thread: no deadlock, bounded memory, no child waiting
//! on another.
//!
//! `Command::output` (like Python's `communicate`) avoids the pipe deadlock
//! by collecting everything a child prints into memory, one child at a time.
//! procpump multiplexes the pipes of any number of children on one poller
//! (the [`polling`] crate's, on every platform) and hands every chunk, as
//! it arrives, to the [`Sink`] you chose for that stream. A sink that cannot keep up returns
//! [`Flow::Pause`]: that one pipe stops being read (the child blocks in
//! `write`) and everything else flows on.
//!
//! # Example
//!
//! ```
//! # fn main() -> procpump::Result<()> {
//! use procpump::{Discard, Flow, Input, Job, Reactor};
//! use std::process::Command;
//!
//! // One reactor drives every child.
//! let mut reactor = Reactor::new()?;
//!
//! // `tr` reads what we feed it; its stdout goes to a closure as it
//! // arrives; its stderr is counted and thrown away.
//! let mut tr = Command::new("tr");
//! tr.args(["a-z", "A-Z"]);
//! let mut shout = Vec::new();
//! reactor.spawn(
//!     Job::new(tr)
//!         .stdin(Input::bytes("hello, world\n"))
//!         .stdout(move |chunk: &[u8]| {
//!             shout.extend_from_slice(chunk);
//!             assert!(shout.len() <= 13);
//!             Flow::Continue
//!         })
//!         .stderr(Discard),
//! );
//!
//! // Run until every child has exited and its pipes are drained.
//! for report in reactor.run()? {
//!     assert!(report.success(), "{report:?}");
//!     assert_eq!(report.stdout().unwrap().bytes(), 13);
//!     assert_eq!(report.stdin().unwrap().written(), 13);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! A sink's result is read after the run by taking it back from the report
//! ([`Report::take_sink`]).
//!
//! # How it works
//!
//! Each child's pipes are made non-blocking on the parent's side and
//! registered (level-triggered) with one poller, along with a pidfd that
//! tells when the child exits. When a pipe is readable the reactor reads it
//! into one buffer it reuses and calls the sink; when stdin is writable it
//! writes what the [`Source`] gives. Each wait costs a few system calls
//! (`polling` sets its timer and clears its wake-up around it), so a turn
//! serves every event one wait returns, and a read that fills the buffer
//! is followed by another (up to four) before the next wait. Busy pipes are
//! enlarged (`F_SETPIPE_SZ`): to 1 MiB while the child runs on another CPU,
//! which on Linux triples throughput, and to one read's size while it
//! shares the reactor's. Exit and end of output are separate events: after a child exits, pipes that grandchildren still hold are
//! drained for a linger ([`Options::linger`]) and then closed and flagged
//! ([`StreamEnd::ForceClosed`]). A child is reported once it has exited and
//! every stream has ended.
//!
//! # Platforms
//!
//! | platform | status |
//! |---|---|
//! | Linux 5.3+ | tested; `polling`'s epoll, pidfd exit watch, pipe enlarging |
//! | Linux before 5.3 | exits polled (1–50 ms), same results |
//! | macOS, BSD | `polling`'s kqueue (the same poller code as on Linux); exits polled; untested |
//! | Windows | not supported: no non-blocking anonymous pipes to poll |
//!
//! # Deadlocks and pitfalls
//!
//! - A sink runs on the reactor's thread: one that blocks stalls every
//!   child. Return [`Flow::Pause`] and resume with a [`Resumer`] instead.
//! - A paused stream stays paused until resumed: a sink that never resumes
//!   leaves its child blocked, and [`Reactor::run`] waiting for it.
//! - A child that exits while a grandchild holds its stdout is reported only
//!   after the grandchild closes it or the linger ends (default 2 s).
//! - [`Flow::Close`] closes the pipe: the child's next write fails with
//!   `EPIPE` or kills it with `SIGPIPE`.
//! - Dropping the [`Reactor`] kills (`SIGKILL`) and reaps every child still
//!   running.

#![deny(missing_docs)]

// The layers, bottom up: a module uses only its own folder and the layers
// below it (docs/ARCHITECTURE.md draws them; `tests/architecture.rs`
// holds the table and checks it).
mod background;
mod base;
mod channel;
mod child;
mod io;
mod job;
mod mailbox;
mod reactor;
mod sys;

pub use background::{ChildHandle, Handle};
pub use base::{ChildId, Error, Options, Result, Signal, Stream, Terminal};
pub use channel::{ChannelSink, OnDisconnect};
pub use io::{Chunk, Discard, Fill, Flow, Input, IntoSink, Sink, Source, StreamEnd};
pub use job::{Event, InputReport, Job, OutputReport, Pipeline, Report};
pub use mailbox::{Control, Resumer, StreamContext, Waker};
pub use reactor::Reactor;
