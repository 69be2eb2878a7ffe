//! Starting children off the reactor's thread.
//!
//! `Command::spawn` blocks its caller until the child has exec'd (about a
//! millisecond here). Done on the reactor's thread, that is a millisecond
//! per child during which no pipe is served; with a thousand short
//! children, most of the run. So the reactor hands each prepared `Command`
//! to a spawner thread, which spawns it and sends the `Child` back
//! through the reactor's request queue (waking its poller), while the
//! reactor goes on serving the children already running.

use std::io;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::thread::{self, JoinHandle};

use crossbeam_channel::{Receiver, Sender};

use crate::mailbox::{Request, Shared};
use crate::ChildId;

/// The channel to the spawner threads, and the threads.
type Thread = (Sender<(ChildId, Command)>, Vec<JoinHandle<()>>);

/// Spawner threads. Measured with 1,000 children writing 1 MiB each on 2
/// CPUs (3 runs each, docs/BENCHMARKS.md): spawning on the reactor's
/// thread 1.28–1.31 s; one spawner thread 1.05–1.07 s, two 1.08–1.11 s,
/// four 1.07–1.10 s. The children's own start-up fills both CPUs, so
/// spawning several at once does not pay.
const THREADS: usize = 1;

/// The spawner thread, started with the first child.
#[derive(Default)]
pub(super) struct Spawner {
    thread: Option<Thread>,
    stop: Arc<AtomicBool>,
}

impl Spawner {
    /// Has `command` spawned; the outcome comes back as
    /// [`Request::Spawned`]. If the thread cannot be started, spawns here.
    pub(crate) fn spawn(&mut self, shared: &Arc<Shared>, id: ChildId, command: Command) {
        if self.thread.is_none() {
            self.thread = start(Arc::downgrade(shared), Arc::clone(&self.stop));
        }
        let mut command = match &self.thread {
            Some((sender, _)) => match sender.send((id, command)) {
                Ok(()) => return,
                Err(err) => err.into_inner().1,
            },
            None => command,
        };
        let outcome = command.spawn();
        shared.request(Request::Spawned(id, outcome));
    }

    /// Stops the thread: commands not yet spawned come back as
    /// `Interrupted` errors. Returns once the thread has ended, so every
    /// outcome is in the request queue.
    pub(crate) fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some((sender, threads)) = self.thread.take() {
            drop(sender);
            for thread in threads {
                if thread.join().is_err() {
                    log::error!("a spawner thread panicked");
                }
            }
        }
        self.stop.store(false, Ordering::SeqCst);
    }
}

fn start(shared: Weak<Shared>, stop: Arc<AtomicBool>) -> Option<Thread> {
    let (sender, receiver) = crossbeam_channel::unbounded();
    let mut threads = Vec::new();
    for _ in 0..THREADS {
        let (receiver, shared, stop) = (receiver.clone(), shared.clone(), Arc::clone(&stop));
        match thread::Builder::new()
            .name("procpump-spawner".into())
            .spawn(move || run(&receiver, &shared, &stop))
        {
            Ok(thread) => threads.push(thread),
            Err(err) => log::debug!("no spawner thread: {err}"),
        }
    }
    if threads.is_empty() {
        log::debug!("spawning on the reactor's thread");
        return None;
    }
    Some((sender, threads))
}

fn run(commands: &Receiver<(ChildId, Command)>, shared: &Weak<Shared>, stop: &AtomicBool) {
    for (id, mut command) in commands {
        let outcome: io::Result<Child> = if stop.load(Ordering::SeqCst) {
            Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "the reactor stopped before the child started",
            ))
        } else {
            command.spawn()
        };
        // The command may hold the write end of a merged pipe: close it
        // now, or that pipe would never reach end of file.
        drop(command);
        match shared.upgrade() {
            Some(shared) => shared.request(Request::Spawned(id, outcome)),
            None => {
                if let Ok(mut child) = outcome {
                    let _ = child.kill();
                    let _ = child.wait();
                }
            }
        }
    }
}
