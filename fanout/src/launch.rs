//! One job made ready to run: its command line and tag after substitution,
//! and its streams, each through a [`Tee`] of the display sink, the byte
//! counter, the files of `--results` and `--log-dir`, and on stderr the
//! tail for the summary.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use procpump::Job;
use procpump_adapters::{FileSink, Tail, Tee};

use crate::cli::{Config, Tag};
use crate::console::{Console, Counter};
use crate::hold::Held;
use crate::remote::OpenStdin;
use crate::template::{self, Template};

/// How every job is made: the template, the tag, and where output goes.
pub(crate) struct Launcher {
    /// `None`: each argument is a command line.
    template: Option<Template>,
    tagstring: Option<Template>,
    /// `-q`: the template's words quoted whole.
    quoted: Option<crate::args::quote::QuotedTemplate>,
    /// Live line mode: the tagged writers on stdout and stderr.
    pub(crate) lines: Option<(
        procpump_adapters::Tagged<Console>,
        procpump_adapters::Tagged<Console>,
    )>,
    /// `--group`, `-k`, `--retries`: held output.
    pub(crate) held: Option<Held>,
    pub(crate) bytes: Arc<std::sync::atomic::AtomicU64>,
    /// `--transferfile`, `--return`, `--workdir`…: files to and from the
    /// hosts.
    pub(crate) files: Option<crate::transfer::Files>,
    /// `--env`: the variables and functions remote jobs get.
    env: Vec<(String, String)>,
    /// How a local job's command starts: directly, or through `sh -c`.
    direct: crate::direct::Direct,
}

/// One job's identity.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slot<'a> {
    pub(crate) seq: u64,
    pub(crate) slot: usize,
    pub(crate) args: &'a [OsString],
    /// Where it runs: the host as given, `:` here.
    pub(crate) host: &'a str,
}

impl Launcher {
    pub(crate) fn new(config: &Config, sources: usize, out: &Console, err: &Console) -> Launcher {
        let syntax = config.args.syntax(sources, !config.nonall && !config.pipe);
        let template = (!config.template.is_empty())
            .then(|| Template::parse_with(&join(&config.template), &syntax));
        let tagstring = match &config.tag {
            Tag::String(text) => Some(Template::parse_with(
                text,
                &crate::template::Syntax {
                    append: false,
                    context: false,
                    ..syntax.clone()
                },
            )),
            _ => None,
        };
        let hold =
            config.mode == crate::cli::Mode::Group || config.keep_order || config.retries > 1;
        let live = config.retries <= 1;
        let lines = config.mode == crate::cli::Mode::Lines;
        let held = hold.then(|| Held::new(out, err, config.keep_order, lines, live));
        let held = held.map(|held| match config.pipe {
            true => held.keep_last_lines(),
            false => held,
        });
        let lines = (!hold).then(|| {
            (
                procpump_adapters::Tagged::writer(out.clone()),
                procpump_adapters::Tagged::writer(err.clone()),
            )
        });
        let quoted = (config.args.quote && !config.template.is_empty())
            .then(|| crate::args::quote::QuotedTemplate::parse(&config.template, &syntax));
        Launcher {
            template,
            tagstring,
            quoted,
            lines,
            held,
            bytes: Arc::default(),
            files: crate::transfer::Files::new(&config.files, &config.args.syntax(sources, false)),
            env: config.env.clone(),
            direct: crate::direct::Direct::new(&config.template),
        }
    }

    /// The command line of a job: the template expanded (arguments
    /// quoted), or the arguments themselves joined by spaces.
    pub(crate) fn command(&self, job: Slot<'_>) -> OsString {
        if let Some(quoted) = &self.quoted {
            return quoted.expand(expansion(job));
        }
        match &self.template {
            Some(template) => template.expand(expansion(job), true),
            None => join(job.args),
        }
    }

    /// The prefix of a job's lines.
    pub(crate) fn tag(&self, config: &Config, job: Slot<'_>) -> Vec<u8> {
        let mut tag = match (&config.tag, &self.tagstring) {
            (Tag::None, _) => return Vec::new(),
            (Tag::Seq, _) => return format!("[{}] ", job.seq).into_bytes(),
            // `--onall`, `--nonall`: `--tag` names the host, as GNU parallel.
            (Tag::Args, _) if config.every_host => job.host.as_bytes().to_vec(),
            (Tag::String(_), Some(template)) => template.expand(expansion(job), false).into_vec(),
            _ => join(job.args).into_vec(),
        };
        tag.push(b'\t');
        tag
    }

    /// The job for `command`, in its own process group: its program
    /// exec'd directly when the line needs no shell
    /// ([`crate::direct`]), else `sh -c COMMAND` (`exec` in front of a
    /// lone simple command); its streams through [`Tee`]s.
    ///
    /// # Errors
    ///
    /// A file of `--results` or `--log-dir` cannot be made.
    pub(crate) fn job(
        &self,
        config: &Config,
        job: Slot<'_>,
        command: &OsString,
        remote: Option<(&crate::remote::Ssh, &str)>,
    ) -> io::Result<Job> {
        let (stdout, stderr) = self.streams(config, job, command)?;
        let mut env = vec![
            ("PARALLEL_SEQ", job.seq.to_string()),
            ("PARALLEL_JOBSLOT", job.slot.to_string()),
            ("FANOUT_INDEX", job.seq.to_string()),
        ];
        if remote.is_some() {
            env.extend(self.env.iter().map(|(n, v)| (n.as_str(), v.clone())));
        }
        let mut built = match remote {
            Some((ssh, host)) => Job::new(match &self.files {
                Some(files) => files.command(ssh, host, expansion(job), command, &env),
                None => ssh.job(host, command, &env),
            })
            .stdin(procpump::Input::source(OpenStdin)),
            None => {
                let mut local = self.direct.command(command);
                if let Some(nice) = config.nice {
                    local = niced(&local, nice);
                }
                local.stdin(Stdio::null()).envs(env);
                Job::new(local)
            }
        };
        built = built
            .stdout(stdout)
            .stderr(stderr)
            .process_group(true)
            .grace(config.grace);
        if let Some(timeout) = config.timeout {
            built = built.timeout(timeout);
        }
        Ok(built)
    }

