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
}

/// One job's identity.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slot<'a> {
    pub(crate) seq: u64,
    pub(crate) slot: usize,
    pub(crate) args: &'a [OsString],
}

impl Launcher {
    pub(crate) fn new(config: &Config, sources: usize, out: &Console, err: &Console) -> Launcher {
        let syntax = config.args.syntax(sources, true);
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
            (Tag::String(_), Some(template)) => template.expand(expansion(job), false).into_vec(),
            _ => join(job.args).into_vec(),
        };
        tag.push(b'\t');
        tag
    }

    /// The job for `command`: `sh -c COMMAND` in its own process group
    /// (`exec` in front of a lone simple command), its streams through
    /// [`Tee`]s.
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
        let (stdout, stderr) = self.streams(config, job)?;
        let env = [
            ("PARALLEL_SEQ", job.seq.to_string()),
            ("PARALLEL_JOBSLOT", job.slot.to_string()),
            ("FANOUT_INDEX", job.seq.to_string()),
        ];
        let mut built = match remote {
            Some((ssh, host)) => {
                Job::new(ssh.job(host, command, &env)).stdin(procpump::Input::source(OpenStdin))
            }
            None => {
                let mut sh = Command::new("sh");
                let line = crate::shell::exec_simple(command.as_bytes());
                sh.arg("-c")
                    .arg(OsStr::from_bytes(&line))
                    .stdin(Stdio::null());
                sh.envs(env);
                Job::new(sh)
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
    fn streams(&self, config: &Config, job: Slot<'_>) -> io::Result<(Tee, Tee)> {
        let tag = self.tag(config, job);
        let mut stdout = Tee::new();
        let mut stderr = Tee::new();
        if config.tail > 0 {
            stderr.push(Tail::new(config.tail));
        }
        // With `--results` too, the output is printed as usual.
        match (&self.held, &self.lines) {
            (Some(held), _) => {
                let (out, err) = held.start(job.seq, &tag);
                stdout.push(out);
                stderr.push(err);
            }
            (None, Some((out, err))) => {
                stdout.push(out.sink(tag.clone()));
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
