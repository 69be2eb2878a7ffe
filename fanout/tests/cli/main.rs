//! End-to-end tests of the `fanout` binary: each runs it on real commands
//! and checks what it printed, left on disk, and exited with. What GNU
//! parallel does (20221122, checked by hand on the same commands) is the
//! reference wherever fanout claims to behave the same.
//!
//! One module per area; the helpers are in `support`.

// The measured times and memory are printed (shown with `--nocapture`).
#![allow(clippy::print_stderr)]

mod args;
mod columns;
mod conformance;
mod direct;
mod env;
mod exit;
mod gnu;
mod gnu_progress;
mod group;
mod habits;
mod hosts;
mod job_slots;
mod joblog;
mod joblog_more;
mod lines;
mod linked;
mod manual;
mod onall;
mod order;
mod pipe;
mod profiles;
mod progress;
mod replace;
mod results;
mod seeing;
mod signals;
mod ssh;
mod stdin;
mod support;
mod syntax;
mod tags;
mod transfer;
