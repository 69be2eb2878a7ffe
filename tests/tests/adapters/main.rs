//! The adapters with real children, one module each: `FileSink`, the
//! bounded buffers and circuit breakers (`Limited`, `Head`, `HeadTail`,
//! `Tee`, `communicate`), `Spool`, `Tagged`, `Ordered`, `round_robin` and
//! `Ready`.
//!
//! One test binary for all of them, as cargo's own test suite is: fast to
//! build, one module per behaviour.

mod file;
mod limits;
mod ordered;
mod ready;
mod round_robin;
mod spool;
mod support;
mod tagged;
