//! Where and when jobs start: the hosts and their slots, the job slots
//! (`{%}`), the jobs' numbers, the jobs `--resume` skips, the queue of
//! `--retries` and `--delay`.

use std::collections::{HashSet, VecDeque};
use std::ffi::OsString;
use std::time::{Duration, Instant};

use crate::cli::Config;
use crate::inputs::Inputs;
use crate::jobs::JobsFile;
use crate::logins::Host;
use crate::pipe::Block;

/// The most job slots (`{%}`) handed out, whatever `-j` and `-S` say.
const MOST_SLOTS: usize = 1 << 16;

/// A job to run (again, with `--retries`).
#[derive(Debug)]
pub(super) struct Task {
    pub(super) seq: u64,
    pub(super) args: Vec<OsString>,
    /// 1 for the first run.
    pub(super) run: u32,
    /// The hosts (indices) where it failed: a retry goes elsewhere if it
    /// can, as GNU parallel's `--retries` does.
    pub(super) failed_on: Vec<usize>,
    /// `--onall`, `--nonall`: the one host it runs on.
    pub(super) pinned: Option<usize>,
    /// `--pipe`: the block of stdin it reads.
    pub(super) block: Option<Block>,
}

/// A task given a host and a job slot.
#[derive(Debug)]
pub(super) struct Placed {
    pub(super) task: Task,
    /// The index of its host ([`Schedule::host`]).
    pub(super) host: usize,
    /// Its job slot, from 0 (`{%}` is this + 1).
    pub(super) slot: usize,
}

/// What is left when the run ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Unstarted {
    /// Every job was started.
    None,
    /// This many jobs were not.
    Count(u64),
    /// Some were not; how many is unknown (stdin was not read to its end).
    Unknown,
}

/// A host's slots.
#[derive(Debug)]
struct HostSlots {
    host: Host,
    slots: usize,
    running: usize,
}

/// The hosts' and the job slots' use, and what starts next.
#[derive(Debug)]
pub(super) struct Schedule {
    /// Where jobs run (this machine only, without `-S`).
    hosts: Vec<HostSlots>,
    /// Job slots in use (`{%}`, `PARALLEL_JOBSLOT`), index + 1.
    slots: Vec<bool>,
    retries: VecDeque<Task>,
    /// `--retries`: the most runs of one job.
    runs: u32,
    /// Jobs `--resume` skips.
    skip: HashSet<u64>,
    /// The last job number given out.
    seq: u64,
    delay: Option<Duration>,
    last_start: Option<Instant>,
    /// `--onall`, `--nonall`: each argument runs on every host, one job
    /// at a time on each; the copies not started yet.
    onall: Option<super::onall::Copies>,
    /// `-j FILE`: read again when a job ends.
    jobs_file: Option<JobsFile>,
}

impl Schedule {
    /// The hosts of `config` (this machine without `-S`), none of their
    /// slots in use; the jobs numbered in `skip` will not run.
    pub(super) fn new(config: &Config, skip: HashSet<u64>) -> Schedule {
        let here = Host {
            name: None,
            slots: None,
        };
        let hosts = if config.hosts.is_empty() {
            vec![here]
        } else {
            config.hosts.clone()
        };
        let hosts: Vec<HostSlots> = hosts
            .into_iter()
            .map(|host| HostSlots {
                slots: match config.every_host {
                    true => 1,
                    false => host.slots.unwrap_or(config.jobs),
                },
                host,
                running: 0,
            })
            .collect();
        let capacity: usize = hosts.iter().map(|h| h.slots).sum();
        Schedule {
            slots: vec![false; capacity.clamp(1, MOST_SLOTS)],
            hosts,
            retries: VecDeque::new(),
            runs: config.retries,
            skip,
            seq: 0,
            delay: config.delay,
            last_start: None,
            onall: config.every_host.then(super::onall::Copies::default),
            jobs_file: config.jobs_file.clone().map(|path| {
                let mut file = JobsFile::new(path);
                file.changed(); // what the parser read: its time is now known
                file
            }),
        }
    }

    /// Each host's counts for `--eta` and `--progress`, with `completed`
    /// jobs each (by index).
    pub(super) fn host_counts(&self, completed: &[u64]) -> Vec<crate::bar::HostCounts> {
        let cpus = crate::jobs::cpus();
        let hosts = self.hosts.iter().enumerate();
        hosts
            .map(|(index, h)| crate::bar::HostCounts {
                name: h.host.name.clone().unwrap_or_else(|| "local".into()),
                cpus: h.host.name.is_none().then_some(cpus),
                slots: h.slots,
                running: h.running,
                completed: completed.get(index).copied().unwrap_or(0),
            })
            .collect()
    }

    /// How many jobs were handed out (retries not counted again).
    pub(super) fn started(&self) -> u64 {
        self.seq
    }

    /// The host of index `index`.
    pub(super) fn host(&self, index: usize) -> &Host {
        &self.hosts[index].host
    }

    /// Whether a job may run on another machine.
    pub(super) fn has_remote_hosts(&self) -> bool {
        self.hosts.iter().any(|h| h.host.name.is_some())
    }

    /// With `--delay`, the time until the next job may start.
    pub(super) fn delay_left(&self) -> Option<Duration> {
        let left = self.delay?.checked_sub(self.last_start?.elapsed())?;
        (!left.is_zero()).then_some(left)
    }

