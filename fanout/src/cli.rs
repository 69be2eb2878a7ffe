//! The command line: GNU parallel's syntax (`[OPTIONS] [TEMPLATE] ::: ARGS
//! :::: FILES`), parsed with `lexopt` so that every value stays an
//! `OsString`, and the help.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::time::Duration;

use lexopt::prelude::*;

use crate::halt::Halt;
use crate::inputs::Source;
use crate::logins::{self, Host};
use crate::shell;
use crate::values::{number, seconds};

pub(crate) const USAGE: &str = "\
usage: fanout [OPTIONS] [TEMPLATE ...] [::: ARGS ...] [:::: FILES ...]

Runs TEMPLATE once per argument, through `sh -c`, many at once, and streams
the output line by line as it arrives (GNU parallel's syntax). Several
`:::`/`::::` groups give every combination (the last varies fastest); with
none, the arguments are stdin's lines. With no TEMPLATE, each argument is a
command line itself:  fanout ::: 'seq 1 3' 'uname -s'

replacement strings (the argument is shell-quoted; a TEMPLATE without one
gets the arguments appended):
  {}  the argument          {.}  without its extension   {/}  its basename
  {//} its directory (.)    {/.} basename, no extension  {#}  the job's number
  {%} the job slot (1..N)   {N} {N.} {N/} {N//} {N/.}    the Nth input source

options:
  -j, --jobs N|N%        run at most N at once, or N% of the CPUs (default 100%)
  -k, --keep-order       print the jobs' output in the order of the arguments:
                         the oldest unfinished job's lines live, the others
                         held (in memory, then in unnamed temporary files)
      --line-buffer, --lb  print lines whole as they arrive (the default)
      --group            print each job's output whole when it ends
      --tag              prefix each line with the arguments and a TAB
      --tagstring STR    prefix each line with STR (replacement strings
                         work) and a TAB
      --seq-tag          prefix each line with `[N] `, N the job's number
      --joblog FILE      one line per job: Seq Host Starttime JobRuntime Send
                         Receive Exitval Signal Command (tab-separated)
      --resume           skip the jobs FILE of --joblog lists
      --resume-failed    skip those it lists as succeeded, run the others again
      --retries N        run a failing job up to N times in all; only the last
                         run's output is printed (held meanwhile)
      --results DIR      each job's output in DIR/1/ARG/{stdout,stderr,seq},
                         instead of on fanout's stdout and stderr
      --halt WHEN,WHY=N  stop after N (or N%) jobs failed (fail), succeeded
                         (success) or ended (done); WHEN: now (stop the
                         running jobs) or soon (let them end); 0, 1, 2 as
                         GNU parallel (never, soon,fail=1, now,fail=1)
      --timeout SECS     stop a job running longer: SIGTERM to its process
                         group, SIGKILL after the grace
      --grace SECS       between SIGTERM and SIGKILL (default 2)
      --delay SECS       wait SECS between the starts of two jobs
      --dry-run          print the commands instead of running them
      --eta, --bar       show the progress and the estimated time left on
                         stderr, when it is a terminal (it is shown then anyway)
  -0, --null             arguments from stdin and files end with NUL, not newline
  -a, --arg-file FILE    an input source, as `:::: FILE`
      --log-dir DIR      each job's whole output also in DIR/<N>.out, <N>.err
      --tail BYTES       the last BYTES of a failed job's stderr in the summary
                         (default 2048; 0: none)
      --no-summary       no summary on stderr at the end
  -S, --sshlogin SPEC    run jobs on SPEC: comma-separated [N/]HOST (N job
                         slots, default -j) or `:` (this machine); repeatable
      --sshlogin-file FILE  one SPEC a line
      --ssh CMD          the ssh command (default `ssh`), split into words
  -h, --help             this help
  -V, --version          fanout's version

Each job runs in a process group of its own, stdin from /dev/null, with
PARALLEL_SEQ, PARALLEL_JOBSLOT and FANOUT_INDEX (= PARALLEL_SEQ) set.
Ctrl-C stops the running jobs' process groups (SIGTERM, then SIGKILL after
the grace; a second Ctrl-C: SIGKILL at once), prints the summary and exits
with 130.

exit status: 0 when all succeeded; else the number of failed jobs (101 when
more than 100); with --halt: see the manual (docs/FANOUT.md); 128 + N when
stopped by signal N; 255 for other errors.";

/// How jobs' output reaches fanout's stdout and stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Lines whole, as they arrive (`--line-buffer`).
    Lines,
    /// Each job's output whole when it ends (`--group`).
    Group,
}

/// The prefix of each line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Tag {
    None,
    /// `--tag`: the arguments, space-separated, and a TAB.
    Args,
    /// `--tagstring STR`: STR expanded, and a TAB.
    String(OsString),
    /// `--seq-tag`: `[N] `.
    Seq,
}

