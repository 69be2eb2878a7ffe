//! A running child: its process and exit, its output streams and stdin,
//! their pipes (registered with the poller) and sizing. A child handles
//! its own events and answers the reactor with what to do next (`Next`).

mod exit;
mod output;
mod pipe;
mod registration;
mod running;
mod sizing;
mod start;
mod stdin;

// For the reactor.
pub(crate) use exit::ExitPolling;
pub(crate) use output::tell_end;
pub(crate) use pipe::Scratch;
pub(crate) use running::{Next, Plan, Running};
