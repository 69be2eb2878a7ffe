//! The command line: GNU parallel's syntax (`[OPTIONS] [TEMPLATE] ::: ARGS
//! :::: FILES`), parsed with `lexopt` so that every value stays an
//! `OsString`. The options' names are those of the option table
//! (`options`), which the help is also written from.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::time::Duration;

use lexopt::prelude::*;

use crate::halt::Halt;
use crate::inputs::Source;
use crate::joblog::{self, Resume};
use crate::logins::{self, Host};
use crate::options::{self, Key, Opt};
use crate::shell;
use crate::values::{number, seconds};

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
    /// How arguments become jobs (`-n`, `-X`, `-I`, `-d`…).
    pub(crate) args: crate::args::Arguments,
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
            args: crate::args::Arguments::default(),
        }
    }
}

/// What `main` should do.
#[derive(Debug)]
pub(crate) enum Parsed {
    Run(Box<Config>),
    Help,
    Version,
    /// `--man`: print the manual page.
    Man,
    /// `--completions SHELL`: print its completion script.
    Completions(Shell),
}

/// A shell fanout writes completions for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shell {
    Bash,
    Zsh,
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
        let (opt, name) = match arg {
            Value(first) => {
                rest.push(first);
                rest.extend(parser.raw_args().map_err(|e| e.to_string())?);
                continue;
            }
            Short(c) => (options::short(c), format!("-{c}")),
            Long(l) => (options::long(l), format!("--{l}")),
        };
        let opt = opt.ok_or_else(|| format!("unknown option {name}"))?;
        if let Some(done) = option(&mut config, opt, &name, &mut parser)? {
            return Ok(done);
        }
    }
    split_rest(&mut config, rest)?;
    check(&config)?;
    Ok(Parsed::Run(Box::new(config)))
}

/// Applies one option (`name`, as given); `Some` for the options that
/// answer at once (`--help`, `--version`, `--man`, `--completions`).
fn option(
    config: &mut Config,
    opt: &Opt,
    name: &str,
    parser: &mut lexopt::Parser,
) -> Result<Option<Parsed>, String> {
    let mut value = || -> Result<OsString, String> { parser.value().map_err(|e| e.to_string()) };
    let text = |value: OsString| -> Result<String, String> {
        value
            .into_string()
            .map_err(|v| format!("{name} needs a text value, not {v:?}"))
    };
    match opt.key {
        Key::Help => return Ok(Some(Parsed::Help)),
        Key::Version => return Ok(Some(Parsed::Version)),
        Key::Man => return Ok(Some(Parsed::Man)),
        Key::Completions => return shell(name, &text(value()?)?).map(Some),
        Key::Jobs => config.jobs = jobs(name, &text(value()?)?)?,
        Key::KeepOrder => config.keep_order = true,
        Key::LineBuffer => config.mode = Mode::Lines,
        Key::Group => config.mode = Mode::Group,
        Key::Tag => config.tag = Tag::Args,
        Key::Tagstring => config.tag = Tag::String(value()?),
        Key::SeqTag => config.tag = Tag::Seq,
        Key::Joblog => config.joblog = Some(value()?.into()),
        Key::Resume => config.resume = Resume::All,
        Key::ResumeFailed => config.resume = Resume::Failed,
        Key::Retries => config.retries = number(name, &text(value()?)?, 1)? as u32,
        Key::Results => config.results = Some(value()?.into()),
        Key::Halt => config.halt = Halt::parse(&text(value()?)?)?,
        Key::Timeout => config.timeout = Some(seconds(name, &text(value()?)?)?),
        Key::Grace => config.grace = seconds(name, &text(value()?)?)?,
        Key::Delay => config.delay = Some(seconds(name, &text(value()?)?)?),
        Key::DryRun => config.dry_run = true,
        Key::Progress => {}
        Key::Null => config.null = true,
        Key::ArgFile => config.sources.push(file_source(value()?)),
        Key::LogDir => config.log_dir = Some(value()?.into()),
        Key::Tail => config.tail = number(name, &text(value()?)?, 0)?,
        Key::NoSummary => config.summary = false,
        Key::Sshlogin => config.hosts.extend(logins::parse_logins(&text(value()?)?)?),
        Key::SshloginFile => {
            let path = PathBuf::from(value()?);
            config.hosts.extend(logins::read_login_file(&path)?);
        }
        Key::Ssh => config.ssh = shell::split("--ssh", &text(value()?)?)?,
        key => crate::args::option(&mut config.args, key, name, parser)?,
    }
    Ok(None)
}

