//! `fanout`: runs commands in parallel with GNU parallel's everyday syntax
//! (`fanout [OPTIONS] TEMPLATE ::: ARGS`), through one procpump reactor
//! thread, and streams their output line by line, in bounded memory.
//!
//! ```text
//! cargo install --path fanout
//! fanout -j 8 gzip -k ::: *.log
//! fanout ::: 'seq 1 3' 'uname -s'
//! ```
//!
//! The manual is `docs/FANOUT.md` (with a table against GNU parallel);
//! `fanout --help` and `fanout --man` list the options.
//!
//! How it is built, from procpump and its adapters:
//! - `options` is the option table: names, values, help; `manual` writes
//!   `--help`, the manual page (`--man`) and the completions
//!   (`--completions bash|zsh`) from it, and `--version` (the commit from
//!   `build.rs`);
//! - `cli` parses the command line (`lexopt`: values stay `OsString`s),
//!   the names looked up in the table;
//!   `inputs` gives the combinations of the input sources; `template`
//!   expands the replacement strings and quotes the arguments; `launch`
//!   makes each job: `sh -c COMMAND` in a process group of its own, each
//!   stream through a `Tee` of the display sink, a byte counter, the files
//!   of `--results`/`--log-dir`, and on stderr a `Tail` for the summary;
//! - `shell` quotes for the shell (and splits `--ssh CMD` into words);
//!   `logins` reads the `-S` specs and `values` the numbers, below both
//!   `cli` and `remote`;
//! - `remote` is `-S`/`--ssh`: a remote job is `ssh … HOST exec sh -c
//!   SCRIPT` over a shared connection per host, its stdin held open so
//!   that the remote side kills the command when ssh goes away;
//!   `transfer` moves the files of `--transferfile`, `--return`,
//!   `--basefile` with rsync over the same connection (a remote job with
//!   files is a local `sh -c` script around its ssh), `env` is `--env`,
//!   `remote_cli` parses these options and those of the hosts, and
//!   `run/onall` makes `--onall`'s copies, one per host;
//! - the display sink is a `Tagged` sink in line mode (lines whole, one
//!   write per chunk), or a held sink (`hold`: memory, then unnamed
//!   temporary files) for `--group`, `-k` and `--retries`;
//! - `run` drives the reactor by hand (`Reactor::turn`, woken by its work
//!   or a deadline): jobs are fed as slots free up (at most `--jobs` are
//!   held at once, so a million arguments from stdin cost no more than a
//!   few), ended jobs are retried, logged (`joblog`), counted (`halt`) and
//!   summarised (`outcome`), and the progress line is redrawn; each of
//!   these concerns is a file of its own under `run/`;
//! - Ctrl-C (and `SIGTERM`, `SIGHUP`) sets a flag through `signal-hook`.
//!   The jobs run in process groups of their own, so the terminal's Ctrl-C
//!   does not reach them: fanout stops their groups itself, as a timeout
//!   does (`SIGTERM`, then `SIGKILL` after `--grace`, or at once on a
//!   second Ctrl-C), so that clients such as `srun` can pass it on.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod bar;
mod cli;
mod console;
mod context;
mod direct;
mod env;
mod halt;
mod hold;
mod inputs;
mod joblog;
mod jobs;
mod launch;
mod linked;
mod logins;
mod manual;
mod options;
mod outcome;
mod pipe;
mod profile;
mod remote;
mod remote_cli;
mod run;
mod shell;
mod template;
mod transfer;
mod values;

use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;
use std::sync::atomic::AtomicUsize;

use procpump::{Reactor, Waker};

use cli::{parse, Config, Parsed, Shell};
use inputs::Inputs;
use launch::{Launcher, Slot};
use run::Run;

/// The number of the last of `SIGINT`, `SIGTERM`, `SIGHUP` received; 0
/// while none was.
static SIGNAL: AtomicUsize = AtomicUsize::new(0);

/// Has those signals set [`SIGNAL`] instead of ending fanout, which would
/// leave the jobs running in their own process groups, and wake the
/// reactor: the handler writes a byte into a pipe (`signal_hook`'s
/// self-pipe, no `unsafe`), and a thread reading it calls `waker`.
fn catch_signals(waker: Waker) -> io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let (read, write) = std::os::unix::net::UnixStream::pair()?;
    for signal in [SIGINT, SIGTERM, SIGHUP] {
        // The flag first: it is set before the byte is written.
        signal_hook::flag::register_usize(signal, &SIGNAL, signal as usize)?;
        signal_hook::low_level::pipe::register(signal, write.try_clone()?)?;
    }
    std::thread::Builder::new()
        .name("fanout-signals".into())
        .spawn(move || {
            let mut byte = [0u8; 1];
            let mut read = read;
            while std::io::Read::read(&mut read, &mut byte).is_ok_and(|n| n > 0) {
                waker.wake();
            }
        })?;
    Ok(())
}

