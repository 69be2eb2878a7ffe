//! From a queued [`Job`] to a started process: the queue, preparing each
//! command's pipes, the spawner thread, and the children being started.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::os::fd::OwnedFd;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use crate::child::tell_end;
use crate::child::Plan;
use crate::io::BoxSink;
use crate::job::ReportSlot;
use crate::job::{Label, Parts};
use crate::mailbox::{Request, Shared};
use crate::reactor::delivery::{Delivery, ReportTo};
use crate::reactor::spawner::Spawner;
use crate::reactor::stages::Held;
use crate::sys;
use crate::{ChildId, Error, Event, Input, Job, Report, Signal, Source, StreamEnd, Terminal};

/// Children handed to the spawner thread and not yet back: enough to keep
/// it busy while the reactor serves pipes (with two, 1,000 children took
/// 1.09–1.16 s against 1.04–1.08 s), few enough that the queue's order and
/// cap still hold.
const SPAWN_AHEAD: usize = 8;

/// A job handed over from another thread (a [`Handle`](crate::Handle)),
/// with the waiter of its [`ChildHandle`](crate::ChildHandle).
pub(crate) struct Submission {
    id: ChildId,
    job: Job,
    waiter: Option<Arc<ReportSlot>>,
}

impl Submission {
    pub(crate) fn new(id: ChildId, job: Job, waiter: Option<Arc<ReportSlot>>) -> Submission {
        Submission { id, job, waiter }
    }

    /// The reactor stopped before taking it: it is no longer counted, and
    /// its waiter is told so.
    fn refuse(self, shared: &Shared) {
        shared.counts().dropped();
        if let Some(waiter) = self.waiter {
            waiter.set(Err(Error::Stopped { child: self.id }));
        }
    }
}

/// A child with the spawner thread: what it needs once started.
pub(super) struct Launch {
    pub(super) plan: Plan,
    pub(super) report_to: ReportTo,
}

/// A child the spawner started, ready to be wired.
pub(super) struct Started {
    pub(crate) id: ChildId,
    pub(crate) process: Child,
    pub(crate) plan: Plan,
    pub(crate) report_to: ReportTo,
    /// Signals sent before it started, to send now.
    pub(crate) signals: Vec<Signal>,
}

/// Children queued and being started.
pub(super) struct Launcher {
    queue: VecDeque<Submission>,
    /// Jobs from other threads, each announced by a
    /// [`Request::Submitted`] (so it keeps its place among requests).
    inbox: (Sender<Submission>, Receiver<Submission>),
    pub(super) launching: HashMap<ChildId, Launch>,
    /// Signals for children not started yet, sent once they are.
    on_start: Vec<(ChildId, Signal)>,
    pub(super) spawner: Spawner,
    /// The linger of jobs that do not set theirs.
    pub(super) linger: Duration,
    /// The later stages of pipelines whose first stage is with the
    /// spawner: they join its process group once it has started.
    pub(super) held: HashMap<ChildId, Vec<Held>>,
}

impl Launcher {
    pub(crate) fn new(linger: Duration) -> Launcher {
        Launcher {
            queue: VecDeque::new(),
            inbox: crossbeam_channel::unbounded(),
            launching: HashMap::new(),
            on_start: Vec::new(),
            spawner: Spawner::default(),
            linger,
            held: HashMap::new(),
        }
    }

    /// Queues `job` as `id`; its report goes to `waiter` if there is one.
    pub(crate) fn queue(&mut self, id: ChildId, job: Job, waiter: Option<Arc<ReportSlot>>) {
        self.queue.push_back(Submission::new(id, job, waiter));
    }

    /// Where other threads leave jobs for this launcher.
    pub(crate) fn inbox(&self) -> Sender<Submission> {
        self.inbox.0.clone()
    }

    /// Queues the next job left in the inbox ([`Request::Submitted`]).
    pub(crate) fn take_submitted(&mut self) {
        if let Ok(submission) = self.inbox.1.try_recv() {
            self.queue.push_back(submission);
        }
    }

