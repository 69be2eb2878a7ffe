//! `fanout`: runs shell command lines, many at once, through one procpump
//! reactor thread, and streams their output line by line.
//!
//! ```text
//! cargo run --release -p procpump-adapters --example fanout -- [OPTIONS] [--] [COMMAND ...]
//! ```
//!
//! Each COMMAND runs through `sh -c`, in a process group of its own, with
//! stdin from `/dev/null` and `FANOUT_INDEX` set to its position; with no
//! COMMAND, the commands are read from stdin, one a line (blank lines are
//! skipped and not numbered). `--help` lists the options.
//!
//! How it is built, from the adapters:
//! - each stream goes through a `Tee`: the display sink (a `Tagged`
//!   sink, so lines are whole and prefixed with `[i] `; or, with `--group`,
//!   a `Spool` sink, so the output is written whole at its end), a byte
//!   counter for the progress line, a `FileSink` with `--log-dir`, and on
//!   stderr a `Tail` for the summary;
//! - the reactor is driven by hand (`Reactor::turn` with a short
//!   timeout): commands are fed as slots free up (at most `--jobs` are
//!   held at once, so 10,000 commands from stdin cost no more than 64),
//!   the progress line is redrawn, and a signal flag is checked;
//! - Ctrl-C (and `SIGTERM`, `SIGHUP`) sets a flag through `signal-hook`
//!   (std has no signal API and rustix keeps `sigaction` unstable;
//!   `signal_hook::flag` does it without `unsafe`, setting an atomic). The
//!   commands run in process groups of their own, so the terminal's
//!   Ctrl-C does not reach them: fanout stops their groups itself, as a
//!   timeout does (`SIGTERM`, then `SIGKILL` after `--grace`, or at once
//!   on a second Ctrl-C), so that clients such as `srun` can pass it on;
//! - the summary is kept in a `Spool` too (in memory up to 64 KiB, then
//!   in an unnamed temporary file), so memory does not grow with the
//!   number of commands.
//!
//! The parts: `cli` (options), `commands` (arguments or stdin), `run`
//! (the loop), `console` (stdout, stderr, the progress line), `outcome`
//! (what became of each command, the summary's lines).
//!
//! Exit code: 0 when every command succeeded, else the number of failed
//! ones (non-zero exit, killed by a signal, timed out, could not start;
//! not those fanout stopped after a failure), 101 when more than 100
//! failed; `128 + N` when stopped by signal N (130 for Ctrl-C); 255 for a
//! usage error.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cli;
mod commands;
mod console;
mod outcome;
mod run;

use std::io;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

use cli::{parse, Config, USAGE};
use commands::Commands;
use run::Run;

/// The number of the last of `SIGINT`, `SIGTERM`, `SIGHUP` received; 0
/// while none was.
static SIGNAL: AtomicUsize = AtomicUsize::new(0);

/// Has those signals set [`SIGNAL`] instead of ending fanout, which would
/// leave the commands running in their own process groups.
fn catch_signals() -> io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    for signal in [SIGINT, SIGTERM, SIGHUP] {
        signal_hook::flag::register_usize(signal, &SIGNAL, signal as usize)?;
    }
    Ok(())
}

fn fanout(mut config: Config) -> io::Result<u8> {
    catch_signals()?;
    if let Some(dir) = &config.log_dir {
        std::fs::create_dir_all(dir).map_err(|err| {
            io::Error::new(
                err.kind(),
                format!("cannot create {}: {err}", dir.display()),
            )
        })?;
    }
    let mut commands = Commands::new(std::mem::take(&mut config.commands));
    let tag = config
        .tag
        .unwrap_or_else(|| commands.more_than_one(|| SIGNAL.load(Ordering::SeqCst) != 0));
    let mut run = Run::new(config, tag)?;
    run.drive(&mut commands)?;
    Ok(run.finish(&commands))
}

fn main() -> ExitCode {
    let config = match parse(std::env::args_os().skip(1)) {
        Ok(config) => config,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("fanout: {message}\n\n{USAGE}");
            return ExitCode::from(255);
        }
    };
    match fanout(config) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("fanout: {err}");
            ExitCode::from(255)
        }
    }
}