/// What the command line asked for.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) jobs: usize,
    pub(crate) keep_order: bool,
    pub(crate) mode: Mode,
    pub(crate) tag: Tag,
    pub(crate) joblog: Option<PathBuf>,
    pub(crate) resume: Resume,
    pub(crate) retries: u32,
    pub(crate) results: Option<PathBuf>,
    pub(crate) halt: Halt,
    pub(crate) timeout: Option<Duration>,
    pub(crate) grace: Duration,
    pub(crate) delay: Option<Duration>,
    pub(crate) dry_run: bool,
    pub(crate) null: bool,
    pub(crate) log_dir: Option<PathBuf>,
    pub(crate) tail: usize,
    pub(crate) summary: bool,
    /// `-S`, `--sshlogin-file`: where jobs run; empty: here only.
    pub(crate) hosts: Vec<Host>,
    /// `--ssh`: the ssh command's words.
    pub(crate) ssh: Vec<String>,
    /// The words before the first `:::`/`::::`, joined by spaces (GNU
    /// parallel's way); empty: each argument is a command line.
    pub(crate) template: Vec<OsString>,
    /// Empty: stdin.
    pub(crate) sources: Vec<Source>,
}

/// `--resume` and `--resume-failed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Resume {
    No,
    /// Skip every job the log lists.
    All,
    /// Skip the jobs the log lists as succeeded.
    Failed,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            jobs: cpus(),
            keep_order: false,
            mode: Mode::Lines,
            tag: Tag::None,
            joblog: None,
            resume: Resume::No,
            retries: 1,
            results: None,
            halt: Halt::Never,
            timeout: None,
            grace: Duration::from_secs(2),
            delay: None,
            dry_run: false,
            null: false,
            log_dir: None,
            tail: 2048,
            summary: true,
            hosts: Vec::new(),
            ssh: vec!["ssh".to_owned()],
            template: Vec::new(),
            sources: Vec::new(),
        }
    }
}

/// What `main` should do.
#[derive(Debug)]
pub(crate) enum Parsed {
    Run(Box<Config>),
    Help,
    Version,
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Parses the arguments (without the program's name).
///
/// # Errors
///
/// A message for the user: an unknown option, a bad value, a misuse.
pub(crate) fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Parsed, String> {
    let mut config = Config::default();
    let mut parser = lexopt::Parser::from_args(args);
    let mut rest = Vec::new();
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Short('h') | Long("help") => return Ok(Parsed::Help),
            Short('V') | Long("version") => return Ok(Parsed::Version),
            Value(first) => {
                rest.push(first);
                rest.extend(parser.raw_args().map_err(|e| e.to_string())?);
            }
            Short(c) => option(&mut config, Name::Short(c), &mut parser)?,
            Long(l) => {
                let name = Name::Long(l.to_owned());
                option(&mut config, name, &mut parser)?
            }
        }
    }
    split_rest(&mut config, rest)?;
    check(&config)?;
    Ok(Parsed::Run(Box::new(config)))
}

/// An option's name, owned (lexopt's borrows the parser).
enum Name {
    Short(char),
    Long(String),
}

/// Applies one option.
fn option(config: &mut Config, arg: Name, parser: &mut lexopt::Parser) -> Result<(), String> {
    let name = match &arg {
        Name::Short(c) => format!("-{c}"),
        Name::Long(l) => format!("--{l}"),
    };
    let (short, long) = match &arg {
        Name::Short(c) => (Some(*c), ""),
        Name::Long(l) => (None, l.as_str()),
    };
    let mut value = || -> Result<OsString, String> { parser.value().map_err(|e| e.to_string()) };
    let text = |value: OsString| -> Result<String, String> {
        value
            .into_string()
            .map_err(|v| format!("{name} needs a text value, not {v:?}"))
    };
    match (short, long) {
        (Some('j'), _) | (_, "jobs") => config.jobs = jobs(&name, &text(value()?)?)?,
        (Some('k'), _) | (_, "keep-order") => config.keep_order = true,
        (_, "line-buffer" | "lb") => config.mode = Mode::Lines,
        (_, "group") => config.mode = Mode::Group,
        (_, "tag") => config.tag = Tag::Args,
        (_, "tagstring") => config.tag = Tag::String(value()?),
        (_, "seq-tag") => config.tag = Tag::Seq,
        (_, "joblog") => config.joblog = Some(value()?.into()),
        (_, "resume") => config.resume = Resume::All,
        (_, "resume-failed") => config.resume = Resume::Failed,
        (_, "retries") => config.retries = number(&name, &text(value()?)?, 1)? as u32,
        (_, "results" | "res") => config.results = Some(value()?.into()),
        (_, "halt" | "halt-on-error") => config.halt = Halt::parse(&text(value()?)?)?,
        (_, "timeout") => config.timeout = Some(seconds(&name, &text(value()?)?)?),
        (_, "grace") => config.grace = seconds(&name, &text(value()?)?)?,
        (_, "delay") => config.delay = Some(seconds(&name, &text(value()?)?)?),
        (_, "dry-run") => config.dry_run = true,
        (_, "eta" | "bar" | "progress") => {}
        (Some('0'), _) | (_, "null") => config.null = true,
        (Some('a'), _) | (_, "arg-file") => config.sources.push(file_source(value()?)),
        (_, "log-dir") => config.log_dir = Some(value()?.into()),
        (_, "tail") => config.tail = number(&name, &text(value()?)?, 0)?,
        (_, "no-summary") => config.summary = false,
        (Some('S'), _) | (_, "sshlogin") => {
            let hosts = logins::parse_logins(&text(value()?)?)?;
            config.hosts.extend(hosts);
        }
        (_, "sshlogin-file" | "slf") => {
            let path = PathBuf::from(value()?);
            config.hosts.extend(logins::read_login_file(&path)?);
        }
        (_, "ssh") => config.ssh = shell::split("--ssh", &text(value()?)?)?,
        _ => return Err(format!("unknown option {name}")),
    }
    Ok(())
}

