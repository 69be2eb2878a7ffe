//! A reactor on a thread of its own, driven through cloneable handles.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use crate::job::ReportSlot;
use crate::mailbox::{Request, Shared, Stopping};
use crate::reactor::Submission;
use crate::{ChildId, Error, Job, Options, Reactor, Report, Result};

/// What every clone of a [`Handle`] shares; dropping the last one stops
/// the thread.
struct Inner {
    shared: Arc<Shared>,
    /// Where jobs are left for the reactor.
    inbox: Sender<Submission>,
    thread: Mutex<Option<JoinHandle<()>>>,
    thread_id: ThreadId,
    /// Waiters of children not yet reported, failed if the thread dies.
    alive: Arc<Mutex<bool>>,
}

impl Inner {
    fn stop(&self, kill: bool) {
        self.shared.request(Request::Stop { kill });
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        // A handle dropped inside a sink, on the reactor's own thread, must
        // not wait for that thread.
        if let Some(thread) = thread.filter(|_| thread::current().id() != self.thread_id) {
            if thread.join().is_err() {
                log::debug!("the reactor thread panicked");
            }
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop(true);
    }
}

/// A reactor running on a thread of its own: spawn children from any
/// thread, wait for them or kill them from any other.
///
/// Cheap to clone, `Send` and `Sync`. Wake-ups go through the poller's
/// notify: the thread sleeps until there is work.
///
/// When the last clone is dropped (or [`shutdown`](Handle::shutdown) is
/// called), the children still running are killed with `SIGKILL` and
/// reaped, their [`ChildHandle`]s get reports whose streams ended
/// [`StreamEnd::Killed`](crate::StreamEnd::Killed), children not yet
/// started are reported [`Error::Cancelled`], and the thread ends. To let
/// them finish instead, call [`finish`](Handle::finish).
///
/// # Examples
///
/// ```
/// # fn main() -> procpump::Result<()> {
/// use procpump::{Discard, Handle, Job};
/// use std::process::Command;
///
/// let handle = Handle::start()?;
/// let workers: Vec<_> = (0..4)
///     .map(|i| {
///         let handle = handle.clone();
///         std::thread::spawn(move || {
///             let mut echo = Command::new("echo");
///             echo.arg(i.to_string());
///             handle.spawn(Job::new(echo).stdout(Discard)).wait()
///         })
///     })
///     .collect();
/// for worker in workers {
///     let report = worker.join().unwrap()?;
///     assert!(report.success());
/// }
/// handle.shutdown();
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Handle {
    inner: Arc<Inner>,
}

impl Handle {
    /// Starts a reactor with the default [`Options`] on a new thread.
    ///
    /// # Errors
    ///
    /// [`Error::Reactor`] if the poller or the thread cannot be created.
    pub fn start() -> Result<Handle> {
        Handle::with_options(Options::default())
    }

    /// Starts a reactor with these options on a new thread.
    ///
    /// # Errors
    ///
    /// [`Error::Reactor`] if the poller or the thread cannot be created.
    pub fn with_options(options: Options) -> Result<Handle> {
        let mut reactor = Reactor::with_options(options)?;
        let (inbox, shared) = reactor.inbox();
        let alive = Arc::new(Mutex::new(true));
        let thread_alive = Arc::clone(&alive);
        let thread = thread::Builder::new()
            .name("procpump-reactor".into())
            .spawn(move || drive(reactor, thread_alive))
            .map_err(Error::Reactor)?;
        Ok(Handle {
            inner: Arc::new(Inner {
                shared,
                inbox,
                thread_id: thread.thread().id(),
                thread: Mutex::new(Some(thread)),
                alive,
            }),
        })
    }

    /// Queues a child on the reactor thread and returns its handle at
    /// once. If the child cannot start, its report says why.
    pub fn spawn(&self, job: Job) -> ChildHandle {
        let id = self.inner.shared.next_id();
        let waiter = Arc::new(ReportSlot::new(id));
        {
            let alive = self
                .inner
                .alive
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let submission = Submission::new(id, job, Some(Arc::clone(&waiter)));
            // Counted before it is handed over, so that it is never missed
            // between the inbox and the reactor's queue.
            self.inner.shared.counts().queued();
            if *alive && self.inner.inbox.send(submission).is_ok() {
                // The request keeps the job's place among the requests.
                self.inner.shared.request(Request::Submitted);
            } else {
                self.inner.shared.counts().dropped();
                waiter.set(Err(Error::Stopped { child: id }));
            }
        }
        ChildHandle {
            id,
            waiter,
            shared: Arc::clone(&self.inner.shared),
        }
    }

    /// Children queued (handed over and not yet started, or being started).
    ///
    /// The counts change when a child does, before its
    /// [`ChildHandle`] is told: once [`ChildHandle::wait_started`] has
    /// returned a pid the child counts as running, and once
    /// [`ChildHandle::wait`] has returned its report it is no longer
    /// counted, however busy the reactor is.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> procpump::Result<()> {
    /// use procpump::{Discard, Handle, Job, Options};
    /// use std::process::Command;
    ///
    /// let handle = Handle::with_options(Options::new().max_running(1))?;
    /// let children: Vec<_> = (0..3)
    ///     .map(|_| {
    ///         let mut sleep = Command::new("sleep");
    ///         sleep.arg("0.2");
    ///         handle.spawn(Job::new(sleep).stdout(Discard))
    ///     })
    ///     .collect();
    /// children[0].wait_started();
    /// assert_eq!(handle.running(), 1);
    /// assert_eq!(handle.queued(), 2);
    /// for child in children {
    ///     child.wait()?;
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn queued(&self) -> usize {
        self.inner.shared.counts().get().0
    }