    /// The next job to start, with its host and slot taken, when a slot
    /// is free and `--delay` allows: a retry first, then the next
    /// argument at hand. `skipped` is told each job number `--resume`
    /// skips.
    pub(super) fn next(
        &mut self,
        inputs: &mut Inputs,
        mut skipped: impl FnMut(u64),
    ) -> Option<Placed> {
        loop {
            if self.free_host(&[]).is_none() || self.delay_left().is_some() {
                return None;
            }
            if let Some(copies) = self.onall.take() {
                let placed = self.next_copy(copies, inputs);
                return placed;
            }
            let task = match self.retries.pop_front() {
                Some(task) => task,
                None => {
                    let args = inputs.next()?;
                    self.seq += 1;
                    if self.skip.contains(&self.seq) {
                        skipped(self.seq);
                        continue;
                    }
                    Task {
                        seq: self.seq,
                        args,
                        run: 1,
                        failed_on: Vec::new(),
                        pinned: None,
                        block: inputs.take_block(),
                    }
                }
            };
            let Some(host) = self.free_host(&task.failed_on) else {
                // Only hosts it failed on have room: it waits for another.
                self.retries.push_front(task);
                return None;
            };
            return Some(self.place(task, host));
        }
    }

    /// `--onall`: the next copy whose host has room, a retry first; more
    /// copies are made from the next argument while few wait.
    fn next_copy(
        &mut self,
        mut copies: super::onall::Copies,
        inputs: &mut Inputs,
    ) -> Option<Placed> {
        let free: Vec<bool> = self.hosts.iter().map(|h| h.running < h.slots).collect();
        let mut found = copies.take_retry(&mut self.retries, &free);
        while found.is_none() && copies.wants_more(self.hosts.len()) {
            let Some(args) = inputs.next() else {
                break;
            };
            self.seq = copies.add(args, self.hosts.len(), self.seq);
            found = copies.take(&free);
        }
        let found = found.or_else(|| copies.take(&free));
        self.onall = Some(copies);
        let task = found?;
        let host = task.pinned.unwrap_or(0);
        Some(self.place(task, host))
    }

    /// Takes a slot on `host` and the first free job slot for `task`.
    fn place(&mut self, task: Task, host: usize) -> Placed {
        let slot = self.slots.iter().position(|used| !used).unwrap_or(0);
        self.slots[slot] = true;
        self.hosts[host].running += 1;
        self.last_start = Some(Instant::now());
        Placed { task, host, slot }
    }

    /// A host with a free slot, not one of `avoid` (the hosts a job failed
    /// on) unless it failed on every host.
    fn free_host(&self, avoid: &[usize]) -> Option<usize> {
        let free = |index: &usize| self.hosts[*index].running < self.hosts[*index].slots;
        let everywhere = (0..self.hosts.len()).all(|index| avoid.contains(&index));
        (0..self.hosts.len())
            .filter(free)
            .find(|index| everywhere || !avoid.contains(index))
    }

    /// A job placed on `host` in `slot` ended: both are free again.
    pub(super) fn release(&mut self, host: usize, slot: usize) {
        self.slots[slot] = false;
        self.hosts[host].running -= 1;
        self.read_jobs_file();
    }

    /// `-j FILE`: when the file changed, its value is the slots of every
    /// host `-S` gave no number of (this machine without `-S`).
    fn read_jobs_file(&mut self) {
        let Some(jobs) = self.jobs_file.as_mut().and_then(JobsFile::changed) else {
            return;
        };
        for host in self.hosts.iter_mut().filter(|h| h.host.slots.is_none()) {
            host.slots = jobs;
        }
        let capacity: usize = self.hosts.iter().map(|h| h.slots).sum();
        let capacity = capacity.clamp(1, MOST_SLOTS);
        if capacity > self.slots.len() {
            self.slots.resize(capacity, false);
        }
    }

    /// Whether a job that failed this run may run again (`--retries`).
    pub(super) fn may_retry(&self, task: &Task) -> bool {
        task.run < self.runs
    }

    /// Queues `task`'s next run, first in line, away from `failed_host`
    /// if it can.
    pub(super) fn retry(&mut self, task: &Task, failed_host: usize) {
        let mut failed_on = task.failed_on.clone();
        failed_on.push(failed_host);
        self.retries.push_front(Task {
            seq: task.seq,
            args: task.args.clone(),
            run: task.run + 1,
            failed_on,
            pinned: task.pinned,
            block: task.block.clone(),
        });
    }

    /// True when every job was handed out, retries included.
    pub(super) fn is_done(&self, inputs: &mut Inputs) -> bool {
        let copies_left = self.onall.as_ref().is_some_and(|c| !c.is_empty());
        inputs.is_exhausted() && self.retries.is_empty() && !copies_left
    }

    /// What did not start.
    pub(super) fn unstarted(&self, inputs: &mut Inputs) -> Unstarted {
        match inputs.total() {
            _ if self.is_done(inputs) => Unstarted::None,
            Some(total) => {
                let copies = if self.onall.is_some() {
                    self.hosts.len()
                } else {
                    1
                };
                Unstarted::Count((total * copies as u64).saturating_sub(self.seq))
            }
            None => Unstarted::Unknown,
        }
    }
}
