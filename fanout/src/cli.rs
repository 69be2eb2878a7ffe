//! The command line: GNU parallel's syntax (`[OPTIONS] [TEMPLATE] ::: ARGS
//! :::: FILES`), parsed with `lexopt` so that every value stays an
//! `OsString`. The options' names are those of the option table
//! (`options`), which the help is also written from.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lexopt::prelude::*;

use crate::halt::Halt;
use crate::inputs::Source;
use crate::joblog::{self, Resume};
use crate::logins::{self, Host};
use crate::options::{self, Key, Opt};
use crate::pipe::{self, Pipe};
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
    /// The summary at the end: `None`: when stderr is a terminal.
    pub(crate) summary: Option<bool>,
    /// `-S`, `--sshlogin-file`: where jobs run; empty: here only.
    pub(crate) hosts: Vec<Host>,
    /// `--ssh`: the ssh command's words.
    pub(crate) ssh: Vec<String>,
    /// `--transferfile`, `--return`, `--cleanup`, `--basefile`, `--workdir`.
    pub(crate) files: crate::transfer::Options,
    /// `--onall`, `--nonall`: each argument on every host.
    pub(crate) every_host: bool,
    /// `--nonall`: no arguments (the template gets none appended).
    pub(crate) nonall: bool,
    /// `--env`'s names, then (after parsing) the entries they give.
    pub(crate) env_names: Vec<String>,
    pub(crate) env: Vec<(String, String)>,
    /// `--sshdelay`.
    pub(crate) ssh_delay: Option<Duration>,
    /// `--filter-hosts`.
    pub(crate) filter_hosts: bool,
    // What fanout shows of its jobs, and how many run.
    /// `-j FILE`: read again when a job ends.
    pub(crate) jobs_file: Option<PathBuf>,
    /// `-t`, `--verbose`: each command on stderr when it starts.
    pub(crate) trace: bool,
    /// `-v`: each command on stdout, before its output.
    pub(crate) verbose: bool,
    /// `--nice N`: the jobs' niceness.
    pub(crate) nice: Option<i32>,
    /// `--retry-failed`: the failed jobs of the job log, its commands.
    pub(crate) retry_failed: bool,
    /// `--bar`, `--eta`, `--progress`: GNU parallel's texts on stderr.
    pub(crate) gnu_progress: Option<crate::bar::Style>,
    /// The words before the first `:::`/`::::`, joined by spaces (GNU
    /// parallel's way); empty: each argument is a command line.
    pub(crate) template: Vec<OsString>,
    /// Empty: stdin.
    pub(crate) sources: Vec<Source>,
    /// `--pipe`: stdin cut into blocks, a block each job's stdin.
    pub(crate) pipe: bool,
    /// How `--pipe` cuts (`--block`, `--recend`, `--recstart`, `-N`).
    pub(crate) blocks: Pipe,
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
            summary: None,
            hosts: Vec::new(),
            ssh: vec!["ssh".to_owned()],
            files: crate::transfer::Options::default(),
            every_host: false,
            nonall: false,
            env_names: Vec::new(),
            env: Vec::new(),
            ssh_delay: None,
            filter_hosts: false,
            jobs_file: None,
            trace: false,
            verbose: false,
            nice: None,
            retry_failed: false,
            gnu_progress: None,
            template: Vec::new(),
            sources: Vec::new(),
            pipe: false,
            blocks: Pipe::default(),
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
    /// `--record-env`: write `~/.parallel/ignored_vars`.
    RecordEnv,
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
        let opt = opt.ok_or_else(|| format!("unknown option: {name} (see fanout --help)"))?;
        if let Some(done) = option(&mut config, opt, &name, &mut parser)? {
            return Ok(done);
        }
    }
    split_rest(&mut config, rest)?;
    crate::remote_cli::finish(&mut config)?;
    pipe_records(&mut config)?;
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
        Key::RecordEnv => return Ok(Some(Parsed::RecordEnv)),
        Key::Version => return Ok(Some(Parsed::Version)),
        Key::Man => return Ok(Some(Parsed::Man)),
        Key::Completions => return shell(name, &text(value()?)?).map(Some),
        Key::Jobs => (config.jobs, config.jobs_file) = jobs(name, &text(value()?)?)?,
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
        Key::Progress => config.gnu_progress = Some(crate::bar::Style::of_option(name)),
        Key::Null => config.null = true,
        Key::ArgFile => config.sources.push(file_source(value()?)),
        Key::LogDir => config.log_dir = Some(value()?.into()),
        Key::Tail => config.tail = number(name, &text(value()?)?, 0)?,
        Key::NoSummary => config.summary = Some(false),
        Key::Profile => drop(value()?), // read before (`profile`)
        Key::Nice => config.nice = Some(niceness(name, &text(value()?)?)?),
        Key::Summary | Key::Habit | Key::Plain | Key::Ungroup | Key::RetryFailed => {
            flag(config, opt.key);
        }
        Key::Trace | Key::Verbose => flag(config, opt.key),
        Key::Sshlogin => config.hosts.extend(logins::parse_logins(&text(value()?)?)?),
        Key::SshloginFile => {
            let path = PathBuf::from(value()?);
            config.hosts.extend(logins::read_login_file(&path)?);
        }
        Key::Ssh => config.ssh = shell::split("--ssh", &text(value()?)?)?,
        Key::Pipe => config.pipe = true,
        Key::Block => config.blocks.block = pipe::size(name, &text(value()?)?)?,
        Key::Recend => config.blocks.recend = value()?.into_vec(),
        Key::Recstart => config.blocks.recstart = value()?.into_vec(),
        key if crate::remote_cli::handles(key) => {
            crate::remote_cli::option(config, key, name, parser)?
        }
        key => crate::args::option(&mut config.args, key, name, parser)?,
    }
    Ok(None)
}

