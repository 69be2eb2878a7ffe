//! Launching a pipeline's stages: the pipes from one stage straight to
//! the next, the first stage to the spawner, the later ones held until it
//! has started and then spawned into its process group, on the reactor's
//! thread, before the first stage can be reaped.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::Arc;

use crate::job::{Lifecycle, Parts, ReportSlot};
use crate::mailbox::{Request, Shared};
use crate::reactor::delivery::{Delivery, ReportTo};
use crate::reactor::launch::{not_started, prepare, Launch, Launcher, Unstarted};
use crate::sys;
use crate::{ChildId, Error, Input, Job, Reactor, Result, Signal};

/// A later stage of a pipeline, waiting for its first stage to start.
pub(super) struct Held {
    id: ChildId,
    launch: Launch,
    command: Command,
}

/// A stage prepared: what it needs once started, and its command (or why
/// it cannot start).
type Prepared = (ChildId, Launch, std::result::Result<Command, Unstarted>);

impl Launcher {
    /// Starts the pipeline `id` whose first stage is `first`: its stages
    /// are connected and prepared, the first goes to the spawner, the
    /// others wait for it ([`release_held`](Self::release_held)). If one
    /// cannot be prepared, none starts.
    pub(super) fn start_pipeline(
        &mut self,
        shared: &Arc<Shared>,
        id: ChildId,
        mut first: Parts,
        waiter: Option<Arc<ReportSlot>>,
        delivery: &mut Delivery,
    ) {
        let later = std::mem::take(&mut first.stages);
        let lifecycle = first.lifecycle;
        let mut stages: Vec<Parts> = std::iter::once(first)
            .chain(later.into_iter().map(Job::into_parts))
            .collect();
        let programs = stages.iter().map(program).collect();
        delivery
            .pipelines
            .open(id, programs, ReportTo::new(None, waiter));
        let invalid = check(&stages);
        let connected = if invalid.is_none() {
            connect(&mut stages)
        } else {
            Ok(())
        };
        let mut prepared = self.prepare_stages(shared, id, stages, lifecycle);
        if let Some((index, reason)) = invalid {
            prepared[index].2 = Err(Unstarted::Invalid(reason));
        }
        if let Err(err) = connected {
            prepared[0].2 = Err(Unstarted::Spawn(err));
        }
        if prepared.iter().any(|(_, _, command)| command.is_err()) {
            for (stage, launch, command) in prepared {
                let why = command.err().unwrap_or(Unstarted::Cancelled);
                not_started(stage, launch, why, delivery);
            }
            return;
        }
        self.launch_stages(shared, id, prepared);
    }

    /// The first stage to the spawner, the others held.
    fn launch_stages(&mut self, shared: &Arc<Shared>, id: ChildId, prepared: Vec<Prepared>) {
        let mut held = Vec::new();
        for (stage, launch, command) in prepared {
            let Ok(command) = command else { continue };
            if stage == id {
                self.launching.insert(id, launch);
                self.spawner.spawn(shared, id, command);
            } else {
                held.push(Held {
                    id: stage,
                    launch,
                    command,
                });
            }
        }
        self.held.insert(id, held);
    }

    /// Prepares each stage under the pipeline's `lifecycle` (its own
    /// process group for the first), each reported into the pipeline.
    fn prepare_stages(
        &self,
        shared: &Shared,
        id: ChildId,
        stages: Vec<Parts>,
        lifecycle: Lifecycle,
    ) -> Vec<Prepared> {
        let mut prepared = Vec::new();
        for (index, mut parts) in stages.into_iter().enumerate() {
            let stage = if index == 0 { id } else { shared.next_id() };
            parts.lifecycle = Lifecycle {
                process_group: index == 0,
                ..lifecycle
            };
            let (plan, _, command) = prepare(parts, self.linger);
            let report_to = ReportTo::Stage {
                pipeline: id,
                index,
            };
            prepared.push((stage, Launch { plan, report_to }, command));
        }
        prepared
    }

    /// The first stage of pipeline `id` started as process `group`: the
    /// later stages go to the spawner, into its process group.
    pub(super) fn release_held(
        &mut self,
        shared: &Arc<Shared>,
        id: ChildId,
        group: u32,
        delivery: &mut Delivery,
    ) {
        let Some(held) = self.held.remove(&id) else {
            return;
        };
        delivery.pipelines.set_group(id, group);
        for Held {
            id: stage,
            mut launch,
            mut command,
        } in held
        {
            command.process_group(group as i32);
            launch.plan.group = Some(group);
            self.launching.insert(stage, launch);
            // Here rather than on the spawner thread: the first stage
            // cannot be reaped before this returns, so its group still
            // exists to be joined (a first stage that exits at once would
            // otherwise leave the later ones `EPERM`).
            let outcome = command.spawn();
            drop(command);
            shared.request(Request::Spawned(stage, outcome));
        }
    }

    /// The first stage of pipeline `id` did not start (or was killed at
    /// once): the later stages never will. Their commands drop, closing
    /// the pipes.
    pub(super) fn cancel_held(&mut self, id: ChildId, delivery: &mut Delivery) {
        for held in self.held.remove(&id).into_iter().flatten() {
            drop(held.command);
            not_started(held.id, held.launch, Unstarted::Cancelled, delivery);
        }
    }
}

impl Reactor {
    /// Sends `signal` to the process group of pipeline `id`, whose first
    /// stage is already reported.
    pub(super) fn signal_pipeline(&mut self, id: ChildId, signal: Signal) -> Result<()> {
        let Some(group) = self.delivery.pipelines.group(id) else {
            return Err(Error::NotRunning { child: id });
        };
        match signal.send_group(group) {
            Err(err) if err.raw_os_error() == Some(sys::ESRCH) => Ok(()),
            Err(source) => Err(Error::Signal {
                child: id,
                program: String::from("pipeline"),
                signal,
                source,
            }),
            Ok(()) => Ok(()),
        }
    }
}

/// The program of a stage, as given to its `Command`.
fn program(parts: &Parts) -> String {
    parts.command.get_program().to_string_lossy().into_owned()
}

/// The first stage asked for what a pipeline cannot give it, and why.
fn check(stages: &[Parts]) -> Option<(usize, String)> {
    let last = stages.len() - 1;
    stages.iter().enumerate().find_map(|(index, parts)| {
        let reason = if parts.merged || parts.terminal.is_some() || parts.events.is_some() {
            "a pipeline's stage cannot be merged, on a terminal or in events mode"
        } else if index < last && parts.sinks[0].is_some() {
            "only a pipeline's last stage can have a stdout sink"
        } else if index > 0 && parts.stdin.is_some() {
            "only a pipeline's first stage can have a stdin"
        } else {
            return None;
        };
        Some((index, reason.to_owned()))
    })
}

/// Connects each stage's stdout to the next one's stdin with a pipe of its
/// own (close-on-exec: each child gets only its ends, and the parent's
/// copies close as each command is dropped after its spawn).
fn connect(stages: &mut [Parts]) -> std::io::Result<()> {
    for index in 1..stages.len() {
        let (read, write) = sys::pipe()?;
        stages[index - 1].command.stdout(Stdio::from(write));
        stages[index].stdin = Some(Input::stdio(read));
    }
    Ok(())
}
