//! The reactor: one thread, one poller, every child's pipes.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::fmt;
use std::io;
use std::os::fd::OwnedFd;
use std::panic::{self, AssertUnwindSafe};
use std::process::{Child, Stdio};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use crossbeam_channel::{Sender, TrySendError};
use std::time::{Duration, Instant};

use polling::{Events, Poller};

use crate::background::Waiter;
use crate::child::Running;
use crate::job::Lifecycle;
use crate::pipe::{InPipe, OutPipe, PipeSizes, ReadOutcome, Registered, WriteOutcome};
pub(crate) use crate::shared::{PipeBudget, Request, Shared};
use crate::sink::BoxSink;
use crate::spawner::Spawner;
use crate::watcher::{Sendable, Watcher};
use crate::Options;
use crate::{
    sys, ChildId, Error, Event, Job, Report, Result, Resumer, Signal, Stream, StreamContext,
    StreamEnd,
};

/// What a timer on the reactor's heap is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    /// The child's linger after exit is over (if its deadline still says so).
    Linger,
    /// The child's timeout: send the stop signal.
    Timeout,
    /// The grace after the stop signal is over: `SIGKILL` to the child and,
    /// even if the child is gone, to its process group.
    Kill { group: Option<u32> },
}

/// What a child with the spawner thread needs once it has started.
struct Launch {
    program: String,
    stdin: Option<crate::Input>,
    sinks: [Option<BoxSink>; 2],
    /// The read end of a merged stdout+stderr pipe.
    merged_read: Option<OwnedFd>,
    linger: Option<Duration>,
    lifecycle: Lifecycle,
    report_to: ReportTo,
    started: Instant,
}

/// Where a child's report goes.
pub(crate) enum ReportTo {
    /// Out of [`Reactor::run`] or [`Reactor::turn`].
    Caller,
    /// Into an events channel, as [`Event::Exited`].
    Events(Sender<Event>),
    /// To the [`ChildHandle`](crate::ChildHandle) waiting for it.
    Waiter(Arc<Waiter>),
}

/// Poller keys: the slot in the upper bits, what the event is for in the
/// lowest two.
const KEY_STDIN: usize = 0;
const KEY_EXIT: usize = 3;

fn key(slot: usize, kind: usize) -> usize {
    slot << 2 | kind
}

/// Children handed to the spawner thread and not yet back: enough to keep
/// it busy while the reactor serves pipes (with two, 1,000 children took
/// 1.09–1.16 s against 1.04–1.08 s), few enough that the queue's order and
/// cap still hold.
const SPAWN_AHEAD: usize = 8;
/// Full reads of one pipe per event, so a fast child cannot starve others.
const READS_PER_EVENT: usize = 4;
/// Bytes written to one stdin per event, for the same reason.
const WRITE_BYTES_PER_EVENT: u64 = 1 << 20;
/// Exit polling (where there is no pidfd): from this interval...
const EXIT_POLL_MIN: Duration = Duration::from_millis(1);
/// ...doubling up to this one.
const EXIT_POLL_MAX: Duration = Duration::from_millis(50);

/// Runs children and streams their pipes, all from one thread.
///
/// Hand it [`Job`]s with [`spawn`](Reactor::spawn), then drive it with
/// [`run`](Reactor::run) (until every child is done) or
/// [`turn`](Reactor::turn) (one bounded step, for callers with a loop of
/// their own). Children are started from inside those calls, a few at a
/// time, so the ones already running stream while more start.
///
/// Dropping the reactor kills (`SIGKILL`) and reaps every child still
/// running: no zombie and no descriptor outlives it.
///
/// # Examples
///
/// ```
/// # fn main() -> procpump::Result<()> {
/// use procpump::{Flow, Job, Reactor};
/// use std::process::Command;
///
/// let mut reactor = Reactor::new()?;
/// for word in ["one", "two", "three"] {
///     let mut echo = Command::new("echo");
///     echo.arg(word);
///     reactor.spawn(Job::new(echo).stdout(|chunk: &[u8]| {
///         assert!(chunk.ends_with(b"\n"));
///         Flow::Continue
///     }));
/// }
/// let reports = reactor.run()?;
/// assert_eq!(reports.len(), 3);
/// assert!(reports.iter().all(|report| report.success()));
/// # Ok(())
/// # }
/// ```
pub struct Reactor {
    shared: Arc<Shared>,
    options: Options,
    events: Events,
    /// The events of one wait, copied out so they can be served with `&mut self`.
    ready: Vec<polling::Event>,
    slots: Vec<Option<Running>>,
    free_slots: Vec<usize>,
    by_id: HashMap<ChildId, usize>,
    queue: VecDeque<(ChildId, Job)>,
    /// Children with the spawner thread, and what they need once started.
    launching: HashMap<ChildId, Launch>,
    /// Requests taken from [`Shared`] and not yet served.
    requests: VecDeque<Request>,
    /// Signals for children not started yet, sent once they are.
    on_start: Vec<(ChildId, Signal)>,
    /// Group kills still due after a timeout's grace (see [`Timer::Kill`]).
    group_kills: usize,
    spawner: Spawner,
    buffer: Vec<u8>,
    /// Reports for events channels that were full.
    outbox: Vec<(Sender<Event>, Event)>,
    /// A [`Request::Stop`] arrived: `Some(kill)`.
    stopping: Option<bool>,
    /// With nothing to do, a turn waits for requests (a background
    /// reactor) rather than returning at once.
    wait_when_idle: bool,
    timers: BinaryHeap<Reverse<(Instant, ChildId, Timer)>>,
    polled_exits: usize,
    exit_poll_interval: Duration,
    finished: Vec<Report>,
}

