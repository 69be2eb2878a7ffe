//! The running children: the table of their slots, where each report
//! goes, and the polling of exits where there is no exit watch.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::child::ExitPolling;
use crate::child::{Next, Running};
use crate::mailbox::Shared;
use crate::reactor::delivery::{Delivery, ReportTo};
use crate::reactor::launch::Started;
use crate::reactor::slab::Slab;
use crate::{ChildId, Report};

/// A running child and where its report goes.
struct Entry {
    child: Running,
    report_to: ReportTo,
}

/// The running children.
#[derive(Default)]
pub(super) struct Children {
    table: Slab<Entry>,
    exit_polling: ExitPolling,
}

impl Children {
    /// How many run.
    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    /// The slot of `id`.
    pub(crate) fn slot(&self, id: ChildId) -> Option<usize> {
        self.table.slot(id)
    }

    /// Whether `slot` holds `id`.
    pub(crate) fn holds(&self, slot: usize, id: ChildId) -> bool {
        self.table.holds(slot, id)
    }

    /// The child in `slot`.
    pub(crate) fn get_mut(&mut self, slot: usize) -> Option<&mut Running> {
        self.table.get_mut(slot).map(|entry| &mut entry.child)
    }

    /// The child `id`.
    pub(crate) fn by_id_mut(&mut self, id: ChildId) -> Option<&mut Running> {
        self.table.by_id_mut(id).map(|entry| &mut entry.child)
    }

    /// Wires a child the spawner started into a free slot
    /// ([`Running::start`]), and sends it the signals it was sent before it
    /// started. If it cannot be wired, it is reported through `delivery`
    /// and the answer is false.
    ///
    /// # Panics
    ///
    /// As [`Running::start`], the slot given back.
    pub(crate) fn start(
        &mut self,
        started: Started,
        shared: &Arc<Shared>,
        watch_exit: bool,
        delivery: &mut Delivery,
    ) -> bool {
        let Started {
            id,
            process,
            plan,
            report_to,
            signals,
        } = started;
        let slot = self.table.vacant();
        let wired = panic::catch_unwind(AssertUnwindSafe(|| {
            Running::start(id, slot, process, plan, shared, watch_exit)
        }));
        let mut child = match wired {
            Ok(Ok(child)) => child,
            Ok(Err(report)) => {
                self.table.release(slot);
                delivery.deliver_unstarted(report_to, *report);
                return false;
            }
            Err(panic) => {
                self.table.release(slot);
                shared.counts().dropped();
                panic::resume_unwind(panic);
            }
        };
        if child.is_polled() {
            self.exit_polling.add();
        }
        // Counted running before anyone hears that it started.
        delivery.started(&report_to, child.pid());
        for signal in signals {
            if let Err(err) = child.signal(signal) {
                log::debug!("{signal} to {id}: {err}");
            }
        }
        self.table.insert(slot, id, Entry { child, report_to });
        true
    }

    /// Takes the child out of `slot`, with its report and where it goes.
    pub(crate) fn finish(&mut self, slot: usize, now: Instant) -> Option<(ReportTo, Report)> {
        let Entry { child, report_to } = self.table.remove(slot)?;
        log::debug!("child {} ({}) done", child.id(), child.program());
        if child.is_polled() {
            self.exit_polling.remove();
        }
        Some((report_to, child.into_report(now)))
    }

    /// The exit-polling interval in force, if some child's exit is polled
    /// for.
    pub(crate) fn polling_interval(&self) -> Option<Duration> {
        self.exit_polling.interval()
    }

    /// How long the next wait may last before exits are polled, if any
    /// child has no exit watch.
    pub(crate) fn poll_interval(&mut self) -> Option<Duration> {
        self.exit_polling.next_wait()
    }

    /// Checks the status of every child without an exit watch; returns
    /// what to do next for each.
    pub(crate) fn poll_exits(&mut self, now: Instant) -> Vec<(usize, Next)> {
        let mut nexts = Vec::new();
        if !self.exit_polling.is_active() {
            return nexts;
        }
        for slot in self.table.occupied() {
            let Some(entry) = self.table.get_mut(slot) else {
                continue;
            };
            if entry.child.is_polled() {
                let next = entry.child.check_exit(now);
                if !entry.child.is_polled() {
                    self.exit_polling.remove();
                }
                nexts.push((slot, next));
            }
        }
        nexts
    }

    /// Kills and reaps every child ([`Running::kill_and_reap`]); returns
    /// their reports.
    pub(crate) fn kill_all(&mut self) -> Vec<(ReportTo, Report)> {
        let now = Instant::now();
        let mut reports = Vec::new();
        for slot in self.table.occupied() {
            if let Some(entry) = self.table.get_mut(slot) {
                log::debug!(
                    "killing child {} ({})",
                    entry.child.id(),
                    entry.child.program()
                );
                entry.child.kill_and_reap();
            }
            reports.extend(self.finish(slot, now));
        }
        self.exit_polling.clear();
        reports
    }
}
