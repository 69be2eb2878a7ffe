//! Whether a child's process has exited, how the reactor learns it, and
//! the linger that follows.

use std::fs::File;
use std::process::ExitStatus;
use std::time::Instant;

use crate::child::registration::Registered;

/// Whether the child's process has exited.
pub(crate) enum Exit {
    /// Not exited yet; watched through `watch` (a pidfd), or polled where there
    /// is none.
    Pending { watch: Option<Registered> },
    /// Exited (and reaped) at `at`; pipes still open (held by
    /// grandchildren) are closed once `linger_until` passes.
    Exited {
        status: ExitStatus,
        at: Instant,
        linger_until: Option<Instant>,
    },
}

impl Exit {
    /// Whether it has exited.
    pub(crate) fn has_exited(&self) -> bool {
        matches!(self, Exit::Exited { .. })
    }

    /// Whether its exit must be polled for (it runs, with no exit watch).
    pub(crate) fn is_polled(&self) -> bool {
        matches!(self, Exit::Pending { watch: None })
    }

    /// The pidfd of a child still running, if it has one.
    pub(crate) fn pidfd(&self) -> Option<&File> {
        match self {
            Exit::Pending { watch } => watch.as_ref().map(Registered::file),
            Exit::Exited { .. } => None,
        }
    }

    /// When its linger ends, if one runs.
    pub(crate) fn linger_deadline(&self) -> Option<Instant> {
        match self {
            Exit::Exited { linger_until, .. } => *linger_until,
            Exit::Pending { .. } => None,
        }
    }

    /// Moves a running linger's end to `until` (after a paused stream
    /// resumed: time spent paused does not count).
    pub(crate) fn push_linger_back(&mut self, until: Instant) {
        if let Exit::Exited {
            linger_until: Some(deadline),
            ..
        } = self
        {
            *deadline = until;
        }
    }

    /// The exit status and when it was seen, once exited.
    pub(crate) fn status(&self) -> (Option<ExitStatus>, Option<Instant>) {
        match self {
            Exit::Exited { status, at, .. } => (Some(*status), Some(*at)),
            Exit::Pending { .. } => (None, None),
        }
    }
}
