//! The mailbox: what other threads share with the reactor and how they
//! reach it (the poller and its requests, the watcher thread that waits on
//! full channels, the pipe budget, wakers), and what a sink or source is
//! told of its stream (`StreamContext`, `Resumer`, `Control`).

mod budget;
mod context;
mod shared;
mod waker;
mod watcher;

pub use context::{Control, Resumer, StreamContext};
pub use waker::Waker;

// For the layers above.
pub(crate) use budget::PipeBudget;
pub(crate) use shared::{Request, Shared, Stopping};
pub(crate) use watcher::Sendable;
