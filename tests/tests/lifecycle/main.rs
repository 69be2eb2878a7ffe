//! The life of a child, one module each: the cap on running children,
//! kills and signals from sinks and other threads, process groups, merged
//! output, timeouts and the kill sequence, and children refused by the
//! process limit (`RLIMIT_NPROC`, set in a driver process of its own).
//!
//! One test binary for all of them, as cargo's own test suite is: fast to
//! build, one module per behaviour.

mod cap;
mod control;
mod group;
mod merged;
mod nproc;
mod timeout;
