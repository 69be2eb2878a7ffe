//! Channels between the reactor and other threads, one module each: chunk
//! channels that close when their stream ends, receivers that go away,
//! events mode, the resume of a paused stream, and stdin fed from a
//! channel.
//!
//! One test binary for all of them, as cargo's own test suite is: fast to
//! build, one module per behaviour.

mod close;
mod disconnect;
mod events;
mod resume_latency;
mod stdin;
