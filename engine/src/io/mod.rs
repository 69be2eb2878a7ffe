//! What a stream's bytes meet: sinks (`Sink`, `Flow`, `StreamEnd`), stdin
//! sources (`Source`, `Input`) and owned chunks (`Chunk`).

mod chunk;
mod input;
mod sink;

pub use chunk::Chunk;
pub use input::{Fill, Input, Source};
pub use sink::{Discard, Flow, IntoSink, Sink, StreamEnd};

// For the layers above.
pub(crate) use sink::BoxSink;