/// Splits what follows the options: the template's words, then the
/// `:::` and `::::` groups.
fn split_rest(config: &mut Config, rest: Vec<OsString>) -> Result<(), String> {
    let mut group: Option<&str> = None;
    for word in rest {
        match word.to_str() {
            Some(sep @ (":::" | "::::")) => {
                group = Some(if sep == ":::" { ":::" } else { "::::" });
                if sep == ":::" {
                    config.sources.push(Source::Args(Vec::new()));
                }
            }
            Some(sep @ (":::+" | "::::+")) => {
                return Err(format!("{sep} (linked input sources) is not supported"))
            }
            _ => match group {
                None => config.template.push(word),
                Some(":::") => match config.sources.last_mut() {
                    Some(Source::Args(args)) => args.push(word),
                    _ => unreachable!("::: pushes an argument source"),
                },
                Some(_) => config.sources.push(file_source(word)),
            },
        }
    }
    Ok(())
}

fn file_source(path: OsString) -> Source {
    if path == OsStr::new("-") {
        Source::Stdin
    } else {
        Source::File(path.into())
    }
}

/// Options that do not go together.
fn check(config: &Config) -> Result<(), String> {
    if config.resume != Resume::No && config.joblog.is_none() {
        return Err("--resume and --resume-failed need --joblog FILE".into());
    }
    let stdins = config
        .sources
        .iter()
        .filter(|source| matches!(source, Source::Stdin))
        .count();
    if stdins > 1 {
        return Err("stdin (`-`) can be one input source only".into());
    }
    Ok(())
}

/// `-j N` or `-j N%` (of the CPUs, at least 1).
fn jobs(option: &str, value: &str) -> Result<usize, String> {
    match value.strip_suffix('%') {
        Some(percent) => {
            let percent = number(option, percent, 1)?;
            Ok((cpus() * percent / 100).max(1))
        }
        None => number(option, value, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(args: &[&str]) -> Config {
        match parse(args.iter().map(OsString::from)).unwrap() {
            Parsed::Run(config) => *config,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_template_keeps_its_options_and_the_groups_split() {
        let config = config(&[
            "-j2", "-k", "echo", "-n", "{}", ":::", "a", "b", "::::", "f",
        ]);
        assert_eq!((config.jobs, config.keep_order), (2, true));
        assert_eq!(config.template, ["echo", "-n", "{}"]);
        assert_eq!(config.sources.len(), 2);
        assert!(matches!(&config.sources[0], Source::Args(a) if a.len() == 2));
        assert!(matches!(&config.sources[1], Source::File(p) if p.as_os_str() == "f"));
    }

    #[test]
    fn no_template_and_no_group() {
        let config = config(&["--tag", ":::", "seq 1 3"]);
        assert!(config.template.is_empty());
        assert_eq!(config.tag, Tag::Args);
        let config = config_of_stdin();
        assert!(config.sources.is_empty());
    }

    fn config_of_stdin() -> Config {
        config(&["echo"])
    }

    #[test]
    fn bad_values_are_errors() {
        for args in [
            &["-j", "0", "true"][..],
            &["--timeout", "soon"],
            &["--resume", "true"],
            &["--bogus"],
            &["--halt", "sometime"],
        ] {
            assert!(parse(args.iter().map(OsString::from)).is_err(), "{args:?}");
        }
    }
}