    /// Children queued or with the spawner.
    pub(crate) fn len(&self) -> usize {
        self.queue.len() + self.launching.len()
    }

    /// Children with the spawner.
    pub(crate) fn launching(&self) -> usize {
        self.launching.len()
    }

    /// Whether a queued child may go to the spawner now, with `running`
    /// children started and at most `max_running` allowed.
    pub(crate) fn can_launch(&self, running: usize, max_running: usize) -> bool {
        !self.queue.is_empty()
            && self.launching.len() < SPAWN_AHEAD
            && running + self.launching.len() < max_running
    }

    /// Hands queued children to the spawner thread, in order, while
    /// [`can_launch`](Self::can_launch) allows.
    pub(crate) fn start_queued(
        &mut self,
        shared: &Arc<Shared>,
        running: usize,
        max_running: usize,
        delivery: &mut Delivery,
    ) {
        while self.can_launch(running, max_running) {
            let Some(submission) = self.queue.pop_front() else {
                break;
            };
            let Submission { id, job, waiter } = submission;
            let parts = job.into_parts();
            if !parts.stages.is_empty() {
                self.start_pipeline(shared, id, parts, waiter, delivery);
                continue;
            }
            let (plan, events, command) = prepare(parts, self.linger);
            let launch = Launch {
                plan,
                report_to: ReportTo::new(events, waiter),
            };
            match command {
                Ok(command) => {
                    self.launching.insert(id, launch);
                    self.spawner.spawn(shared, id, command);
                }
                Err(why) => not_started(id, launch, why, delivery),
            }
        }
    }

    /// The spawner is back with `id`'s process (or an error, which is
    /// reported).
    pub(crate) fn launched(
        &mut self,
        shared: &Arc<Shared>,
        id: ChildId,
        outcome: io::Result<Child>,
        delivery: &mut Delivery,
    ) -> Option<Started> {
        let launch = self.launching.remove(&id)?;
        let process = match outcome {
            Ok(process) => process,
            Err(err) => {
                not_started(id, launch, Unstarted::Spawn(err), delivery);
                self.cancel_held(id, delivery);
                return None;
            }
        };
        let mut signals = Vec::new();
        self.on_start.retain(|&(target, signal)| {
            if target == id {
                signals.push(signal);
            }
            target != id
        });
        if signals.contains(&Signal::KILL) {
            self.cancel_held(id, delivery);
        } else {
            self.release_held(shared, id, process.id(), delivery);
        }
        Some(Started {
            id,
            process,
            plan: launch.plan,
            report_to: launch.report_to,
            signals,
        })
    }

    /// Ends `id` if it is not started: a queued one is dropped and
    /// reported [`Error::Cancelled`]; one with the spawner is killed as
    /// soon as it has started. False if it is neither.
    pub(crate) fn cancel(&mut self, id: ChildId, delivery: &mut Delivery) -> bool {
        if let Some(position) = self.queue.iter().position(|queued| queued.id == id) {
            if let Some(submission) = self.queue.remove(position) {
                report_cancelled(submission, delivery);
            }
            true
        } else {
            self.defer_signal(id, Signal::KILL)
        }
    }

    /// Keeps `signal` for `id` until it starts. False if it is neither
    /// queued nor with the spawner.
    pub(crate) fn defer_signal(&mut self, id: ChildId, signal: Signal) -> bool {
        let known =
            self.launching.contains_key(&id) || self.queue.iter().any(|queued| queued.id == id);
        if known {
            self.on_start.push((id, signal));
        }
        known
    }

    /// Stops: queued children are reported cancelled, and so are those
    /// with the spawner, once it has finished with them (what it started
    /// is killed and reaped). `requests` are those left unserved (a panic
    /// cut a turn short). Their sinks are told they never started.
    pub(crate) fn stop(
        &mut self,
        shared: &Shared,
        requests: Vec<Request>,
        delivery: &mut Delivery,
    ) {
        while let Some(submission) = self.queue.pop_front() {
            report_cancelled(submission, delivery);
        }
        self.spawner.stop();
        let mut spawned = shared.take_spawned();
        for request in requests {
            match request {
                Request::Spawned(id, outcome) => spawned.push((id, outcome)),
                Request::Submitted => self.take_submitted(),
                _ => {}
            }
        }
        while let Some(submission) = self.queue.pop_front() {
            report_cancelled(submission, delivery);
        }
        for (id, outcome) in spawned {
            if let Some(launch) = self.launching.remove(&id) {
                abandon(id, launch, outcome, delivery);
            }
        }
        let pipelines: Vec<ChildId> = self.held.keys().copied().collect();
        for id in pipelines {
            self.cancel_held(id, delivery);
        }
        self.on_start.clear();
    }