impl Reactor {
    /// A reactor with the default [`Options`].
    ///
    /// # Errors
    ///
    /// [`Error::Reactor`] if the poller cannot be created (out of
    /// descriptors).
    pub fn new() -> Result<Reactor> {
        Reactor::with_options(Options::default())
    }

    /// A reactor with these options.
    ///
    /// # Errors
    ///
    /// [`Error::Reactor`] if the poller cannot be created (out of
    /// descriptors).
    pub fn with_options(mut options: Options) -> Result<Reactor> {
        let poller = Poller::new().map_err(Error::Reactor)?;
        if let Some(max) = sys::max_pipe_size() {
            options.pipe_size = options.pipe_size.min(max);
        }
        Ok(Reactor {
            shared: Arc::new(Shared {
                poller,
                pipe_budget: PipeBudget::new(options.pipe_budget),
                requests: Mutex::new(Vec::new()),
                watcher: Watcher::default(),
                next_id: AtomicU64::new(0),
            }),
            options,
            events: Events::new(),
            ready: Vec::new(),
            slots: Vec::new(),
            free_slots: Vec::new(),
            by_id: HashMap::new(),
            queue: VecDeque::new(),
            launching: HashMap::new(),
            requests: VecDeque::new(),
            on_start: Vec::new(),
            group_kills: 0,
            spawner: Spawner::default(),
            buffer: Vec::new(),
            outbox: Vec::new(),
            stopping: None,
            wait_when_idle: false,
            timers: BinaryHeap::new(),
            polled_exits: 0,
            exit_poll_interval: EXIT_POLL_MIN,
            finished: Vec::new(),
        })
    }

    /// Queues a child; it starts during the next [`run`](Reactor::run) or
    /// [`turn`](Reactor::turn), in the order queued.
    ///
    /// Whether it could start is in its [`Report`]: a program that cannot
    /// be started yields a report whose [`error`](Report::error) is
    /// [`Error::Spawn`], naming the program, and the other children run on.
    pub fn spawn(&mut self, job: Job) -> ChildId {
        let id = self.shared.next_id();
        self.queue.push_back((id, job));
        id
    }

    /// Children queued or running, not yet reported (a report waiting for
    /// room in a full events channel counts too, and so does a timed-out
    /// child's process group still due its `SIGKILL` after the grace, even
    /// if the child itself was reported).
    pub fn len(&self) -> usize {
        self.queue.len()
            + self.launching.len()
            + self.by_id.len()
            + self.outbox.len()
            + self.group_kills
    }

    /// Children started (their process exists and is wired to the reactor)
    /// and not yet reported.
    pub fn running(&self) -> usize {
        self.by_id.len()
    }

    /// True when no child is queued or running.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs until every child is done, and returns their reports in the
    /// order they finished (with any not yet returned by
    /// [`turn`](Reactor::turn)).
    ///
    /// # Errors
    ///
    /// [`Error::Reactor`] if waiting on the poller fails. Failures of one
    /// child are in its report, not here.
    ///
    /// # Panics
    ///
    /// A panic in a sink or source propagates out of `run`, after every
    /// child of the reactor has been killed and reaped. The reports of
    /// those children (streams ended [`StreamEnd::Killed`], queued ones
    /// [`Error::Cancelled`]) come out of the next `run` or `turn`.
    pub fn run(&mut self) -> Result<Vec<Report>> {
        while !self.is_empty() {
            // Reports stay in `finished` (kept there if a later step fails
            // or panics) and do not cut the waits short.
            self.step(None, false)?;
        }
        Ok(std::mem::take(&mut self.finished))
    }