    /// Children running (started and not yet reported). Updated as
    /// [`queued`](Handle::queued) is.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> procpump::Result<()> {
    /// use procpump::{Discard, Handle, Job};
    /// use std::process::Command;
    ///
    /// let handle = Handle::start()?;
    /// let mut sleep = Command::new("sleep");
    /// sleep.arg("0.1");
    /// let child = handle.spawn(Job::new(sleep).stdout(Discard));
    /// child.wait_started();
    /// assert_eq!(handle.running(), 1);
    /// child.wait()?;
    /// assert_eq!(handle.running(), 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn running(&self) -> usize {
        self.inner.shared.counts().get().1
    }

    /// Stops the reactor thread: kills and reaps every child still running
    /// (their handles get their reports), and waits for the thread to end.
    /// Other clones of this handle can no longer spawn (their children are
    /// reported [`Error::Stopped`]).
    pub fn shutdown(self) {
        self.inner.stop(true);
    }

    /// Lets every child queued or running finish, then stops the thread
    /// and waits for it. Children spawned meanwhile from other clones are
    /// run too.
    pub fn finish(self) {
        self.inner.stop(false);
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}

/// The reactor thread: turns until told to stop, then fails the waiters of
/// whatever could not be reported.
fn drive(mut reactor: Reactor, alive: Arc<Mutex<bool>>) {
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| loop {
        match reactor.stopping() {
            Stopping::Now => break,
            Stopping::WhenDone if reactor.is_empty() => break,
            Stopping::WhenDone | Stopping::No => {}
        }
        match reactor.turn(None) {
            // Reports of this reactor's children go to their waiters; a
            // report here is only possible for jobs without one.
            Ok(reports) => drop(reports),
            Err(err) => {
                log::error!("the reactor thread stops: {err}");
                break;
            }
        }
    }));
    *alive.lock().unwrap_or_else(PoisonError::into_inner) = false;
    // First what runs or is being started (this also collects the spawner's
    // last children), then the jobs that arrived after the last turn.
    reactor.kill_all();
    reactor.refuse_submitted();
    if let Err(panic) = outcome {
        panic::resume_unwind(panic);
    }
}

/// One child of a background reactor: wait for its report, or kill it.
///
/// `Send` and `Sync`: it can be moved to, or shared with, any thread.
pub struct ChildHandle {
    id: ChildId,
    waiter: Arc<ReportSlot>,
    shared: Arc<Shared>,
}

impl ChildHandle {
    /// The child.
    pub fn id(&self) -> ChildId {
        self.id
    }

    /// The child's process id, once it has started.
    pub fn pid(&self) -> Option<u32> {
        self.waiter.pid()
    }

    /// Blocks until the child has started, and returns its process id;
    /// `None` if it never will (it could not start, was cancelled or
    /// killed while queued, or the reactor stopped first: [`wait`] says
    /// why).
    ///
    /// [`wait`]: ChildHandle::wait
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> procpump::Result<()> {
    /// use procpump::{Discard, Handle, Job};
    /// use std::process::Command;
    ///
    /// let handle = Handle::start()?;
    /// let mut sleep = Command::new("sleep");
    /// sleep.arg("0.1");
    /// let child = handle.spawn(Job::new(sleep).stdout(Discard));
    /// let pid = child.wait_started().expect("started");
    /// assert_eq!(child.pid(), Some(pid));
    /// let report = child.wait()?;
    /// assert_eq!(report.pid(), Some(pid));
    ///
    /// let missing = handle.spawn(Job::new(Command::new("/nonexistent/program")));
    /// assert_eq!(missing.wait_started(), None);
    /// # Ok(())
    /// # }
    /// ```
    pub fn wait_started(&self) -> Option<u32> {
        self.waiter.wait_started(None).unwrap_or(None)
    }

    /// Blocks until the child is reported, and returns its report.
    ///
    /// # Errors
    ///
    /// [`Error::Stopped`] if the reactor stopped before it could report
    /// the child; [`Error::ReportSent`] if the job was in events mode (the
    /// report went to the channel). A child that could not start comes
    /// back as a report whose [`error`](Report::error) says why.
    pub fn wait(self) -> Result<Report> {
        self.waiter
            .take(None)
            .unwrap_or(Err(Error::Stopped { child: self.id }))
    }

    /// Waits at most `timeout`; `None` if the child is still running then.
    /// Once the report was returned, later calls (and [`wait`]) return
    /// [`Error::ReportTaken`] at once.
    ///
    /// [`wait`]: ChildHandle::wait
    ///
    /// # Errors
    ///
    /// As [`wait`](ChildHandle::wait).
    pub fn wait_timeout(&self, timeout: Duration) -> Option<Result<Report>> {
        self.waiter.take(Some(Instant::now() + timeout))
    }

    /// Asks the reactor to kill the child (`SIGKILL`), or, if it has not
    /// started yet, to drop it (it is then reported [`Error::Cancelled`]).
    /// The report follows as usual.
    pub fn kill(&self) {
        self.shared.request(Request::Kill(self.id));
    }

    /// Asks the reactor to send `signal` to the child (its whole group if
    /// it was started with [`Job::process_group`]). A child not started yet
    /// gets it as soon as it starts.
    pub fn signal(&self, signal: crate::Signal) {
        self.shared.request(Request::Signal(self.id, signal));
    }
}

impl fmt::Debug for ChildHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildHandle").field("id", &self.id).finish()
    }
}
