//! Where reports go: to the caller of `run`/`turn`, to the
//! [`ChildHandle`](crate::ChildHandle) waiting for one, or into an events
//! channel, where a full channel keeps them in an outbox until it has
//! room.

use std::collections::VecDeque;
use std::sync::{Arc, Weak};
use std::thread;

use crossbeam_channel::{Select, Sender, TrySendError};

use crate::base::Output;
use crate::job::ReportSlot;
use crate::mailbox::Sendable;
use crate::mailbox::{Request, Shared};
use crate::reactor::pipeline::{Done, Pipelines};
use crate::{ChildId, Error, Event, Report, StreamEnd};

/// Where a child's report goes.
pub(super) enum ReportTo {
    /// Out of [`Reactor::run`](crate::Reactor::run) or
    /// [`Reactor::turn`](crate::Reactor::turn).
    Caller,
    /// Into an events channel, as [`Event::Exited`]; a waiting
    /// [`ChildHandle`](crate::ChildHandle) only learns whether it started.
    Events(Sender<Event>, Option<Arc<ReportSlot>>),
    /// To the [`ChildHandle`](crate::ChildHandle) waiting for it.
    Slot(Arc<ReportSlot>),
    /// Into the report of a pipeline, as its stage `index`.
    Stage { pipeline: ChildId, index: usize },
}

impl ReportTo {
    /// The waiter of a child's [`ChildHandle`](crate::ChildHandle), if any.
    pub(crate) fn waiter(&self) -> Option<&Arc<ReportSlot>> {
        match self {
            ReportTo::Slot(waiter) | ReportTo::Events(_, Some(waiter)) => Some(waiter),
            ReportTo::Caller | ReportTo::Events(_, None) | ReportTo::Stage { .. } => None,
        }
    }

    /// Where a job's report goes: its events channel, else its waiter (if
    /// it has both, the waiter is told at once that the report goes to
    /// the channel), else the caller.
    pub(crate) fn new(events: Option<Sender<Event>>, waiter: Option<Arc<ReportSlot>>) -> ReportTo {
        match (events, waiter) {
            (Some(events), waiter) => {
                if let Some(waiter) = &waiter {
                    waiter.set(Err(Error::ReportSent {
                        child: waiter.child(),
                    }));
                }
                ReportTo::Events(events, waiter)
            }
            (None, Some(waiter)) => ReportTo::Slot(waiter),
            (None, None) => ReportTo::Caller,
        }
    }
}

/// Reports on their way.
#[derive(Debug)]
pub(super) struct Delivery {
    /// For the caller of `run` or `turn`.
    finished: Vec<Report>,
    /// For events channels that were full.
    outbox: Vec<(Sender<Event>, Event)>,
    shared: Weak<Shared>,
    /// Pipelines whose stages are not all reported.
    pub(super) pipelines: Pipelines,
}

impl Delivery {
    pub(crate) fn new(shared: &Arc<Shared>) -> Delivery {
        Delivery {
            finished: Vec::new(),
            outbox: Vec::new(),
            shared: Arc::downgrade(shared),
            pipelines: Pipelines::default(),
        }
    }

    /// A child started, with process id `pid`: it is counted running,
    /// then its waiter (a pipeline's, for its first stage) is told.
    pub(crate) fn started(&mut self, to: &ReportTo, pid: u32) {
        let to = match *to {
            ReportTo::Stage { index: 0, pipeline } => self.pipelines.started(pipeline),
            ReportTo::Stage { .. } => None,
            _ => Some(to),
        };
        let Some(to) = to else { return };
        if let Some(shared) = self.shared.upgrade() {
            shared.counts().started();
        }
        if let Some(waiter) = to.waiter() {
            waiter.started(pid);
        }
    }

    /// Hands over the report of a child that ran: it is no longer counted
    /// running ([`Shared::counts`]) before anyone can see the report.
    pub(crate) fn deliver_finished(&mut self, to: ReportTo, report: Report) {
        self.uncount(&to, true);
        self.deliver(to, report);
    }

    /// Hands over the report of a queued child that never ran: it is no
    /// longer counted queued before anyone can see the report.
    pub(crate) fn deliver_unstarted(&mut self, to: ReportTo, report: Report) {
        self.uncount(&to, false);
        self.deliver(to, report);
    }

