//! The adapters with real children, one module each: `FileSink`, the
//! bounded buffers and circuit breakers (`Limited`, `Head`, `HeadTail`,
//! `Tee`, `communicate`), `Spool`, `Tagged`, `Ordered` and `Ready`.
//!
//! One test binary for all of them, as cargo's own test suite is: fast to
//! build, one module per behaviour.

mod file;
mod limits;
mod ordered;
mod ready;
mod spool;
mod support;
mod tagged;