    /// One bounded step: starts queued children (for at most a couple of
    /// milliseconds), waits for readiness up to `timeout` (`None`: until
    /// something happens), serves what is ready, and returns the reports of
    /// the children that finished meanwhile. With no child queued or
    /// running it returns at once.
    ///
    /// # Errors
    ///
    /// [`Error::Reactor`] if waiting on the poller fails.
    ///
    /// # Panics
    ///
    /// As [`run`](Reactor::run).
    pub fn turn(&mut self, timeout: Option<Duration>) -> Result<Vec<Report>> {
        self.step(timeout, true)?;
        Ok(std::mem::take(&mut self.finished))
    }

    /// One step of [`turn`](Reactor::turn), leaving the reports in
    /// `finished`; with `hand_out`, reports already there make the wait
    /// return at once.
    fn step(&mut self, timeout: Option<Duration>, hand_out: bool) -> Result<()> {
        match panic::catch_unwind(AssertUnwindSafe(|| self.turn_inner(timeout, hand_out))) {
            Ok(result) => result,
            Err(panic) => {
                log::debug!("a sink or source panicked: killing every child");
                self.kill_all(false);
                panic::resume_unwind(panic)
            }
        }
    }

    /// Resumes a stream that its sink paused (or a stdin whose source had
    /// nothing). Does nothing if the stream is not paused or the child is
    /// gone. Threads other than the reactor's use a [`Resumer`].
    pub fn resume(&mut self, child: ChildId, stream: Stream) {
        if let Some(&slot) = self.by_id.get(&child) {
            self.resume_stream(slot, child, stream, Instant::now());
        }
    }

    /// Kills a running child with `SIGKILL`. Its streams then end as the
    /// pipes close, and it is reported as usual.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::NotFound`] if the child is not running (not yet
    /// started, or already reported); the error of `kill(2)` otherwise.
    pub fn kill(&mut self, child: ChildId) -> io::Result<()> {
        self.signal(child, Signal::KILL)
    }

