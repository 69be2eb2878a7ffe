//! The reactor's core behaviours, one module each: streams moved at once
//! (no deadlock), what a sink's `Flow` does, kills, signals, the linger,
//! stdin sources and a stdin closed early, many children, a program that
//! cannot start, the pipe budget, an idle `run`, a background reactor
//! driven through its `Handle`, reports never lost, and what the library
//! promises a user (stdin's default, contradicting calls, labels, errors,
//! a waker, another event loop, terminals).
//!
//! One test binary for all of them, as cargo's own test suite is: fast to
//! build, one module per behaviour. The engine's tests that watch the
//! whole process (leaks, drop, panics, exit polling) are in `alone/`.

mod background;
mod deadlock;
mod flow;
mod handle_counts;
mod kill;
mod linger;
mod many_children;
mod missing_program;
mod pipe_budget;
mod pipeline;
mod promises;
mod report_display;
mod reports_never_lost;
mod run_idle_cpu;
mod signal;
mod stdin_closed_early;
mod stdin_sources;
