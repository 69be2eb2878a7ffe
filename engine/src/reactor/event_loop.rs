//! The reactor: the loop. Each turn it waits on the poller, serves the
//! requests other threads left, and hands each ready event to the child it
//! is for, which answers with what to do next ([`Next`]); timers, launching
//! and delivery are parts of their own.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::process::Child;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use crate::base::Key;
use crate::child::Next;
use crate::child::Scratch;
use crate::mailbox::PipeBudget;
use crate::mailbox::{Request, Shared, Stopping};
use crate::reactor::children::Children;
use crate::reactor::delivery::Delivery;
use crate::reactor::launch::{Launcher, Submission};
use crate::reactor::timers::Timers;
use crate::sys::{self, Events, Poller};

use crate::{ChildId, Error, Job, Options, Report, Result, Signal, Stream};

#[cfg(doc)]
use crate::{Resumer, StreamEnd};

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
    pub(super) shared: Arc<Shared>,
    pub(super) options: Options,
    pub(super) events: Events,
    pub(super) children: Children,
    pub(super) launcher: Launcher,
    pub(super) delivery: Delivery,
    pub(super) timers: Timers,
    pub(super) io: Scratch,
    /// Requests taken from [`Shared`] and not yet served (kept there if a
    /// sink panics midway, for [`kill_all`](Reactor::kill_all)).
    pub(super) requests: VecDeque<Request>,
    pub(super) stopping: Stopping,
    /// With nothing to do, a turn waits for requests (a background
    /// reactor) rather than returning at once.
    pub(super) wait_when_idle: bool,
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
    pub fn with_options(options: Options) -> Result<Reactor> {
        let poller = Poller::new().map_err(Error::Reactor)?;
        let options = options.capped(sys::max_pipe_size());
        let shared = Arc::new(Shared::new(poller, PipeBudget::new(options.pipe_budget)));
        Ok(Reactor {
            delivery: Delivery::new(&shared),
            shared,
            events: Events::new(),
            children: Children::default(),
            launcher: Launcher::new(options.linger),
            timers: Timers::default(),
            io: Scratch::new(options.read_size, options.pipe_size),
            requests: VecDeque::new(),
            stopping: Stopping::No,
            wait_when_idle: false,
            options,
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
        self.shared.counts().queued();
        self.launcher.queue(id, job, None);
        id
    }

    /// Children queued or running, not yet reported (a report waiting for
    /// room in a full events channel counts too, and so does a timed-out
    /// child's process group still due its `SIGKILL` after the grace, even
    /// if the child itself was reported).
    pub fn len(&self) -> usize {
        self.launcher.len()
            + self.children.len()
            + self.delivery.waiting()
            + self.timers.group_kills()
    }

    /// Children started (their process exists and is wired to the reactor)
    /// and not yet reported.
    pub fn running(&self) -> usize {
        self.children.len()
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
            // Reports stay with the delivery (kept there if a later step
            // fails or panics) and do not cut the waits short.
            self.step(None, false)?;
        }
        Ok(self.delivery.take_finished())
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
        Ok(self.delivery.take_finished())
    }

    /// Resumes a stream that its sink paused (or a stdin whose source had
    /// nothing). Does nothing if the stream is not paused or the child is
    /// gone. Threads other than the reactor's use a [`Resumer`].
    pub fn resume(&mut self, child: ChildId, stream: Stream) {
        if let Some(slot) = self.children.slot(child) {
            self.resume_stream(slot, child, stream, Instant::now());
        }
    }

    /// Kills a running child with `SIGKILL`. Its streams then end as the
    /// pipes close, and it is reported as usual.
    ///
    /// # Errors
    ///
    /// [`Error::NotRunning`] if the child is not running (not yet started,
    /// or already reported); [`Error::Signal`] if `kill(2)` fails.
    pub fn kill(&mut self, child: ChildId) -> Result<()> {
        self.signal(child, Signal::KILL)
    }

    /// Sends `signal` to a running child (to its whole group if it was
    /// started with [`Job::process_group`]).
    ///
    /// # Errors
    ///
    /// [`Error::NotRunning`] if the child is not running;
    /// [`Error::Signal`] if `kill(2)` fails.
    pub fn signal(&mut self, child: ChildId, signal: Signal) -> Result<()> {
        let Some(running) = self.children.by_id_mut(child) else {
            return self.signal_pipeline(child, signal);
        };
        running.signal(signal).map_err(|source| Error::Signal {
            child,
            program: running.program().to_owned(),
            signal,
            source,
        })
    }

    /// Ends a child whatever its state: a queued one is dropped and
    /// reported [`Error::Cancelled`]; one being started is killed as soon
    /// as it has started; a running one is killed (`SIGKILL`, its whole
    /// group if it has one of its own). It is reported as usual.
    ///
    /// # Errors
    ///
    /// [`Error::NotRunning`] if the child is neither queued nor running
    /// (already reported, or not of this reactor); [`Error::Signal`] if
    /// `kill(2)` fails.
    pub fn cancel(&mut self, id: ChildId) -> Result<()> {
        if self.launcher.cancel(id, &mut self.delivery) {
            Ok(())
        } else {
            self.kill(id)
        }
    }

    /// One step of [`turn`](Reactor::turn), leaving the reports with the
    /// delivery; with `hand_out`, reports already there make the wait
    /// return at once.
    fn step(&mut self, timeout: Option<Duration>, hand_out: bool) -> Result<()> {
        match panic::catch_unwind(AssertUnwindSafe(|| self.turn_inner(timeout, hand_out))) {
            Ok(result) => result,
            Err(panic) => {
                log::debug!("a sink or source panicked: killing every child");
                self.kill_all();
                panic::resume_unwind(panic)
            }
        }
    }

    /// The loop's body: start, wait, serve requests, dispatch, timers.
    fn turn_inner(&mut self, timeout: Option<Duration>, hand_out: bool) -> Result<()> {
        let running = self.children.len();
        let (shared, delivery) = (&self.shared, &mut self.delivery);
        self.launcher
            .start_queued(shared, running, self.options.max_running, delivery);
        let timeout = self.wait_timeout(timeout, hand_out);
        match self.shared.poller.wait(&mut self.events, timeout) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(Error::Reactor(err)),
        }
        let now = Instant::now();
        self.requests.extend(self.shared.take_requests());
        while let Some(request) = self.requests.pop_front() {
            self.serve(request, now);
        }
        // Taken out so that they can be served with `&mut self`.
        let events = std::mem::take(&mut self.events);
        for key in events.keys() {
            self.dispatch(Key::decode(key), now);
        }
        self.events = events;
        self.expire_due(now);
        for (slot, next) in self.children.poll_exits(now) {
            self.follow(slot, next, now);
        }
        Ok(())
    }

    /// How long the next wait may block. `hand_out`: reports waiting for
    /// the caller are to be returned now.
    fn wait_timeout(&mut self, timeout: Option<Duration>, hand_out: bool) -> Option<Duration> {
        // Nothing that could wake us but a request.
        let idle = self.children.len() == 0
            && self.launcher.launching() == 0
            && self.delivery.waiting() == 0
            && self.timers.group_kills() == 0;
        let can_start = self
            .launcher
            .can_launch(self.children.len(), self.options.max_running);
        let reports = hand_out && self.delivery.has_finished();
        if can_start || reports || (idle && !self.wait_when_idle) {
            return Some(Duration::ZERO);
        }
        let now = Instant::now();
        let until_timer = self
            .timers
            .next_deadline()
            .map(|deadline| deadline.saturating_duration_since(now));
        [timeout, until_timer, self.children.poll_interval()]
            .into_iter()
            .flatten()
            .min()
    }

    fn serve(&mut self, request: Request, now: Instant) {
        match request {
            Request::Resume {
                child,
                slot,
                stream,
            } => self.resume_stream(slot, child, stream, now),
            Request::Outbox => self.delivery.send_outbox(),
            Request::Submitted => self.launcher.take_submitted(),
            Request::Spawned(id, outcome) => self.launched(id, outcome),
            Request::Kill(id) => {
                if let Err(err) = self.cancel(id) {
                    log::debug!("kill {id}: {err}");
                }
            }
            Request::Signal(id, signal) => {
                if !self.launcher.defer_signal(id, signal) {
                    if let Err(err) = self.signal(id, signal) {
                        log::debug!("{signal} to {id}: {err}");
                    }
                }
            }
            Request::Stop { kill } => {
                if kill {
                    self.stopping = Stopping::Now;
                    self.kill_all();
                } else if self.stopping == Stopping::No {
                    self.stopping = Stopping::WhenDone;
                }
            }
        }
    }

    /// Hands a ready event to the child it is for.
    fn dispatch(&mut self, key: Key, now: Instant) {
        let Some(child) = self.children.get_mut(key.slot) else {
            return;
        };
        let next = child.on_event(key.target, &mut self.io, now);
        self.follow(key.slot, next, now);
    }

    /// Does what a child answered.
    pub(super) fn follow(&mut self, slot: usize, next: Next, now: Instant) {
        match next {
            Next::Wait => {}
            Next::Linger(deadline) => self.set_linger(slot, deadline),
            Next::Report => self.finish(slot, now),
        }
    }

    /// Reports the child in `slot`, and frees the slot.
    fn finish(&mut self, slot: usize, now: Instant) {
        if let Some((report_to, report)) = self.children.finish(slot, now) {
            self.delivery.deliver_finished(report_to, report);
        }
    }

    fn resume_stream(&mut self, slot: usize, child: ChildId, stream: Stream, now: Instant) {
        if !self.children.holds(slot, child) {
            return;
        }
        if let Some(child) = self.children.get_mut(slot) {
            let next = child.resume(stream, now);
            self.follow(slot, next, now);
        }
    }

    /// The spawner is back with a child (or an error): wire it.
    fn launched(&mut self, id: ChildId, outcome: io::Result<Child>) {
        let launched = self
            .launcher
            .launched(&self.shared, id, outcome, &mut self.delivery);
        let Some(started) = launched else {
            return;
        };
        let timeout = started.plan.lifecycle.timeout;
        let deadline = timeout.map(|timeout| started.plan.started + timeout);
        let watch_exit = !self.options.poll_exits;
        let wired = self
            .children
            .start(started, &self.shared, watch_exit, &mut self.delivery);
        if let Some(deadline) = deadline.filter(|_| wired) {
            self.set_timeout(id, deadline);
        }
    }

    /// Whether a [`Request::Stop`] arrived, and which.
    pub(crate) fn stopping(&self) -> Stopping {
        self.stopping
    }

    /// Where a [`Handle`](crate::Handle) leaves jobs for this reactor,
    /// and what it shares with other threads. From then on, an idle turn
    /// waits for requests rather than returning at once.
    pub(crate) fn inbox(&mut self) -> (Sender<Submission>, Arc<Shared>) {
        self.wait_when_idle = true;
        (self.launcher.inbox(), Arc::clone(&self.shared))
    }

    /// Kills and reaps every child and reports it (its streams ended as
    /// [`StreamEnd::Killed`], told to the sinks); reports the queued ones
    /// as cancelled.
    pub(crate) fn kill_all(&mut self) {
        let requests = std::mem::take(&mut self.requests).into_iter().collect();
        self.launcher
            .stop(&self.shared, requests, &mut self.delivery);
        for (report_to, report) in self.children.kill_all() {
            self.delivery.deliver_finished(report_to, report);
        }
        // Groups still due their SIGKILL get it now.
        for group in self.timers.clear() {
            let _ = Signal::KILL.send_group(group);
        }
    }

    /// After the thread of a background reactor stopped: the waiters of
    /// jobs that arrived too late are told.
    pub(crate) fn refuse_submitted(&mut self) {
        self.launcher.refuse_submitted(&self.shared);
    }
}

impl Drop for Reactor {
    fn drop(&mut self) {
        self.kill_all();
        self.delivery.drain();
        self.shared.watcher.stop();
    }
}

impl fmt::Debug for Reactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reactor")
            .field("options", &self.options)
            .field("running", &self.children.len())
            .field("queued", &self.launcher.len())
            .finish_non_exhaustive()
    }
}
