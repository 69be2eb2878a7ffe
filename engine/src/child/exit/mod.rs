//! A child's exit: whether it has exited (and its linger), reaping it
//! (when its exit watch fires, its status is polled, or it is killed), and
//! how often to poll for it where there is no exit watch. The exit watch
//! itself (a pidfd) is a platform call: `sys::exit_watch`.

mod polling;
mod reap;
mod state;

pub(crate) use polling::ExitPolling;
pub(crate) use state::Exit;
