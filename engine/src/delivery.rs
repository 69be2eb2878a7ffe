//! Where reports go: to the caller of `run`/`turn`, to the
//! [`ChildHandle`](crate::ChildHandle) waiting for one, or into an events
//! channel, where a full channel keeps them in an outbox until it has
//! room.

use std::sync::{Arc, Weak};

use crossbeam_channel::{Sender, TrySendError};

use crate::shared::{Request, Shared};
use crate::waiter::Waiter;
use crate::watcher::Sendable;
use crate::{Error, Event, Report};

/// Where a child's report goes.
pub(crate) enum ReportTo {
    /// Out of [`Reactor::run`](crate::Reactor::run) or
    /// [`Reactor::turn`](crate::Reactor::turn).
    Caller,
    /// Into an events channel, as [`Event::Exited`].
    Events(Sender<Event>),
    /// To the [`ChildHandle`](crate::ChildHandle) waiting for it.
    Waiter(Arc<Waiter>),
}

impl ReportTo {
    /// Where a job's report goes: its events channel, else its waiter (if
    /// it has both, the waiter is told at once that the report goes to
    /// the channel), else the caller.
    pub(crate) fn new(events: Option<Sender<Event>>, waiter: Option<Arc<Waiter>>) -> ReportTo {
        match (events, waiter) {
            (Some(events), waiter) => {
                if let Some(waiter) = waiter {
                    waiter.set(Err(Error::ReportSent {
                        child: waiter.child(),
                    }));
                }
                ReportTo::Events(events)
            }
            (None, Some(waiter)) => ReportTo::Waiter(waiter),
            (None, None) => ReportTo::Caller,
        }
    }
}

/// Reports on their way.
#[derive(Debug)]
pub(crate) struct Delivery {
    /// For the caller of `run` or `turn`.
    finished: Vec<Report>,
    /// For events channels that were full.
    outbox: Vec<(Sender<Event>, Event)>,
    shared: Weak<Shared>,
}

impl Delivery {
    pub(crate) fn new(shared: &Arc<Shared>) -> Delivery {
        Delivery {
            finished: Vec::new(),
            outbox: Vec::new(),
            shared: Arc::downgrade(shared),
        }
    }

    /// Hands `report` to where it goes.
    pub(crate) fn deliver(&mut self, to: ReportTo, report: Report) {
        match to {
            ReportTo::Caller => self.finished.push(report),
            ReportTo::Waiter(waiter) => waiter.set(Ok(report)),
            ReportTo::Events(sender) => self.send(sender, Event::Exited(Box::new(report))),
        }
    }

    /// Sends `event`, or keeps it until the channel has room (the watcher
    /// thread then asks the reactor to try again: [`Request::Outbox`]).
    fn send(&mut self, sender: Sender<Event>, event: Event) {
        match sender.try_send(event) {
            Ok(()) => {}
            Err(TrySendError::Full(event)) => {
                if let Some(shared) = self.shared.upgrade() {
                    let weak = Weak::clone(&self.shared);
                    shared.watcher.watch(Box::new(Sendable {
                        sender: sender.clone(),
                        wake: move || {
                            if let Some(shared) = weak.upgrade() {
                                shared.request(Request::Outbox);
                            }
                        },
                    }));
                }
                self.outbox.push((sender, event));
            }
            Err(TrySendError::Disconnected(_)) => {
                log::debug!("events channel gone: a report was dropped");
            }
        }
    }

    /// Sends what waits in the outbox (its channels may have room now).
    pub(crate) fn send_outbox(&mut self) {
        for (sender, event) in std::mem::take(&mut self.outbox) {
            self.send(sender, event);
        }
    }

    /// Reports waiting in the outbox.
    pub(crate) fn waiting(&self) -> usize {
        self.outbox.len()
    }

    /// Whether reports wait for the caller.
    pub(crate) fn has_finished(&self) -> bool {
        !self.finished.is_empty()
    }

    /// The reports for the caller, in the order they finished.
    pub(crate) fn take_finished(&mut self) -> Vec<Report> {
        std::mem::take(&mut self.finished)
    }
}
