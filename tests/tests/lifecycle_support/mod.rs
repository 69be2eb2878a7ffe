//! Helpers shared by the `lifecycle_*` tests and the fault suite: the
//! `pp-fault` program, probes of processes by group and by tag, a watchdog
//! that turns a hang into a failure, and sinks that tell the test when a
//! child printed something.
//!
//! Each test binary uses some of these, so unused ones are allowed.
//!
//! Orphaned processes are re-parented to PID 1, which reaps them when it
//! gets to it (here, not at once): a zombie (`Z`) that is not our child is
//! dead and counted as gone.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use procpump::{Control, Flow, Sink, StreamContext, StreamEnd};

/// The path of `pp-fault`, the misbehaving child.
pub fn fault() -> PathBuf {
    procpump_tests::bin("pp-fault")
}

/// The live (not zombie) processes of process group `pgid`.
pub fn live_members(pgid: i32) -> Vec<(i32, char)> {
    procpump_tests::process_group_members(pgid)
        .into_iter()
        .filter(|&(_, state)| state != 'Z')
        .collect()
}

/// The live (not zombie) processes whose command line contains `tag` as
/// one of its arguments, or inside one (a `sh -c` script).
pub fn tagged(tag: &str) -> Vec<(i32, char)> {
    let mut found = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return found;
    };
    let own = std::process::id() as i32;
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        if pid == own {
            continue;
        }
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        if !cmdline.windows(tag.len()).any(|w| w == tag.as_bytes()) {
            continue;
        }
        if let Some(state) = state_of(pid).filter(|&state| state != 'Z') {
            found.push((pid, state));
        }
    }
    found.sort_unstable();
    found
}

/// The state letter of process `pid` (`R`, `S`, `Z`...), if it exists.
pub fn state_of(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

/// The session of process `pid` (field 6 of `/proc/PID/stat`).
pub fn session_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..]
        .split_ascii_whitespace()
        .nth(3)?
        .parse()
        .ok()
}

/// True if `pid` exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
    state_of(pid).is_some_and(|state| state != 'Z')
}

/// `SIGKILL` to process `pid` (not to a group); errors are ignored.
pub fn kill_pid(pid: i32) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
    }
}

/// `SIGKILL` to every process of group `pgid`; errors are ignored. For
/// cleaning up after a failed check.
pub fn kill_group(pgid: i32) {
    if let Some(pgid) = rustix::process::Pid::from_raw(pgid) {
        let _ = rustix::process::kill_process_group(pgid, rustix::process::Signal::KILL);
    }
}

/// Runs `f` on a thread of its own and returns what it returns, or panics
/// naming `what` if it has not returned within `limit`.
pub fn within<T: Send + 'static>(
    limit: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (done, result) = mpsc::sync_channel(1);
    let worker = thread::Builder::new()
        .name(format!("watched: {what}"))
        .spawn(move || {
            let _ = done.send(f());
        })
        .expect("spawn the watched thread");
    match result.recv_timeout(limit) {
        Ok(value) => {
            worker.join().expect("watched thread");
            value
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: not done after {limit:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the worker sends before it returns"),
        },
    }
}

/// Collects a stream and, the first time it has seen `word`, runs
/// `on_word` with the collected text and the child's [`Control`]: a sink
/// that acts when the child says it is ready.
pub struct OnWord {
    word: &'static [u8],
    /// Every byte received.
    pub bytes: Vec<u8>,
    control: Option<Control>,
    pid: u32,
    on_word: Option<OnWordAction>,
    /// Every `end` call.
    pub ends: Vec<StreamEnd>,
}

/// What [`OnWord`] runs: given the bytes so far, the child's pid and its
/// [`Control`].
pub type OnWordAction = Box<dyn FnOnce(&[u8], u32, &Control) + Send>;

impl OnWord {
    /// Runs `on_word(bytes so far, child pid, control)` once `word` has
    /// arrived.
    pub fn new(
        word: &'static str,
        on_word: impl FnOnce(&[u8], u32, &Control) + Send + 'static,
    ) -> OnWord {
        OnWord {
            word: word.as_bytes(),
            bytes: Vec::new(),
            control: None,
            pid: 0,
            on_word: Some(Box::new(on_word)),
            ends: Vec::new(),
        }
    }
}

impl Sink for OnWord {
    fn start(&mut self, context: &StreamContext<'_>) {
        self.control = Some(context.control());
        self.pid = context.pid();
    }

    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        self.bytes.extend_from_slice(chunk);
        if self.bytes.windows(self.word.len()).any(|w| w == self.word) {
            if let (Some(on_word), Some(control)) = (self.on_word.take(), &self.control) {
                on_word(&self.bytes, self.pid, control);
            }
        }
        Flow::Continue
    }

    fn end(&mut self, end: &StreamEnd) {
        self.ends.push(end.clone());
    }
}

/// Sends `()` when its child has started (its stream's `start`), and
/// discards the bytes.
pub struct Started(pub mpsc::Sender<()>);

impl Sink for Started {
    fn start(&mut self, _context: &StreamContext<'_>) {
        let _ = self.0.send(());
    }

    fn chunk(&mut self, _chunk: &[u8]) -> Flow {
        Flow::Continue
    }
}
