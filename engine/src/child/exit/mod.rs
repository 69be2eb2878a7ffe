//! A child's exit: whether it has exited (and its linger), and how often
//! to poll for it where there is no exit watch.

mod polling;
mod state;

pub(crate) use polling::ExitPolling;
pub(crate) use state::Exit;
