//! The reactor: the loop (`event_loop.rs`), driven from elsewhere
//! (`embedding.rs`), and its parts: the table of running children,
//! launching, the spawner thread, report delivery, timers.

mod children;
mod delivery;
mod embedding;
mod event_loop;
mod launch;
mod pipeline;
mod slab;
mod spawner;
mod stages;
mod timers;

pub use event_loop::Reactor;

// For the background reactor.
pub(crate) use launch::Submission;