/// The flags of what fanout shows and of GNU parallel's habits.
fn flag(config: &mut Config, key: Key) {
    match key {
        Key::Summary => config.summary = Some(true),
        Key::Ungroup => config.mode = Mode::Lines,
        Key::Trace => config.trace = true,
        Key::Verbose => config.verbose = true,
        Key::RetryFailed => (config.retry_failed, config.resume) = (true, Resume::Failed),
        _ => {} // --will-cite and the like; --plain was read before (`profile`)
    }
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
        return Err("--resume, --resume-failed and --retry-failed need --joblog FILE".into());
    }
    let on_stdout = config.joblog.as_deref() == Some(Path::new(joblog::STDOUT));
    if config.resume != Resume::No && on_stdout {
        return Err(
            "--resume, --resume-failed and --retry-failed need a --joblog FILE, not stdout (-)"
                .into(),
        );
    }
    let stdins = config
        .sources
        .iter()
        .filter(|source| matches!(source, Source::Stdin))
        .count();
    if stdins > 1 {
        return Err("stdin (`-`) can be one input source only".into());
    }
    if config.pipe && config.template.is_empty() {
        return Err("--pipe needs a command to give the blocks to".into());
    }
    if config.pipe && !config.sources.is_empty() {
        return Err("--pipe reads its blocks from stdin: no ::: or :::: source".into());
    }
    crate::args::check(config)
}

/// `-N n` under `--pipe`: n records a job, not n arguments.
fn pipe_records(config: &mut Config) -> Result<(), String> {
    if config.pipe && config.args.exact {
        if config.args.most == Some(0) {
            return Err("-N 0: --pipe needs at least 1 record a job".into());
        }
        config.blocks.records = config.args.most.take();
        (config.args.exact, config.args.context) = (false, false);
    }
    Ok(())
}

/// `--nice N`: -20 to 19.
fn niceness(option: &str, value: &str) -> Result<i32, String> {
    match value.parse::<i32>() {
        Ok(n) if (-20..=19).contains(&n) => Ok(n),
        _ => Err(format!(
            "{option} needs a niceness from -20 to 19, not {value:?}"
        )),
    }
}

/// `-j`: the job slots, and the file to read them from again (`-j FILE`).
fn jobs(option: &str, value: &str) -> Result<(usize, Option<PathBuf>), String> {
    match crate::jobs::parse(option, value, cpus())? {
        crate::jobs::Jobs::Count(n) => Ok((n, None)),
        crate::jobs::Jobs::File(path) => {
            let n = crate::jobs::JobsFile::new(path.clone()).changed();
            let n =
                n.ok_or_else(|| format!("{option} {value}: the file holds no N, N%, +N, -N or 0"))?;
            Ok((n, Some(path)))
        }
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
            &["-j", "zero", "true"][..],
            &["--timeout", "soon"],
            &["--resume", "true"],
            &["--resume", "--joblog", "-", "true"],
            &["--bogus"],
            &["--halt", "sometime"],
            &["--completions", "fish"],
            &["--pipe", "--block", "-1M", "wc"],
            &["--pipe", "-N", "0", "wc"],
            &["--pipe", "wc", ":::", "a"],
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
                // `--joblog`, which `--resume` needs; `-S`, which `--onall` needs.
                let mut args: Vec<String> = ["--joblog", "log", "-S", ":"].map(String::from).into();
                args.push(name.clone());
                args.extend(opt.value.name().map(|_| sample(opt.key).to_owned()));
                args.push("true".to_owned());
                // `--nonall` runs the command alone and `--pipe` reads
                // stdin: they take no `:::`.
                if opt.key != Key::Nonall && opt.key != Key::Pipe {
                    args.extend([":::".to_owned(), "a".to_owned()]);
                }
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