    /// A child is no longer counted, `running` or queued (a pipeline's
    /// stage counts with its pipeline's report).
    fn uncount(&self, to: &ReportTo, running: bool) {
        if matches!(to, ReportTo::Stage { .. }) {
            return;
        }
        if let Some(shared) = self.shared.upgrade() {
            if running {
                shared.counts().finished();
            } else {
                shared.counts().dropped();
            }
        }
    }

    /// Hands `report` to where it goes.
    pub(crate) fn deliver(&mut self, to: ReportTo, report: Report) {
        match to {
            ReportTo::Stage { pipeline, index } => {
                let done = self.pipelines.stage_done(pipeline, index, report);
                if let Some(Done {
                    report_to,
                    report,
                    counted,
                }) = done
                {
                    self.uncount(&report_to, counted);
                    self.deliver(report_to, report);
                }
            }
            ReportTo::Caller => self.finished.push(report),
            ReportTo::Slot(waiter) => waiter.set(Ok(report)),
            ReportTo::Events(sender, waiter) => {
                if let Some(waiter) = waiter.filter(|_| report.pid().is_none()) {
                    waiter.never_started();
                }
                for end in untold_ends(&report) {
                    self.send(sender.clone(), end);
                }
                self.send(sender, Event::Exited(Box::new(report)));
            }
        }
    }

    /// Sends `event`, or keeps it until the channel has room (the watcher
    /// thread then asks the reactor to try again: [`Request::Outbox`]).
    /// Events for one channel go in the order they were sent.
    fn send(&mut self, sender: Sender<Event>, event: Event) {
        if self
            .outbox
            .iter()
            .any(|(queued, _)| queued.same_channel(&sender))
        {
            self.outbox.push((sender, event));
            return;
        }
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

    /// The reactor stops: what waits in the outbox is sent by a thread of
    /// its own, in order, as the consumers make room; it ends once all is
    /// sent or every receiver of a channel is gone.
    pub(crate) fn drain(&mut self) {
        let outbox: VecDeque<_> = std::mem::take(&mut self.outbox).into();
        if outbox.is_empty() {
            return;
        }
        log::debug!("{} events wait for room: draining them", outbox.len());
        let spawned = thread::Builder::new()
            .name("procpump-drain".into())
            .spawn(move || drain(outbox));
        if let Err(err) = spawned {
            log::error!("cannot start the drain thread, events are lost: {err}");
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

/// The `End` events of an events-mode child that its sinks could not send:
/// for each stream of a child that never started
/// ([`StreamEnd::NotStarted`]) or was killed ([`StreamEnd::Killed`]), and
/// for a stream whose sink was dropped while it still held its `End`.
fn untold_ends(report: &Report) -> Vec<Event> {
    let mut ends = Vec::new();
    for output in Output::ALL {
        let index = output.index();
        let sink = report.sinks[index].is_some();
        let end = match &report.outputs[index] {
            Some(stream) => stream.end().clone(),
            None if sink => StreamEnd::NotStarted,
            None => continue,
        };
        if end.is_teardown() || !sink {
            ends.push(Event::End {
                child: report.id,
                stream: output.stream(),
                end,
            });
        }
    }
    ends
}

/// Sends every event, each channel's in order, blocking until there is
/// room; a channel whose receivers are all gone loses the rest of its
/// events.
fn drain(mut outbox: VecDeque<(Sender<Event>, Event)>) {
    while !outbox.is_empty() {
        // The first event waiting for each channel.
        let mut heads: Vec<usize> = Vec::new();
        for (index, (sender, _)) in outbox.iter().enumerate() {
            if !heads
                .iter()
                .any(|&head| outbox[head].0.same_channel(sender))
            {
                heads.push(index);
            }
        }
        let senders: Vec<Sender<Event>> =
            heads.iter().map(|&head| outbox[head].0.clone()).collect();
        let mut select = Select::new();
        for sender in &senders {
            select.send(sender);
        }
        let operation = select.select();
        let chosen = operation.index();
        let Some((sender, event)) = outbox.remove(heads[chosen]) else {
            return;
        };
        if operation.send(&senders[chosen], event).is_err() {
            outbox.retain(|(queued, _)| !queued.same_channel(&sender));
        }
    }
}
