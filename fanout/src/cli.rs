//! The command line: options, and the help.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

pub(crate) const USAGE: &str = "\
usage: fanout [OPTIONS] [--] [COMMAND ...]

Runs each COMMAND through `sh -c`, many at once, and prints their output
line by line as it arrives. With no COMMAND, reads the commands from stdin,
one a line.

options:
  -j, --jobs N          run at most N at once (default: the number of CPUs)
      --tag             prefix every line with `[i] `, i the command's position
                        (the default when there is more than one command)
      --no-tag          never prefix
      --group           print each command's output whole when it ends
                        (kept in temporary files meanwhile)
      --log-dir DIR     keep each command's whole output in DIR/<i>.out, DIR/<i>.err
      --tail BYTES      show the last BYTES of a failed command's stderr in the
                        summary (default 2048; 0: none)
      --timeout SECS    stop a command running longer: SIGTERM to its process
                        group, then SIGKILL after the grace
      --grace SECS      between SIGTERM and SIGKILL (default 2)
      --halt-on-failure after the first failure, start nothing new and stop
                        what runs (SIGTERM, then SIGKILL after the grace)
  -h, --help            print this help

Ctrl-C stops the running commands' process groups the same way (a second
Ctrl-C: SIGKILL at once), prints the summary and exits with 130.

exit code: 0 when all succeeded; else the number of failed commands (101 when
more than 100; those stopped after a failure do not count); 128 + N when
stopped by signal N (130 for Ctrl-C); 255 for a usage error.";

/// What the command line asked for.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) jobs: usize,
    /// `None`: tag when there is more than one command.
    pub(crate) tag: Option<bool>,
    pub(crate) group: bool,
    pub(crate) log_dir: Option<PathBuf>,
    pub(crate) tail: usize,
    pub(crate) timeout: Option<Duration>,
    pub(crate) grace: Duration,
    pub(crate) halt_on_failure: bool,
    /// Empty: read them from stdin.
    pub(crate) commands: Vec<OsString>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            tag: None,
            group: false,
            log_dir: None,
            tail: 2048,
            timeout: None,
            grace: Duration::from_secs(2),
            halt_on_failure: false,
            commands: Vec::new(),
        }
    }
}

/// Parses the arguments (without the program's name). `Err("")` asks for
/// the help.
pub(crate) fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Config, String> {
    let mut config = Config::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy().into_owned();
        if text == "--" {
            break;
        }
        if !text.starts_with('-') || text == "-" {
            config.commands.push(arg);
            break;
        }
        option(&mut config, &text, &mut args)?;
    }
    config.commands.extend(args);
    Ok(config)
}

/// Applies one option (`--name`, `--name=value`, `-j N` or `-jN`).
pub(crate) fn option(
    config: &mut Config,
    text: &str,
    args: &mut impl Iterator<Item = OsString>,
) -> Result<(), String> {
    let (name, inline) = match text.split_once('=') {
        Some((name, value)) if name.starts_with("--") => (name, Some(value.to_owned())),
        _ if text.starts_with("-j") && text.len() > 2 => ("-j", Some(text[2..].to_owned())),
        _ => (text, None),
    };
    let mut value = || -> Result<String, String> {
        match inline.clone() {
            Some(value) => Ok(value),
            None => args
                .next()
                .map(|value| value.to_string_lossy().into_owned())
                .ok_or_else(|| format!("{name} needs a value")),
        }
    };
    match name {
        "-h" | "--help" => return Err(String::new()),
        "-j" | "--jobs" => config.jobs = number(name, &value()?, 1)?,
        "--tag" => config.tag = Some(true),
        "--no-tag" => config.tag = Some(false),
        "--group" => config.group = true,
        "--log-dir" => config.log_dir = Some(PathBuf::from(value()?)),
        "--tail" => config.tail = number(name, &value()?, 0)?,
        "--timeout" => config.timeout = Some(seconds(name, &value()?)?),
        "--grace" => config.grace = seconds(name, &value()?)?,
        "--halt-on-failure" => config.halt_on_failure = true,
        _ => return Err(format!("unknown option {text}")),
    }
    Ok(())
}

pub(crate) fn number(option: &str, value: &str, least: usize) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if n >= least => Ok(n),
        _ => Err(format!(
            "{option} needs a whole number of at least {least}, not {value:?}"
        )),
    }
}

pub(crate) fn seconds(option: &str, value: &str) -> Result<Duration, String> {
    value
        .parse::<f64>()
        .ok()
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .ok_or_else(|| format!("{option} needs a number of seconds, not {value:?}"))
}
