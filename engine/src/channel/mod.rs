//! Sinks and sources on crossbeam channels: `ChannelSink` (chunks to
//! consumer threads, pausing the pipe while the channel is full) and the
//! `Outlet` that sends without blocking and resumes once there is room.

mod outlet;
mod sink;

pub use sink::{ChannelSink, OnDisconnect};

// For the layers above.
pub(crate) use outlet::{Outlet, SendOutcome};
