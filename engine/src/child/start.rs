//! Starting a running child: wiring its pipes, its exit watch, its sinks
//! and source.

use std::io;
use std::os::fd::OwnedFd;
use std::panic::{self, AssertUnwindSafe};
use std::process::Child;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Plan, Running};
use crate::base::Output;
use crate::base::{Key, Target};
use crate::child::exit::Exit;
use crate::child::output::OutputStream;
use crate::child::pipe::Pipe;
use crate::child::registration::Registered;
use crate::child::stdin::StdinStream;
use crate::io::BoxSink;
use crate::job::Lifecycle;
use crate::mailbox::Shared;
use crate::sys::{self, Interest};
use crate::{ChildId, Error, Report, Resumer, Source, Stream, StreamContext};

impl Running {
    /// Wires a child just spawned into `slot`: registers its pipes (and
    /// its exit watch if `watch_exit`), starts its sinks and source. If
    /// that fails the child is killed and reaped, and its report (naming
    /// the error) comes back instead.
    ///
    /// # Panics
    ///
    /// A sink or source that panics in `start`: the child is killed and
    /// reaped first, so that it is not left behind.
    pub(crate) fn start(
        id: ChildId,
        slot: usize,
        process: Child,
        plan: Plan,
        shared: &Arc<Shared>,
        watch_exit: bool,
    ) -> Result<Running, Box<Report>> {
        let Plan {
            program,
            stdin,
            sinks,
            combined_output,
            linger,
            lifecycle,
            started,
            label,
            group,
        } = plan;
        log::debug!("child {id} ({program}) started, pid {}", process.id());
        let mut running = Running::new(id, program, process, started, linger, lifecycle);
        running.label = label;
        running.joined = group;
        let wired = panic::catch_unwind(AssertUnwindSafe(|| {
            running.wire(slot, stdin, sinks, combined_output, shared, watch_exit)
        }));
        match wired {
            Ok(Ok(())) => Ok(running),
            Ok(Err(source)) => {
                let program = running.program.clone();
                running.error = Some(Error::Spawn {
                    child: id,
                    program,
                    source,
                });
                running.kill_and_reap();
                Err(Box::new(running.into_report(Instant::now())))
            }
            Err(panic) => {
                running.kill_and_reap();
                panic::resume_unwind(panic)
            }
        }
    }

    fn new(
        id: ChildId,
        program: String,
        process: Child,
        started: Instant,
        linger: Duration,
        lifecycle: Lifecycle,
    ) -> Running {
        Running {
            id,
            program,
            process,
            exit: Exit::Pending { watch: None },
            stdin: None,
            outputs: [None, None],
            started,
            linger,
            lifecycle,
            error: None,
            timed_out: false,
            label: None,
            joined: None,
        }
    }

    /// Registers the pipes and the exit watch, and starts the sinks and
    /// the source.
    fn wire(
        &mut self,
        slot: usize,
        stdin: Option<Box<dyn Source + Send>>,
        sinks: [Option<BoxSink>; 2],
        combined_output: Option<OwnedFd>,
        shared: &Arc<Shared>,
        watch_exit: bool,
    ) -> io::Result<()> {
        let pid = self.process.id();
        let context = |stream| {
            let resumer = Resumer::new(Arc::clone(shared), self.id, slot, stream);
            StreamContext::new(&self.program, pid, resumer)
        };
        let stdin_fd = self.process.stdin.take().map(OwnedFd::from);
        let stdout_fd = combined_output.or_else(|| self.process.stdout.take().map(OwnedFd::from));
        let stderr_fd = self.process.stderr.take().map(OwnedFd::from);
        let mut stdin_stream = None;
        if let (Some(fd), Some(mut source)) = (stdin_fd, stdin) {
            source.start(&context(Stream::Stdin));
            let key = Key::new(slot, Target::Stdin);
            let pipe = Pipe::new(fd, key, Interest::Write, pid, Arc::clone(shared))?;
            stdin_stream = Some(StdinStream::new(pipe, source));
        }
        let mut outputs = [None, None];
        for ((output, fd), sink) in Output::ALL
            .into_iter()
            .zip([stdout_fd, stderr_fd])
            .zip(sinks)
        {
            if let (Some(fd), Some(mut sink)) = (fd, sink) {
                sink.sink().start(&context(output.stream()));
                let key = Key::new(slot, Target::Output(output));
                let pipe = Pipe::new(fd, key, Interest::Read, pid, Arc::clone(shared))?;
                outputs[output.index()] = Some(OutputStream::new(output, pipe, sink));
            }
        }
        let watch = if watch_exit {
            sys::exit_watch(&self.process)
        } else {
            None
        };
        let watch = match watch {
            Some(fd) => {
                let key = Key::new(slot, Target::Exit);
                Some(Registered::new(
                    fd,
                    key,
                    Interest::Read,
                    Arc::clone(shared),
                )?)
            }
            None => None,
        };
        self.exit = Exit::Pending { watch };
        self.stdin = stdin_stream;
        self.outputs = outputs;
        Ok(())
    }
}