    /// A job's stdout and stderr sinks: the display (held or in lines),
    /// the byte counter, the files of `--results` and `--log-dir`, and on
    /// stderr the tail for the summary.
    ///
    /// # Errors
    ///
    /// A file of `--results` or `--log-dir` cannot be made.
    fn streams(&self, config: &Config, job: Slot<'_>, command: &OsStr) -> io::Result<(Tee, Tee)> {
        let tag = self.tag(config, job);
        let mut stdout = Tee::new();
        let mut stderr = Tee::new();
        if config.tail > 0 {
            stderr.push(Tail::new(config.tail));
        }
        // With `--results` too, the output is printed as usual.
        match (&self.held, &self.lines) {
            (Some(held), _) => {
                let (mut out, err) = held.start(job.seq, &tag);
                verbose(config, &mut out, command);
                stdout.push(out);
                stderr.push(err);
            }
            (None, Some((out, err))) => {
                let mut out = out.sink(tag.clone());
                verbose(config, &mut out, command);
                stdout.push(out);
                stderr.push(err.sink(tag));
            }
            (None, None) => unreachable!("output is held or in lines"),
        }
        stdout.push(Counter(Arc::clone(&self.bytes)));
        stderr.push(Counter(Arc::clone(&self.bytes)));
        if let Some(dir) = &config.results {
            let dir = results_dir(dir, job.args);
            std::fs::create_dir_all(&dir).map_err(|e| named(e, &dir))?;
            let seq = dir.join("seq");
            std::fs::write(&seq, job.seq.to_string()).map_err(|e| named(e, &seq))?;
            stdout.push(FileSink::create(dir.join("stdout"))?);
            stderr.push(FileSink::create(dir.join("stderr"))?);
        }
        if let Some(dir) = &config.log_dir {
            stdout.push(FileSink::create(dir.join(format!("{}.out", job.seq)))?);
            stderr.push(FileSink::create(dir.join(format!("{}.err", job.seq)))?);
        }
        Ok((stdout, stderr))
    }
}

/// `-v`: the command, a line, first in the job's displayed stdout (so
/// tagged, held and ordered with its output, as GNU parallel's).
fn verbose(config: &Config, out: &mut impl procpump::Sink, command: &OsStr) {
    if config.verbose {
        let mut line = command.as_bytes().to_vec();
        line.push(b'\n');
        let _ = out.chunk(&line);
    }
}

fn expansion(job: Slot<'_>) -> template::Job<'_> {
    template::Job {
        args: job.args,
        seq: job.seq,
        slot: job.slot,
    }
}

/// Words joined by spaces, as they are.
pub(crate) fn join(words: &[OsString]) -> OsString {
    let mut joined = Vec::new();
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            joined.push(b' ');
        }
        joined.extend_from_slice(word.as_bytes());
    }
    OsString::from_vec(joined)
}

/// `--results DIR`: `DIR/1/ARG1/2/ARG2/…`, GNU parallel's layout (a `/`
/// in an argument becomes `\_`, a `\` becomes `\\`; an empty argument,
/// `.` and `..`, which GNU parallel lets collide with other paths, get a
/// `\` in front).
pub(crate) fn results_dir(dir: &Path, args: &[OsString]) -> PathBuf {
    let mut path = dir.to_path_buf();
    for (n, arg) in args.iter().enumerate() {
        path.push((n + 1).to_string());
        let mut name = Vec::new();
        if matches!(arg.as_bytes(), b"" | b"." | b"..") {
            name.push(b'\\');
        }
        for &byte in arg.as_bytes() {
            match byte {
                b'/' => name.extend_from_slice(b"\\_"),
                b'\\' => name.extend_from_slice(b"\\\\"),
                byte => name.push(byte),
            }
        }
        path.push(OsString::from_vec(name));
    }
    path
}

fn named(err: io::Error, path: &Path) -> io::Error {
    io::Error::new(err.kind(), format!("{}: {err}", path.display()))
}

/// `command` run by `nice -n NICE` (`--nice`): the same program, arguments
/// and environment.
fn niced(command: &Command, nice: i32) -> Command {
    let mut niced = Command::new("nice");
    niced
        .arg("-n")
        .arg(nice.to_string())
        .arg(command.get_program())
        .args(command.get_args());
    for (name, value) in command.get_envs() {
        match value {
            Some(value) => niced.env(name, value),
            None => niced.env_remove(name),
        };
    }
    niced
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_paths_as_gnu_parallel() {
        let args = ["a", "b/c d", "x\\y"].map(OsString::from);
        assert_eq!(
            results_dir(Path::new("res"), &args),
            Path::new("res/1/a/2/b\\_c d/3/x\\\\y")
        );
    }
}
