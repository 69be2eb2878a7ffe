//! What a child is asked to be and what it was: `Job` (its command,
//! sinks, input and lifecycle), `Report`, the events of events mode, and
//! the report slot a `ChildHandle` blocks on.

mod builder;
mod event;
mod pipeline;
mod report;
mod report_slot;

pub use builder::Job;
pub use event::Event;
pub use pipeline::Pipeline;
pub use report::{InputReport, OutputReport, Report};

// For the layers above.
pub(crate) use builder::{Label, Lifecycle, Parts};
pub(crate) use report_slot::ReportSlot;