    /// Sends `signal` to a running child (to its whole group if it was
    /// started with [`Job::process_group`]).
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::NotFound`] if the child is not running; the error
    /// of `kill(2)` otherwise.
    pub fn signal(&mut self, child: ChildId, signal: Signal) -> io::Result<()> {
        self.running_mut(child)
            .ok_or_else(|| not_running(child))?
            .signal(signal)
    }

    fn turn_inner(&mut self, timeout: Option<Duration>, hand_out: bool) -> Result<()> {
        self.start_queued();
        let timeout = self.wait_timeout(timeout, hand_out);
        self.events.clear();
        match self.shared.poller.wait(&mut self.events, timeout) {
            Ok(_) => {}
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(Error::Reactor(err)),
        }
        let now = Instant::now();
        // Served from a field, so that if a sink panics midway, the
        // requests not yet served (children just spawned among them) are
        // still there for `kill_all`.
        self.requests.extend(self.shared.take_requests());
        while let Some(request) = self.requests.pop_front() {
            self.serve(request, now);
        }
        let mut ready = std::mem::take(&mut self.ready);
        ready.extend(self.events.iter());
        for event in ready.drain(..) {
            self.dispatch(event, now);
        }
        self.ready = ready;
        self.expire_timers(now);
        if self.polled_exits > 0 {
            self.poll_exits(now);
        }
        Ok(())
    }

    fn serve(&mut self, request: Request, now: Instant) {
        match request {
            Request::Resume {
                child,
                slot,
                stream,
            } => self.resume_stream(slot, child, stream, now),
            Request::Outbox => self.send_outbox(),
            Request::Spawn(id, job) => self.queue.push_back((id, *job)),
            Request::Spawned(id, outcome) => self.launched(id, outcome),
            Request::Kill(id) => {
                if let Err(err) = self.cancel(id) {
                    log::debug!("kill {id}: {err}");
                }
            }
            Request::Signal(id, signal) => {
                let queued = self.queue.iter().any(|(queued, _)| *queued == id);
                if queued || self.launching.contains_key(&id) {
                    self.on_start.push((id, signal));
                } else if let Err(err) = self.signal(id, signal) {
                    log::debug!("{signal} to {id}: {err}");
                }
            }
            Request::Stop { kill } => {
                self.stopping = Some(kill || self.stopping == Some(true));
                if kill {
                    self.kill_all(true);
                }
            }
        }
    }

    /// Ends a child whatever its state: a queued one is dropped and
    /// reported [`Error::Cancelled`]; one being started is killed as soon
    /// as it has started; a running one is killed (`SIGKILL`, its whole
    /// group if it has one of its own). It is reported as usual.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::NotFound`] if the child is neither queued nor
    /// running (already reported, or not of this reactor); the error of
    /// `kill(2)` otherwise.
    pub fn cancel(&mut self, id: ChildId) -> io::Result<()> {
        if let Some(position) = self.queue.iter().position(|(queued, _)| *queued == id) {
            if let Some((id, job)) = self.queue.remove(position) {
                self.report_cancelled(id, job);
            }
            Ok(())
        } else if self.launching.contains_key(&id) {
            self.on_start.push((id, Signal::KILL));
            Ok(())
        } else {
            self.kill(id)
        }
    }

    fn report_cancelled(&mut self, id: ChildId, job: Job) {
        let program = job.program();
        let error = Error::Cancelled {
            child: id,
            program: program.clone(),
        };
        let sinks = end_unstarted(job.sinks);
        let report = unstarted_report(id, program, sinks, Instant::now(), error);
        let report_to = report_destination(job.report_to, job.waiter);
        self.deliver(report_to, report);
    }

    /// Hands a report to where it goes.
    fn deliver(&mut self, report_to: ReportTo, report: Report) {
        match report_to {
            ReportTo::Caller => self.finished.push(report),
            ReportTo::Waiter(waiter) => waiter.set(Ok(report)),
            ReportTo::Events(sender) => self.send_event(sender, Event::Exited(Box::new(report))),
        }
    }

    fn send_event(&mut self, sender: Sender<Event>, event: Event) {
        match sender.try_send(event) {
            Ok(()) => {}
            Err(TrySendError::Full(event)) => {
                let shared = Arc::downgrade(&self.shared);
                self.shared.watcher.watch(Box::new(Sendable {
                    sender: sender.clone(),
                    wake: move || {
                        if let Some(shared) = shared.upgrade() {
                            shared.request(Request::Outbox);
                        }
                    },
                }));
                self.outbox.push((sender, event));
            }
            Err(TrySendError::Disconnected(_)) => {
                log::debug!("events channel gone: a report was dropped");
            }
        }
    }

    fn send_outbox(&mut self) {
        for (sender, event) in std::mem::take(&mut self.outbox) {
            self.send_event(sender, event);
        }
    }

    /// `Some(kill)` once a [`Request::Stop`] arrived.
    pub(crate) fn stopping(&self) -> Option<bool> {
        self.stopping
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Makes idle turns wait for requests instead of returning at once.
    pub(crate) fn wait_when_idle(&mut self) {
        self.wait_when_idle = true;
    }

    /// How long the next wait may block. `hand_out`: reports waiting in
    /// `finished` are to be returned now.
    fn wait_timeout(&mut self, timeout: Option<Duration>, hand_out: bool) -> Option<Duration> {
        // More to start, reports to hand out, or nothing that could wake us.
        let idle = self.by_id.is_empty()
            && self.launching.is_empty()
            && self.outbox.is_empty()
            && self.group_kills == 0;
        let can_start = !self.queue.is_empty() && self.can_launch();
        let reports = hand_out && !self.finished.is_empty();
        if can_start || reports || (idle && !self.wait_when_idle) {
            return Some(Duration::ZERO);
        }
        let now = Instant::now();
        let mut timeout = timeout;
        let mut cap = |limit: Duration| {
            timeout = Some(timeout.map_or(limit, |t| t.min(limit)));
        };
        if let Some(Reverse((deadline, _, _))) = self.timers.peek() {
            cap(deadline.saturating_duration_since(now));
        }
        if self.polled_exits > 0 {
            cap(self.exit_poll_interval);
            self.exit_poll_interval = (self.exit_poll_interval * 2).min(EXIT_POLL_MAX);
        }
        timeout
    }

    /// Whether another child may go to the spawner thread now.
    fn can_launch(&self) -> bool {
        self.launching.len() < SPAWN_AHEAD
            && self.by_id.len() + self.launching.len() < self.options.max_running
    }

    /// Hands queued children to the spawner thread, in order.
    fn start_queued(&mut self) {
        while self.can_launch() {
            let Some((id, job)) = self.queue.pop_front() else {
                break;
            };
            self.launch(id, job);
        }
    }

    /// Prepares the child's command and hands it to the spawner thread.
    fn launch(&mut self, id: ChildId, job: Job) {
        let Job {
            mut command,
            stdin,
            sinks,
            linger,
            report_to,
            waiter,
            merged,
            lifecycle,
        } = job;
        let mut launch = Launch {
            program: command.get_program().to_string_lossy().into_owned(),
            stdin,
            sinks,
            merged_read: None,
            linger,
            lifecycle,
            report_to: report_destination(report_to, waiter),
            started: Instant::now(),
        };
        if let Some(sink) = merged {
            launch.sinks = [Some(sink), None];
            match merged_pipe(&mut command) {
                Ok(read) => launch.merged_read = Some(read),
                Err(err) => return self.not_started(id, launch, err),
            }
        }
        if lifecycle.process_group {
            std::os::unix::process::CommandExt::process_group(&mut command, 0);
        }
        if launch.stdin.is_some() {
            command.stdin(Stdio::piped());
        }
        if launch.sinks[0].is_some() && launch.merged_read.is_none() {
            command.stdout(Stdio::piped());
        }
        if launch.sinks[1].is_some() {
            command.stderr(Stdio::piped());
        }
        self.launching.insert(id, launch);
        self.spawner.spawn(&self.shared, id, command);
    }

    /// Reports a child that could not start.
    fn not_started(&mut self, id: ChildId, launch: Launch, err: io::Error) {
        log::debug!("child {id}: cannot start {}: {err}", launch.program);
        let error = Error::Spawn {
            child: id,
            program: launch.program.clone(),
            source: err,
        };
        let sinks = end_unstarted(launch.sinks);
        let report = unstarted_report(id, launch.program, sinks, launch.started, error);
        self.deliver(launch.report_to, report);
    }

    /// The spawner thread is back with a child (or an error): wire it.
    fn launched(&mut self, id: ChildId, outcome: io::Result<Child>) {
        let Some(launch) = self.launching.remove(&id) else {
            return;
        };
        let mut child = match outcome {
            Ok(child) => child,
            Err(err) => return self.not_started(id, launch, err),
        };
        let Launch {
            program,
            stdin,
            sinks,
            merged_read,
            linger,
            lifecycle,
            report_to,
            started,
        } = launch;
        let spawn_error = |program: &str, source| Error::Spawn {
            child: id,
            program: program.to_owned(),
            source,
        };
        log::debug!("child {id} ({program}) started, pid {}", child.id());
        let slot = self.free_slots.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        });
        let pipes = [
            child.stdin.take().map(OwnedFd::from),
            merged_read.or_else(|| child.stdout.take().map(OwnedFd::from)),
            child.stderr.take().map(OwnedFd::from),
        ];
        let mut running = Running {
            id,
            program,
            child,
            exit_watch: None,
            status: None,
            stdin: None,
            outputs: [None, None],
            stdin_report: None,
            output_reports: [None, None],
            ended_sinks: [None, None],
            flushing: [None, None],
            report_to,
            started,
            exited: None,
            linger: linger.unwrap_or(self.options.linger),
            linger_deadline: None,
            linger_queued: None,
            error: None,
            lifecycle,
            timed_out: false,
        };
        // A sink or source that panics in `start` must not leave the child
        // behind: it is not in a slot yet, so `kill_all` would miss it.
        let wired = panic::catch_unwind(AssertUnwindSafe(|| {
            self.wire(&mut running, slot, pipes, stdin, sinks)
        }));
        let wired = match wired {
            Ok(wired) => wired,
            Err(panic) => {
                running.kill_and_reap(false);
                self.free_slots.push(slot);
                panic::resume_unwind(panic);
            }
        };
        if let Err(err) = wired {
            running.error = Some(spawn_error(&running.program, err));
            running.kill_and_reap(true);
            self.free_slots.push(slot);
            let report_to = std::mem::replace(&mut running.report_to, ReportTo::Caller);
            self.deliver(report_to, running.into_report(Instant::now()));
            return;
        }
        if running.exit_watch.is_none() {
            self.polled_exits += 1;
            self.exit_poll_interval = EXIT_POLL_MIN;
        }
        if let Some(timeout) = lifecycle.timeout {
            self.timers
                .push(Reverse((started + timeout, id, Timer::Timeout)));
        }
        for (_, signal) in self.on_start.iter().filter(|(target, _)| *target == id) {
            if let Err(err) = running.signal(*signal) {
                log::debug!("{signal} to {id}: {err}");
            }
        }
        self.on_start.retain(|(target, _)| *target != id);
        self.by_id.insert(id, slot);
        self.slots[slot] = Some(running);
    }

    /// Registers the child's pipes and exit watch, and starts its sinks
    /// and source.
    fn wire(
        &self,
        running: &mut Running,
        slot: usize,
        pipes: [Option<OwnedFd>; 3],
        stdin: Option<crate::Input>,
        sinks: [Option<BoxSink>; 2],
    ) -> io::Result<()> {
        let [stdin_fd, stdout_fd, stderr_fd] = pipes;
        let pid = running.child.id();
        let context = |stream| StreamContext {
            child: running.id,
            stream,
            program: &running.program,
            pid: running.child.id(),
            resumer: Resumer {
                shared: Arc::clone(&self.shared),
                child: running.id,
                slot,
                stream,
            },
        };
        let mut stdin_pipe = None;
        if let (Some(fd), Some(mut input)) = (stdin_fd, stdin) {
            sys::set_nonblocking(&fd)?;
            input.source.start(&context(Stream::Stdin));
            let registered =
                Registered::pipe(fd, key(slot, KEY_STDIN), pid, Arc::clone(&self.shared))?;
            stdin_pipe = Some(InPipe::new(registered, input.source));
        }
        let mut outputs = [None, None];
        for (index, (fd, sink)) in [stdout_fd, stderr_fd].into_iter().zip(sinks).enumerate() {
            if let (Some(fd), Some(mut sink)) = (fd, sink) {
                sys::set_nonblocking(&fd)?;
                sink.sink().start(&context(Stream::from_index(index + 1)));
                let registered =
                    Registered::pipe(fd, key(slot, index + 1), pid, Arc::clone(&self.shared))?;
                outputs[index] = Some(OutPipe::new(registered, sink));
            }
        }
        if !self.options.poll_exits {
            if let Some(fd) = sys::exit_watch(&running.child) {
                let watch =
                    Registered::new(fd, key(slot, KEY_EXIT), pid, Arc::clone(&self.shared))?;
                watch.arm_read()?;
                running.exit_watch = Some(watch);
            }
        }
        if let Some(pipe) = stdin_pipe.as_mut() {
            pipe.arm()?;
        }
        for pipe in outputs.iter_mut().flatten() {
            pipe.arm()?;
        }
        running.stdin = stdin_pipe;
        running.outputs = outputs;
        Ok(())
    }

    fn dispatch(&mut self, event: polling::Event, now: Instant) {
        let slot = event.key >> 2;
        let kind = event.key & 3;
        let Some(running) = self.slots.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        match kind {
            KEY_STDIN => {
                if let Some(pipe) = running.stdin.as_mut().filter(|pipe| pipe.armed) {
                    match pipe.pump(WRITE_BYTES_PER_EVENT, self.options.pipe_size) {
                        WriteOutcome::Waiting => {}
                        WriteOutcome::Done => running.end_stdin(StreamEnd::Eof),
                        WriteOutcome::ChildClosed => running.end_stdin(StreamEnd::ChildClosed),
                        WriteOutcome::SourceFailed(err) | WriteOutcome::Failed(err) => {
                            running.fail(Stream::Stdin, err)
                        }
                    }
                }
            }
            KEY_EXIT => {
                if running.status.is_none() {
                    running.poll_exit(now);
                    if running.status.is_none() {
                        if let Some(Err(err)) =
                            running.exit_watch.as_ref().map(Registered::arm_read)
                        {
                            log::debug!(
                                "child {}: re-arming its exit watch failed: {err}",
                                running.id
                            );
                        }
                    }
                }
            }
            output => {
                let index = output - 1;
                if self.buffer.len() != self.options.read_size {
                    self.buffer = vec![0; self.options.read_size];
                }
                if let Some(pipe) = running.outputs[index].as_mut().filter(|pipe| pipe.armed) {
                    let sizes = PipeSizes {
                        near: self.options.read_size.min(self.options.pipe_size),
                        far: self.options.pipe_size,
                    };
                    match pipe.pump(&mut self.buffer, READS_PER_EVENT, sizes) {
                        ReadOutcome::Waiting => {}
                        ReadOutcome::Eof => running.end_output(index, StreamEnd::Eof),
                        ReadOutcome::Closed => running.end_output(index, StreamEnd::Closed),
                        ReadOutcome::Failed(err) => running.fail(Stream::from_index(output), err),
                    }
                }
            }
        }
        self.after_change(slot, now);
    }

    /// After something happened to the child in `slot`: report it if it is
    /// done, start its linger if it just exited.
    fn after_change(&mut self, slot: usize, now: Instant) {
        let Some(running) = self.slots[slot].as_mut() else {
            return;
        };
        if running.is_done() {
            self.finish(slot, now);
        } else if let Some(deadline) = running.linger_deadline {
            if deadline >= now && running.linger_queued != Some(deadline) {
                running.linger_queued = Some(deadline);
                self.timers
                    .push(Reverse((deadline, running.id, Timer::Linger)));
            }
        }
    }

    fn finish(&mut self, slot: usize, now: Instant) {
        if let Some(mut running) = self.slots[slot].take() {
            self.by_id.remove(&running.id);
            self.free_slots.push(slot);
            log::debug!("child {} ({}) done", running.id, running.program);
            let report_to = std::mem::replace(&mut running.report_to, ReportTo::Caller);
            self.deliver(report_to, running.into_report(now));
        }
    }

    fn resume_stream(&mut self, slot: usize, child: ChildId, stream: Stream, now: Instant) {
        let Some(running) = self.slots.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        if running.id != child {
            return;
        }
        let resumed = match stream {
            Stream::Stdin => match running.stdin.as_mut().filter(|pipe| pipe.waiting) {
                Some(pipe) => {
                    pipe.waiting = false;
                    pipe.arm().map(|()| true)
                }
                None => Ok(false),
            },
            Stream::Stdout | Stream::Stderr => running.resume_output(stream.index() - 1),
        };
        match resumed {
            // Time spent paused does not count against the linger.
            Ok(true) if running.linger_deadline.is_some() => {
                running.linger_deadline = Some(now + running.linger);
            }
            Ok(_) => {}
            Err(err) => running.fail(stream, err),
        }
        self.after_change(slot, now);
    }

    /// Acts on the timers that are due.
    fn expire_timers(&mut self, now: Instant) {
        while let Some(&Reverse((deadline, child, timer))) = self.timers.peek() {
            if deadline > now {
                break;
            }
            self.timers.pop();
            match timer {
                Timer::Linger => self.linger_over(child, now),
                Timer::Timeout => self.timed_out(child, now),
                Timer::Kill { group } => {
                    if let Some(group) = group {
                        self.group_kills -= 1;
                        // The group may outlive the child's report.
                        let _ = Signal::KILL.send_group(group);
                    }
                    if let Some(running) = self.running_mut(child) {
                        running.kill();
                    }
                }
            }
        }
    }

    fn running_mut(&mut self, child: ChildId) -> Option<&mut Running> {
        let slot = *self.by_id.get(&child)?;
        self.slots[slot].as_mut()
    }

    /// The child ran past its timeout: the stop signal, then `SIGKILL`
    /// after the grace.
    fn timed_out(&mut self, child: ChildId, now: Instant) {
        let Some(running) = self.running_mut(child) else {
            return;
        };
        if running.status.is_some() {
            return;
        }
        log::debug!("child {child} ({}) timed out", running.program);
        running.timed_out = true;
        let Lifecycle {
            stop_signal, grace, ..
        } = running.lifecycle;
        if let Err(err) = running.signal(stop_signal) {
            log::debug!("child {child}: {stop_signal} failed: {err}");
        }
        if stop_signal != Signal::KILL {
            let group = running.group();
            self.timers
                .push(Reverse((now + grace, child, Timer::Kill { group })));
            if group.is_some() {
                self.group_kills += 1;
            }
        }
    }

    /// Closes the pipes of a child whose linger is over.
    fn linger_over(&mut self, child: ChildId, now: Instant) {
        let Some(&slot) = self.by_id.get(&child) else {
            return;
        };
        let Some(running) = self.slots[slot].as_mut() else {
            return;
        };
        if running.linger_deadline.is_some_and(|d| d > now) {
            return;
        }
        log::debug!(
            "child {child} ({}): linger over, closing its pipes",
            running.program
        );
        if running.stdin.is_some() {
            running.end_stdin(StreamEnd::ForceClosed);
        }
        for index in 0..2 {
            if running.outputs[index]
                .as_ref()
                .is_some_and(|pipe| !pipe.paused)
            {
                running.end_output(index, StreamEnd::ForceClosed);
            }
        }
        // A stream still paused keeps the deadline: its resume restarts the
        // linger.
        self.after_change(slot, now);
    }

    /// Where there is no exit watch: checks every such child's status.
    fn poll_exits(&mut self, now: Instant) {
        for slot in 0..self.slots.len() {
            let Some(running) = self.slots[slot].as_mut() else {
                continue;
            };
            if running.status.is_some() || running.exit_watch.is_some() {
                continue;
            }
            running.poll_exit(now);
            if running.status.is_some() {
                self.polled_exits -= 1;
                self.after_change(slot, now);
            }
        }
    }

    /// A child back from the spawner while the reactor stops: killed and
    /// reaped, reported as cancelled.
    fn abandon(&mut self, id: ChildId, outcome: io::Result<Child>, notify: bool) {
        let Some(launch) = self.launching.remove(&id) else {
            return;
        };
        if let Ok(mut child) = outcome {
            let _ = child.kill();
            let _ = child.wait();
        }
        let sinks = if notify {
            end_unstarted(launch.sinks)
        } else {
            launch.sinks
        };
        let error = Error::Cancelled {
            child: id,
            program: launch.program.clone(),
        };
        let report = unstarted_report(id, launch.program, sinks, launch.started, error);
        self.deliver(launch.report_to, report);
    }

    /// Kills and reaps every child and reports it (its streams ended as
    /// [`StreamEnd::Killed`], told to the sinks if `notify`); reports the
    /// queued ones as cancelled.
    pub(crate) fn kill_all(&mut self, notify: bool) {
        while let Some((id, job)) = self.queue.pop_front() {
            self.report_cancelled(id, job);
        }
        // Children with the spawner: let it finish, then kill what it
        // started and report the rest as cancelled; likewise for requests
        // a panic left unserved.
        self.spawner.stop();
        let mut spawned = self.shared.take_spawned();
        for request in std::mem::take(&mut self.requests) {
            match request {
                Request::Spawned(id, outcome) => spawned.push((id, outcome)),
                Request::Spawn(id, job) => self.report_cancelled(id, *job),
                _ => {}
            }
        }
        for (id, outcome) in spawned {
            self.abandon(id, outcome, notify);
        }
        self.on_start.clear();
        let now = Instant::now();
        for slot in 0..self.slots.len() {
            if let Some(running) = self.slots[slot].as_mut() {
                log::debug!("killing child {} ({})", running.id, running.program);
                running.kill_and_reap(notify);
                self.finish(slot, now);
            }
        }
        // Groups still due their SIGKILL get it now.
        for Reverse((_, _, timer)) in self.timers.drain() {
            if let Timer::Kill { group: Some(group) } = timer {
                let _ = Signal::KILL.send_group(group);
            }
        }
        self.group_kills = 0;
        self.polled_exits = 0;
    }
}