    /// Tells the waiters of jobs still in the inbox that the reactor
    /// stopped.
    pub(crate) fn refuse_submitted(&mut self, shared: &Shared) {
        while let Ok(submission) = self.inbox.1.try_recv() {
            submission.refuse(shared);
        }
    }
}

/// Prepares a job's command: its pipes (one shared pipe for a merged
/// stream), its process group. Returns what the child needs once started,
/// its events channel, and the command (or why it cannot start).
pub(super) fn prepare(
    parts: Parts,
    linger: Duration,
) -> (Plan, Option<Sender<Event>>, Result<Command, Unstarted>) {
    let Parts {
        mut command,
        stdin,
        sinks,
        merged,
        terminal,
        linger: job_linger,
        events,
        lifecycle,
        label,
        conflict,
        stages: _,
    } = parts;
    let mut plan = Plan {
        program: command.get_program().to_string_lossy().into_owned(),
        stdin: None,
        sinks,
        combined_output: None,
        linger: job_linger.unwrap_or(linger),
        lifecycle,
        started: Instant::now(),
        label,
        group: None,
    };
    if let Some((reason, rejected)) = conflict {
        end_unstarted(rejected);
        return (plan, events, Err(Unstarted::Invalid(reason)));
    }
    plan.stdin = set_stdin(&mut command, stdin);
    match shared_output(&mut command, merged, terminal) {
        Ok(read) => plan.combined_output = read,
        Err(err) => return (plan, events, Err(Unstarted::Spawn(err))),
    }
    if lifecycle.process_group {
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
    }
    if plan.sinks[0].is_some() && plan.combined_output.is_none() {
        command.stdout(Stdio::piped());
    }
    if plan.sinks[1].is_some() {
        command.stderr(Stdio::piped());
    }
    (plan, events, Ok(command))
}

/// Why a child did not start.
pub(super) enum Unstarted {
    /// Its job contradicts itself ([`Error::InvalidJob`]).
    Invalid(String),
    /// Spawning it failed ([`Error::Spawn`]).
    Spawn(io::Error),
    /// Another stage of its pipeline did not start ([`Error::Cancelled`]).
    Cancelled,
}

/// Gives the child its stdin: a pipe for a source (returned, to write
/// it), a descriptor as it is, or `/dev/null` when the job has no input.
fn set_stdin(command: &mut Command, stdin: Option<Input>) -> Option<Box<dyn Source + Send>> {
    match stdin.map(Input::into_parts) {
        Some(Ok(source)) => {
            command.stdin(Stdio::piped());
            Some(source)
        }
        Some(Err(stdio)) => {
            command.stdin(stdio);
            None
        }
        None => {
            command.stdin(Stdio::null());
            None
        }
    }
}

/// One descriptor for both stdout and stderr, if the job asks: a pipe
/// (`merged`) or a terminal. Returns the end to read.
fn shared_output(
    command: &mut Command,
    merged: bool,
    terminal: Option<Terminal>,
) -> io::Result<Option<OwnedFd>> {
    match (merged, terminal) {
        (true, _) => merged_pipe(command).map(Some),
        (false, Some(terminal)) => open_terminal(command, terminal).map(Some),
        (false, None) => Ok(None),
    }
}

/// A pipe whose write end is both the child's stdout and its stderr;
/// returns the read end.
fn merged_pipe(command: &mut Command) -> io::Result<OwnedFd> {
    let (read, write) = sys::pipe()?;
    command.stderr(Stdio::from(write.try_clone()?));
    command.stdout(Stdio::from(write));
    Ok(read)
}

