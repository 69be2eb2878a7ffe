//! One helper thread per reactor that waits for channels to have room (or
//! messages), so that streams paused on a full channel resume as soon as a
//! consumer takes a chunk: no polling tick, no busy loop.
//!
//! It is started the first time a channel fills up, blocks in
//! `crossbeam_channel::Select` over every channel it was asked to watch,
//! and when one is ready calls that watch's wake-up (which queues a request
//! for the reactor and notifies its poller). It stops when the reactor is
//! dropped.

use std::sync::{Mutex, PoisonError};
use std::thread;

use crossbeam_channel::{Receiver, Select, Sender};

/// A channel operation to wait for, and what to do when it can proceed.
pub(crate) trait Awaited: Send {
    /// Adds the operation to `select` and returns its index.
    fn add<'a>(&'a self, select: &mut Select<'a>) -> usize;
    /// The operation can proceed (or the other side is gone).
    fn fire(self: Box<Self>);
}

/// Waits until `sender` has room, then calls `wake`.
pub(crate) struct Sendable<T, F> {
    pub(crate) sender: Sender<T>,
    pub(crate) wake: F,
}

impl<T: Send, F: FnOnce() + Send> Awaited for Sendable<T, F> {
    fn add<'a>(&'a self, select: &mut Select<'a>) -> usize {
        select.send(&self.sender)
    }

    fn fire(self: Box<Self>) {
        (self.wake)()
    }
}

/// Waits until `receiver` has a message, then calls `wake`.
pub(super) struct Receivable<T, F> {
    pub(crate) receiver: Receiver<T>,
    pub(crate) wake: F,
}

impl<T: Send, F: FnOnce() + Send> Awaited for Receivable<T, F> {
    fn add<'a>(&'a self, select: &mut Select<'a>) -> usize {
        select.recv(&self.receiver)
    }

    fn fire(self: Box<Self>) {
        (self.wake)()
    }
}

/// The handle to the watcher thread; the thread stops when this is dropped.
#[derive(Default)]
pub(crate) struct Watcher {
    control: Mutex<Option<Sender<Box<dyn Awaited>>>>,
}

impl Watcher {
    /// Watches one operation, starting the thread if needed.
    pub(crate) fn watch(&self, watch: Box<dyn Awaited>) {
        let mut control = self.control.lock().unwrap_or_else(PoisonError::into_inner);
        let sender = control.get_or_insert_with(start);
        if let Err(err) = sender.send(watch) {
            // The thread is gone (it cannot stop on its own, but be safe):
            // wake now rather than never.
            err.into_inner().fire();
        }
    }
}

impl Watcher {
    /// Stops the thread (it finishes the wake-up it may be running).
    pub(crate) fn stop(&self) {
        self.control
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }
}

fn start() -> Sender<Box<dyn Awaited>> {
    let (sender, receiver) = crossbeam_channel::unbounded();
    let spawned = thread::Builder::new()
        .name("procpump-watcher".into())
        .spawn(move || run(receiver));
    if let Err(err) = spawned {
        log::error!("cannot start the channel watcher thread: {err}");
    }
    sender
}

fn run(control: Receiver<Box<dyn Awaited>>) {
    let mut watches: Vec<Box<dyn Awaited>> = Vec::new();
    loop {
        let ready = {
            let mut select = Select::new();
            let control_index = select.recv(&control);
            let indices: Vec<usize> = watches.iter().map(|w| w.add(&mut select)).collect();
            let index = select.ready();
            if index == control_index {
                None
            } else {
                indices.iter().position(|&i| i == index)
            }
        };
        match ready {
            Some(position) => watches.swap_remove(position).fire(),
            None => match control.try_recv() {
                Ok(watch) => watches.push(watch),
                Err(crossbeam_channel::TryRecvError::Empty) => {}
                Err(crossbeam_channel::TryRecvError::Disconnected) => return,
            },
        }
    }
}