/// The report of a child that never started.
fn unstarted_report(
    id: ChildId,
    program: String,
    sinks: [Option<BoxSink>; 2],
    started: Instant,
    error: Error,
) -> Report {
    Report {
        id,
        program,
        pid: None,
        status: None,
        stdin: None,
        outputs: [None, None],
        sinks,
        started,
        exited: None,
        finished: Instant::now(),
        error: Some(error),
        timed_out: false,
    }
}

/// Tells the sinks of a child that never started so.
fn end_unstarted(mut sinks: [Option<BoxSink>; 2]) -> [Option<BoxSink>; 2] {
    for sink in sinks.iter_mut().flatten() {
        sink.sink().end(&StreamEnd::NotStarted);
    }
    sinks
}

fn not_running(child: ChildId) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("child {child} is not running"),
    )
}

/// A pipe whose write end is both the child's stdout and its stderr;
/// returns the read end.
fn merged_pipe(command: &mut std::process::Command) -> io::Result<OwnedFd> {
    use rustix::pipe::{pipe_with, PipeFlags};
    let (read, write) = pipe_with(PipeFlags::CLOEXEC)?;
    command.stderr(Stdio::from(write.try_clone()?));
    command.stdout(Stdio::from(write));
    Ok(read)
}

/// Where a job's report goes: its events channel, else its waiter, else
/// the caller.
fn report_destination(events: Option<Sender<Event>>, waiter: Option<Arc<Waiter>>) -> ReportTo {
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

impl Drop for Reactor {
    fn drop(&mut self) {
        self.kill_all(!std::thread::panicking());
        self.shared.watcher.stop();
    }
}

impl fmt::Debug for Reactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reactor")
            .field("options", &self.options)
            .field("running", &self.by_id.len())
            .field("queued", &self.queue.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::PipeBudget;

    #[test]
    fn pipe_budget_is_never_overspent_and_is_given_back() {
        let budget = PipeBudget::new(Some(3 << 20));
        assert!(budget.take(1 << 20));
        assert!(budget.take(2 << 20));
        assert!(!budget.take(1));
        budget.give_back(1 << 20);
        assert!(budget.take(1 << 20));
        assert!(!budget.take(1 << 20));
    }
}
