//! Sinks for [`procpump`]: lines, text, files, bounded buffers, tee,
//! tagged lines, spooling and readiness, plus [`communicate`], the bounded
//! replacement for [`Command::output`](std::process::Command::output).
//!
//! Every adapter is a [`Sink`](procpump::Sink) built on the engine's public
//! API only, and keeps memory bounded however much a child prints, unless
//! you ask otherwise.
//!
//! # Example
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use procpump::{Flow, Job, Reactor, Stream};
//! use procpump_adapters::{HeadTail, Line, Lines, StatefulLines};
//! use std::process::Command;
//!
//! let mut reactor = Reactor::new()?;
//! let mut sh = Command::new("sh");
//! sh.args(["-c", "seq 1000; echo warning: low disk >&2; seq 5000 >&2"]);
//!
//! // stdout: count the lines. stderr: keep both ends of it, 64 bytes each.
//! let count = Lines::with_state(0u64, |count: &mut u64, _line: Line<'_>| {
//!     *count += 1;
//!     Flow::Continue
//! });
//! reactor.spawn(Job::new(sh).stdout(count).stderr(HeadTail::new(64, 64)));
//!
//! // Results come back with the reports: take each sink back by its type.
//! let mut report = reactor.run()?.remove(0);
//! let count: StatefulLines<u64> = report.take_sink(Stream::Stdout).unwrap();
//! assert_eq!(*count.handler().state(), 1000);
//! let stderr: HeadTail = report.take_sink(Stream::Stderr).unwrap();
//! assert!(stderr.head().starts_with(b"warning: low disk\n1\n"));
//! assert!(stderr.tail().ends_with(b"4999\n5000\n"));
//! assert!(stderr.is_truncated());
//! # Ok(())
//! # }
//! ```
//!
//! # The adapters
//!
//! | adapter | keeps | memory |
//! |---|---|---|
//! | [`Lines`] | hands each line to a handler; `\n` and `\r\n` | one line, capped ([`LongLines`]) |
//! | [`Utf8`] | hands text on, whole characters only, lossy or strict | 3 bytes |
//! | [`FileSink`] | a file; zero-copy `splice` on Linux | none |
//! | [`Head`] | the first `n` bytes | `n` |
//! | [`Tail`] | the last `n` bytes (a ring buffer) | `n` |
//! | [`HeadTail`] | both ends, and how much was dropped between | `h + t` |
//! | [`Limited`] | all up to `n`, then truncate, close or kill ([`OnLimit`]) | `n` |
//! | [`Tee`] | hands each chunk to several sinks | theirs |
//! | [`Tagged`] | many children's lines on one writer, tagged, never mixed | one line per child |
//! | [`Spool`] | a child's output aside, written out whole at its end | 64 KiB, then an unnamed file |
//! | [`Ordered`] | many children's outputs on one writer, in their order, the oldest live | 4 MiB in all, then unnamed files |
//! | [`Records`] | not a sink: cuts a stream into blocks of whole records | a block and a record |
//! | [`round_robin`] | not a sink: one input's blocks of records spread over many children's stdin | a few blocks per child |
//! | [`Spill`] | bytes kept aside (not a sink: the buffer under [`Spool`]) | a bound, then an unnamed file |
//! | [`Ready`] | passes the stream on; tells the first line that holds a pattern to a callback and [`Waiter`]s | one line's start, capped |
//! | [`communicate`] | stdout and stderr of one command, up to a limit | the limits |
//!
//! # Reading results after the run
//!
//! A sink is moved into its [`Job`](procpump::Job); the reactor hands it
//! back in the child's [`Report`](procpump::Report), and
//! [`Report::take_sink`](procpump::Report::take_sink) takes it back by its
//! type. So a sink whose result you want must have a type you can name:
//! [`Tail`], [`FileSink`], …, or `Lines<YourHandler>`, or
//! [`StatefulLines<T>`] made by [`Lines::with_state`] (a closure's type has
//! no name). [`Tagged`] and [`Spool`] share their writer through a
//! cloneable handle instead. No `unsafe`, globals, or `Rc<RefCell>` needed.
//!
//! # Pausing
//!
//! A line or text handler may return [`Flow::Pause`](procpump::Flow::Pause)
//! on any line: the adapter keeps the rest of the chunk it was given (at
//! most one read's worth) and goes on from there when the stream is
//! resumed.

mod backlog;
mod communicate;
mod file;
mod head;
mod head_tail;
mod limited;
mod lines;
mod ordered;
mod ready;
mod records;
mod ring;
mod round_robin;
mod shared;
mod spill;
mod spool;
mod tagged;
mod tail;
mod tee;
mod utf8;
mod waiter;
mod watch;

pub use communicate::{communicate, Captured, Communicate, DEFAULT_CAPTURE_LIMIT};
pub use file::FileSink;
pub use head::Head;
pub use head_tail::HeadTail;
pub use limited::{Limited, OnLimit};
pub use lines::{Line, LineHandler, Lines, LongLines, Stateful, StatefulLines, DEFAULT_MAX_LINE};
pub use ordered::{
    Ordered, OrderedMode, OrderedSink, DEFAULT_ORDERED_JOB_MEMORY, DEFAULT_ORDERED_MEMORY,
};
pub use ready::{Ready, DEFAULT_READY_LINE};
pub use records::{Records, DEFAULT_BLOCK_SIZE};
pub use round_robin::{round_robin, Spread, Spreader};
pub use spill::Spill;
pub use spool::{Spool, SpoolSink, DEFAULT_SPOOL_MEMORY};
pub use tagged::{Tagged, TaggedSink};
pub use tail::Tail;
pub use tee::Tee;
pub use utf8::{StatefulText, TextHandler, Utf8, Utf8Mode};
pub use waiter::{Readiness, ReadyLine, Waiter};
pub use watch::ReadyAt;

/// The user's guide (docs/GUIDE.md), whose examples run as doc tests.
#[doc = include_str!("../../docs/GUIDE.md")]
pub mod guide {}