/// `--completions SHELL`.
fn shell(name: &str, value: &str) -> Result<Parsed, String> {
    match value {
        "bash" => Ok(Parsed::Completions(Shell::Bash)),
        "zsh" => Ok(Parsed::Completions(Shell::Zsh)),
        _ => Err(format!("{name} needs bash or zsh, not {value:?}")),
    }
}

/// Splits what follows the options: the template's words, then the
/// `:::` and `::::` groups.
fn split_rest(config: &mut Config, rest: Vec<OsString>) -> Result<(), String> {
    let mut group: Option<&str> = None;
    // `:::+`, `::::+`: the sources that follow are linked to the one before.
    let mut linked = false;
    for word in rest {
        match word.to_str() {
            Some(sep @ (":::" | "::::" | ":::+" | "::::+")) => {
                linked = sep.ends_with('+');
                group = Some(if sep.starts_with("::::") {
                    "::::"
                } else {
                    ":::"
                });
                if group == Some(":::") {
                    link(config, linked);
                    config.sources.push(Source::Args(Vec::new()));
                }
            }
            _ => match group {
                None => config.template.push(word),
                Some(":::") => match config.sources.last_mut() {
                    Some(Source::Args(args)) => args.push(word),
                    _ => unreachable!("::: pushes an argument source"),
                },
                Some(_) => {
                    link(config, linked);
                    config.sources.push(file_source(word));
                }
            },
        }
    }
    Ok(())
}

/// The source about to be pushed is linked to the one before.
fn link(config: &mut Config, linked: bool) {
    if linked && !config.sources.is_empty() {
        config.args.links.to_previous.push(config.sources.len());
    }
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
    let on_stdout = config.joblog.as_deref() == Some(Path::new(joblog::STDOUT));
    if config.resume != Resume::No && on_stdout {
        return Err("--resume and --resume-failed need a --joblog FILE, not stdout (-)".into());
    }
    let stdins = config
        .sources
        .iter()
        .filter(|source| matches!(source, Source::Stdin))
        .count();
    if stdins > 1 {
        return Err("stdin (`-`) can be one input source only".into());
    }
    crate::args::check(config)
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
            &["--resume", "--joblog", "-", "true"],
            &["--bogus"],
            &["--halt", "sometime"],
            &["--completions", "fish"],
            &["-y"],
            &["-n", "0", "true"],
            &["-d", "", "true"],
        ] {
            assert!(parse(args.iter().map(OsString::from)).is_err(), "{args:?}");
        }
    }

    #[test]
    fn every_name_of_the_table_parses() {
        for opt in options::OPTIONS {
            let names = opt.short.map(|c| format!("-{c}")).into_iter();
            for name in names.chain(opt.longs().map(|l| format!("--{l}"))) {
                // `--joblog`, which `--resume` needs.
                let mut args = vec!["--joblog".to_owned(), "log".to_owned(), name.clone()];
                args.extend(opt.value.name().map(|_| sample(opt.key).to_owned()));
                args.extend(["true".to_owned(), ":::".to_owned(), "a".to_owned()]);
                let parsed = parse(args.iter().map(OsString::from));
                // `--rpl` parses, to say that it is refused.
                assert!(parsed.is_ok() || opt.key == Key::Rpl, "{name}: {parsed:?}");
            }
        }
    }

    /// A value each option with a value accepts.
    fn sample(key: Key) -> &'static str {
        match key {
            Key::Halt => "now,fail=1",
            Key::Completions => "bash",
            Key::Sshlogin => ":",
            Key::SshloginFile => "/dev/null",
            _ => "1",
        }
    }
}