/// A pseudo-terminal that is both the child's stdout and its stderr;
/// returns its master side.
fn open_terminal(command: &mut Command, terminal: Terminal) -> io::Result<OwnedFd> {
    let (master, slave) = sys::open_terminal(terminal.columns(), terminal.rows())?;
    command.stderr(Stdio::from(slave.try_clone()?));
    command.stdout(Stdio::from(slave));
    Ok(master)
}

/// Tells the sinks of a child that never started so (a sink that panics
/// there is dropped).
fn end_unstarted<S: IntoIterator<Item = BoxSink>>(sinks: S) -> Vec<Option<BoxSink>> {
    sinks
        .into_iter()
        .map(|sink| tell_end(sink, &StreamEnd::NotStarted))
        .collect()
}

/// [`end_unstarted`] for a child's two output sinks.
fn end_unstarted_pair(sinks: [Option<BoxSink>; 2]) -> [Option<BoxSink>; 2] {
    sinks.map(|sink| sink.and_then(|sink| tell_end(sink, &StreamEnd::NotStarted)))
}

/// What the report of a child that never started is made of.
struct NeverStarted {
    program: String,
    sinks: [Option<BoxSink>; 2],
    started: Instant,
    label: Option<Label>,
}

impl From<Plan> for NeverStarted {
    fn from(plan: Plan) -> NeverStarted {
        NeverStarted {
            program: plan.program,
            sinks: plan.sinks,
            started: plan.started,
            label: plan.label,
        }
    }
}

/// Reports a child that never started, failed with `error`: its sinks are
/// told [`StreamEnd::NotStarted`] (one that panics there is dropped). The
/// one place an unstarted child is reported, however it came not to start.
fn report_unstarted(
    id: ChildId,
    child: NeverStarted,
    error: Error,
    report_to: ReportTo,
    delivery: &mut Delivery,
) {
    log::debug!("{error}");
    let sinks = end_unstarted_pair(child.sinks);
    let report = Report::unstarted(id, child.program, sinks, child.started, error, child.label);
    delivery.deliver_unstarted(report_to, report);
}

/// Reports a queued child that will not start.
fn report_cancelled(submission: Submission, delivery: &mut Delivery) {
    let Submission { id, job, waiter } = submission;
    let program = job.program();
    let parts = job.into_parts();
    if let Some((_, rejected)) = parts.conflict {
        end_unstarted(rejected);
    }
    for stage in parts.stages {
        end_unstarted_pair(stage.into_parts().sinks);
    }
    let error = Error::Cancelled {
        child: id,
        program: program.clone(),
    };
    let child = NeverStarted {
        program,
        sinks: parts.sinks,
        started: Instant::now(),
        label: parts.label,
    };
    let report_to = ReportTo::new(parts.events, waiter);
    report_unstarted(id, child, error, report_to, delivery);
}

/// Reports a child that could not start.
pub(super) fn not_started(id: ChildId, launch: Launch, why: Unstarted, delivery: &mut Delivery) {
    let Launch { plan, report_to } = launch;
    let program = plan.program.clone();
    let error = match why {
        Unstarted::Spawn(source) => Error::Spawn {
            child: id,
            program,
            source,
        },
        Unstarted::Invalid(reason) => Error::InvalidJob {
            child: id,
            program,
            reason,
        },
        Unstarted::Cancelled => Error::Cancelled { child: id, program },
    };
    report_unstarted(id, plan.into(), error, report_to, delivery);
}

/// A child back from the spawner while the reactor stops: killed and
/// reaped, reported as cancelled.
fn abandon(id: ChildId, launch: Launch, outcome: io::Result<Child>, delivery: &mut Delivery) {
    if let Ok(mut process) = outcome {
        let _ = process.kill();
        let _ = process.wait();
    }
    let Launch { plan, report_to } = launch;
    let error = Error::Cancelled {
        child: id,
        program: plan.program.clone(),
    };
    report_unstarted(id, plan.into(), error, report_to, delivery);
}
