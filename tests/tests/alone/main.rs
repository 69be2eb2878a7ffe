//! Tests that watch their whole process, each run alone in a fresh process
//! of this test binary, one after another (`procpump_tests::alone::run`):
//! they count the process's descriptors or children (`leaks`, `drop`,
//! `panic`, `panic_in_start`, `lifecycle_panic`, `lifecycle_ten_thousand`,
//! `background_drop`, `fault_suite`), look for pidfds among its
//! descriptors (`exit_fallback`), measure its peak memory
//! (`adapters_long_line`, `adapters_tail_memory`,
//! `channel_slow_consumer`) or CPU time (`background_idle_cpu`,
//! `channel_stall_cpu`), read its signal dispositions
//! (`lifecycle_signal_handlers`), or stop it (`lifecycle_eintr`). Beside
//! other tests in the same process they would count those tests'
//! children and descriptors (or kill them), or be disturbed by them; each
//! used to be a test binary of its own for that reason.
//!
//! Every test here runs its body through `alone::run`. A test that lowers
//! a limit of the whole process (`lifecycle_emfile.rs`) stays a binary of
//! its own.

use std::any::Any;

mod adapters_long_line;
mod adapters_tail_memory;
mod background_drop;
mod background_idle_cpu;
mod channel_slow_consumer;
mod channel_stall_cpu;
mod drop;
mod exit_fallback;
mod fault_suite;
mod fault_support;
mod leaks;
mod lifecycle_eintr;
mod lifecycle_panic;
mod lifecycle_signal_handlers;
mod lifecycle_ten_thousand;
mod panic;
mod panic_in_start;

/// The message of a panic's payload (a `&str` or a `String`), or "".
fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}
