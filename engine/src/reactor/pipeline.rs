//! A pipeline's stages, reported one by one, become one report: each
//! stage's report in it, `pipefail`'s success, the stage that could not
//! start named. A stage that could not start has the others killed.

use std::collections::HashMap;
use std::time::Instant;

use crate::reactor::delivery::ReportTo;
use crate::{ChildId, Error, Report, Signal};

/// One pipeline whose stages are not all reported yet.
struct Open {
    report_to: ReportTo,
    programs: Vec<String>,
    reports: Vec<Option<Report>>,
    /// The process group of its stages, once the first has started.
    group: Option<u32>,
    /// Counted running ([`Counts`](crate::mailbox::Shared::counts)).
    counted: bool,
    /// The first stage that could not start, and why.
    failure: Option<Error>,
}

/// The pipelines whose stages run.
#[derive(Default)]
pub(super) struct Pipelines {
    open: HashMap<ChildId, Open>,
}

/// A pipeline's report, ready to go, and whether it was counted running.
pub(super) struct Done {
    pub(super) report_to: ReportTo,
    pub(super) report: Report,
    pub(super) counted: bool,
}

impl Pipelines {
    /// A pipeline `id` of these stages' programs, reported to `report_to`.
    pub(crate) fn open(&mut self, id: ChildId, programs: Vec<String>, report_to: ReportTo) {
        let reports = programs.iter().map(|_| None).collect();
        let open = Open {
            report_to,
            programs,
            reports,
            group: None,
            counted: false,
            failure: None,
        };
        self.open.insert(id, open);
    }

    /// Its stages run in the process group `group`.
    pub(crate) fn set_group(&mut self, id: ChildId, group: u32) {
        if let Some(open) = self.open.get_mut(&id) {
            open.group = Some(group);
        }
    }

    /// The process group of pipeline `id`'s stages, while it runs.
    pub(crate) fn group(&self, id: ChildId) -> Option<u32> {
        self.open.get(&id)?.group
    }

    /// Its first stage started: where to tell so, if it was not told yet.
    pub(crate) fn started(&mut self, id: ChildId) -> Option<&ReportTo> {
        let open = self.open.get_mut(&id)?;
        open.counted = true;
        Some(&open.report_to)
    }

    /// Stage `index` of `id` is reported. A stage that never started stops
    /// the others (`SIGKILL` to the group). Once every stage is reported,
    /// the pipeline's report.
    pub(crate) fn stage_done(&mut self, id: ChildId, index: usize, report: Report) -> Option<Done> {
        let open = self.open.get_mut(&id)?;
        if report.pid().is_none() {
            open.fail(id, index, &report);
        }
        *open.reports.get_mut(index)? = Some(report);
        if open.reports.iter().any(Option::is_none) {
            return None;
        }
        let open = self.open.remove(&id)?;
        Some(open.into_done(id))
    }
}

impl Open {
    /// Stage `index` could not start (or was cancelled because another
    /// could not): the first real cause is the pipeline's error.
    fn fail(&mut self, id: ChildId, index: usize, report: &Report) {
        let cancelled = matches!(report.error(), Some(Error::Cancelled { .. }) | None);
        let replace = match &self.failure {
            None => true,
            Some(Error::Stage { source, .. }) => {
                matches!(**source, Error::Cancelled { .. }) && !cancelled
            }
            Some(_) => false,
        };
        if replace {
            let source = report.error().cloned().unwrap_or(Error::Cancelled {
                child: report.id(),
                program: report.program().to_owned(),
            });
            self.failure = Some(Error::Stage {
                child: id,
                stage: index,
                program: self.programs[index].clone(),
                source: Box::new(source),
            });
        }
        if let Some(group) = self.group {
            log::debug!("pipeline {id}: stage {index} did not start, killing the others");
            let _ = Signal::KILL.send_group(group);
        }
    }

    /// The pipeline's one report: its last stage's status and stdout, its
    /// first stage's stdin, pid and label, every stage's report.
    fn into_done(self, id: ChildId) -> Done {
        let mut stages: Vec<Report> = self.reports.into_iter().flatten().collect();
        let program = self.programs.join(" | ");
        let (first, last) = (0, stages.len() - 1);
        let label = stages[first].label.take();
        let stdout_sink = stages[last].sinks[0].take();
        let exited = stages
            .iter()
            .map(Report::exited)
            .collect::<Option<Vec<_>>>()
            .and_then(|exits| exits.into_iter().max());
        let report = Report {
            id,
            program,
            pid: stages[first].pid(),
            status: stages[last].status(),
            stdin: stages[first].stdin().cloned(),
            outputs: [stages[last].stdout().cloned(), None],
            sinks: [stdout_sink, None],
            started: stages[first].started(),
            exited,
            finished: Instant::now(),
            error: self.failure,
            timed_out: stages.iter().any(Report::timed_out),
            label,
            stages,
        };
        Done {
            report_to: self.report_to,
            report,
            counted: self.counted,
        }
    }
}

impl std::fmt::Debug for Pipelines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipelines")
            .field("open", &self.open.len())
            .finish()
    }
}