/// Lets fanout open as many files as the hard limit allows: with `-k`,
/// each held job's output past its memory share is an open temporary file.
fn raise_open_files() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current < limit.maximum {
        limit.current = limit.maximum;
        let _ = setrlimit(Resource::Nofile, limit);
    }
}

fn fanout(config: Config) -> io::Result<u8> {
    let mut reactor = Reactor::new()?;
    let waker = reactor.waker();
    catch_signals(waker.clone())?;
    raise_open_files();
    for dir in [&config.log_dir, &config.results].into_iter().flatten() {
        std::fs::create_dir_all(dir).map_err(|err| {
            io::Error::new(
                err.kind(),
                format!("cannot create {}: {err}", dir.display()),
            )
        })?;
    }
    let mut config = config;
    if let (true, Some(log)) = (config.retry_failed, &config.joblog) {
        // The jobs and their commands are the log's.
        config.sources = vec![inputs::Source::Args(joblog::commands(log)?)];
        config.template.clear();
    }
    let mut inputs = match config.pipe {
        true => Inputs::pipe(pipe::Blocks::start(
            &config.blocks,
            Box::new(io::stdin()),
            waker,
        )),
        false => {
            let reading = args::reading(&config);
            let mut inputs = Inputs::open(std::mem::take(&mut config.sources), &reading, waker)?;
            let (batcher, warning) = args::batcher(&config, inputs.sources());
            if let Some(warning) = warning {
                eprintln!("fanout: warning: {warning}");
            }
            inputs.group(batcher);
            inputs
        }
    };
    if config.dry_run {
        return dry_run(&config, &mut inputs);
    }
    let mut run = Run::new(config, inputs.sources(), reactor)?;
    run.drive(&mut inputs)?;
    let code = run.finish(&mut inputs);
    Ok(args::stopped(&inputs).unwrap_or(code))
}

/// `--dry-run`: prints each job's command line, a line each.
fn dry_run(config: &Config, inputs: &mut Inputs) -> io::Result<u8> {
    let (out, err) = console::Console::pair();
    let launcher = Launcher::new(config, inputs.sources(), &out, &err);
    let mut stdout = io::stdout().lock();
    let mut seq = 0;
    loop {
        let Some(args) = inputs.next() else {
            if inputs.is_exhausted() {
                break;
            }
            inputs.wait();
            continue;
        };
        seq += 1;
        let slot = ((seq - 1) % config.jobs as u64) as usize + 1;
        let command = launcher.command(Slot {
            seq,
            slot,
            args: &args,
            host: ":",
        });
        stdout.write_all(command.as_bytes())?;
        stdout.write_all(b"\n")?;
        if config.trace {
            // `-t`: on stderr too, as GNU parallel's.
            eprintln!("{}", command.to_string_lossy());
        }
    }
    stdout.flush()?;
    Ok(args::stopped(inputs).unwrap_or(0))
}

fn main() -> ExitCode {
    let args = profile::expand(std::env::args_os().skip(1).collect());
    let config = match args.and_then(parse) {
        Ok(Parsed::Run(config)) => config,
        Ok(Parsed::RecordEnv) => return record_env(),
        Ok(other) => return print(&other),
        Err(message) => {
            eprintln!("fanout: {message}");
            return ExitCode::from(255);
        }
    };
    match fanout(*config) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("fanout: {err}");
            ExitCode::from(255)
        }
    }
}

/// `--record-env`.
fn record_env() -> ExitCode {
    match env::record() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("fanout: --record-env: {err}");
            ExitCode::from(255)
        }
    }
}

/// `--help`, `--version`, `--man`, `--completions`: what they print.
fn print(what: &Parsed) -> ExitCode {
    let text = match what {
        Parsed::Help => manual::help(),
        Parsed::Version => manual::version(),
        Parsed::Man => manual::man(),
        Parsed::Completions(Shell::Bash) => manual::bash(),
        Parsed::Completions(Shell::Zsh) => manual::zsh(),
        Parsed::Run(_) | Parsed::RecordEnv => unreachable!("a run prints nothing here"),
    };
    let mut stdout = io::stdout().lock();
    let written = stdout.write_all(text.trim_end().as_bytes());
    match written
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("fanout: stdout: {err}");
            ExitCode::from(255)
        }
    }
}
