//! The base layer: identities and values every other layer uses, and
//! nothing else: ids, poller keys, signals, errors, options, terminals.
//! It uses only `sys/`.

mod error;
mod id;
mod key;
mod options;
mod signal;
mod terminal;

pub use error::{Error, Result};
pub use id::{ChildId, Stream};
pub use options::Options;
pub use signal::Signal;
pub use terminal::Terminal;

// For the layers above.
pub(crate) use error::copy_io_error;
pub(crate) use id::Output;
pub(crate) use key::{Key, Target};
