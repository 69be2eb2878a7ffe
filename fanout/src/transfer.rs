//! `--transferfile`, `--return`, `--cleanup`, `--basefile`, `--workdir`:
//! files to and from the hosts, as GNU parallel moves them. A remote job
//! with files is a local `sh -c SCRIPT` that, in order: copies each file
//! to the host (`rsync -R` over the shared connection), runs the job
//! (`ssh HOST LINE`, its stdin held open as any remote job's), copies the
//! `--return` files back, and with `--cleanup` removes them all from the
//! host. A file that cannot be sent fails the job before it runs, with a
//! message naming the host and the file; one that cannot be brought back
//! fails it after.
//!
//! Paths as GNU parallel's: relative ones are kept under the work
//! directory (the login directory by default), an absolute one stays
//! where it is, and `/./` anchors what follows it to the work directory.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::remote::{remote_line, Ssh};
use crate::shell::quote;
use crate::template::{Job, Template};

/// What the command line asked for, before the templates are parsed.
#[derive(Debug, Default)]
pub(crate) struct Options {
    /// `--transferfile`, `--transfer` (`{}`), `--trc`.
    pub(crate) transfer: Vec<OsString>,
    /// `--return`, `--trc`.
    pub(crate) returns: Vec<OsString>,
    pub(crate) cleanup: bool,
    pub(crate) basefiles: Vec<PathBuf>,
    pub(crate) workdir: Option<OsString>,
}

/// `--workdir`, resolved.
#[derive(Debug)]
enum Workdir {
    /// The login directory (no `--workdir`).
    Login,
    /// `...`: `~/.parallel/tmp/fanout-HOST-PID-SEQ`, one per job.
    Unique(String),
    /// A directory (`.` made relative to the home directory when under
    /// it), replacement strings allowed.
    Dir(Template),
}

/// How the jobs' files move, parsed once.
#[derive(Debug)]
pub(crate) struct Files {
    transfer: Vec<Template>,
    returns: Vec<Template>,
    cleanup: bool,
    workdir: Workdir,
    basefiles: Vec<PathBuf>,
    /// rsync's options: `$PARALLEL_RSYNC_OPTS`, else GNU parallel's.
    rsync: Vec<String>,
    /// The hosts the basefiles could not be sent to, and why.
    broken: Vec<(String, String)>,
}

/// Where a file lies on the host: under the work directory or from `/`,
/// and its path from there.
struct Remote {
    from_root: bool,
    path: Vec<u8>,
}

impl Files {
    /// The files' plan, or `None` when no option asks for any.
    pub(crate) fn new(options: &Options, syntax: &crate::template::Syntax) -> Option<Files> {
        let none = options.transfer.is_empty()
            && options.returns.is_empty()
            && options.basefiles.is_empty()
            && options.workdir.is_none();
        if none {
            return None;
        }
        let parse = |text: &OsString| Template::parse_with(text, syntax);
        let workdir = match options.workdir.as_deref().map(OsStr::as_bytes) {
            None => Workdir::Login,
            Some(b"...") => Workdir::Unique(unique_prefix()),
            Some(b".") => Workdir::Dir(parse(&here())),
            Some(_) => Workdir::Dir(parse(options.workdir.as_ref().unwrap())),
        };
        let rsync = std::env::var("PARALLEL_RSYNC_OPTS").unwrap_or_else(|_| "-rlDzR".to_owned());
        Some(Files {
            transfer: options.transfer.iter().map(parse).collect(),
            returns: options.returns.iter().map(parse).collect(),
            cleanup: options.cleanup,
            workdir,
            basefiles: options.basefiles.clone(),
            rsync: rsync.split_whitespace().map(str::to_owned).collect(),
            broken: Vec::new(),
        })
    }

    /// The local command that runs the job `command` on `host` with its
    /// files ([`Files::script`]), or fails it at once when the host's
    /// basefiles could not be sent.
    pub(crate) fn command(
        &self,
        ssh: &Ssh,
        host: &str,
        job: Job<'_>,
        command: &OsStr,
        env: &[(&str, String)],
    ) -> Command {
        let script = match self.broken.iter().find(|(name, _)| name == host) {
            Some((_, message)) => {
                let mut script = b"printf '%s\\n' ".to_vec();
                script.extend(quote(message.as_bytes()));
                script.extend_from_slice(b" >&2; exit 255");
                script
            }
            None => {
                let dir = self.workdir(job);
                let line = remote_line(command, env, dir.as_deref());
                let (words, target) = ssh.for_host(host);
                self.script(&words, &target, job, &line)
            }
        };
        let mut sh = Command::new("sh");
        sh.arg("-c").arg(OsStr::from_bytes(&script));
        sh
    }

    /// `--basefile`: sends them to every host of `ssh`, one after the
    /// other, before the first job; a host they could not reach fails its
    /// jobs. With `--cleanup`, they are removed when the connections
    /// close.
    pub(crate) fn send_basefiles(&mut self, ssh: &mut Ssh) {
        for host in ssh.hosts() {
            let (words, target) = ssh.for_host(host);
            let Some(script) = self.basefiles(&words, &target) else {
                return;
            };
            let sent = Command::new("sh")
                .arg("-c")
                .arg(OsStr::from_bytes(&script))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .output();
            let failed = match sent {
                Ok(output) if output.status.success() => None,
                Ok(output) => Some(String::from_utf8_lossy(&output.stderr).trim().to_owned()),
                Err(err) => Some(format!("fanout: {host}: cannot transfer basefiles: {err}")),
            };
            if let Some(message) = failed {
                self.broken.push((host.clone(), message));
            }
        }
        ssh.at_exit.extend(self.basefiles_removal());
    }

    /// The job's work directory on the host; `None`: the login directory.
    pub(crate) fn workdir(&self, job: Job<'_>) -> Option<Vec<u8>> {
        match &self.workdir {
            Workdir::Login => None,
            Workdir::Unique(prefix) => Some(format!("{prefix}-{}", job.seq).into_bytes()),
            Workdir::Dir(template) => Some(template.expand(job, false).into_vec()),
        }
    }

    /// The local script that sends the job's files to `host`, runs `line`
    /// there through `ssh` (the ssh command's words, sharing options
    /// included), brings the `--return` files back and cleans up; it
    /// exits with the job's status, or 255 when a file did not move.
    pub(crate) fn script(&self, ssh: &[String], host: &str, job: Job<'_>, line: &[u8]) -> Vec<u8> {
        let dir = self.workdir(job).unwrap_or_else(|| b".".to_vec());
        let mut script = b"s=0; ".to_vec();
        for file in self.files(&self.transfer, job) {
            script.extend(self.send(ssh, host, &dir, &file, "cannot transfer"));
        }
        script.extend(words(ssh));
        script.extend_from_slice(b" -- ");
        script.extend(quote(host.as_bytes()));
        script.push(b' ');
        script.extend(quote(line));
        script.extend_from_slice(b" || s=$?; ");
        for file in self.files(&self.returns, job) {
            script.extend(self.fetch(ssh, host, &dir, &file));
        }
        if self.cleanup {
            let mut gone = self.files(&self.transfer, job);
            gone.extend(self.files(&self.returns, job));
            script.extend(words(ssh));
            script.extend_from_slice(b" -- ");
            script.extend(quote(host.as_bytes()));
            script.push(b' ');
            script.extend(quote(&remote_sh(&self.removal(&dir, &gone))));
            script.extend_from_slice(b" </dev/null >/dev/null 2>&1; ");
        }
        script.extend_from_slice(b"exit $s");
        script
    }

    /// The names `templates` give for `job`.
    fn files(&self, templates: &[Template], job: Job<'_>) -> Vec<Vec<u8>> {
        templates
            .iter()
            .map(|t| t.expand(job, false).into_vec())
            .filter(|name| !name.is_empty())
            .collect()
    }

    /// `rsync` with its options and the shared connection (`-e`).
    fn rsync(&self, ssh: &[String]) -> Vec<u8> {
        let mut line = b"rsync".to_vec();
        for option in &self.rsync {
            line.push(b' ');
            line.extend(quote(option.as_bytes()));
        }
        // -s: the remote names go through rsync's protocol, not a shell.
        line.extend_from_slice(b" -s -e ");
        line.extend(quote(&rsync_shell(ssh)));
        line
    }

    /// Copies `file` to `host` (under `dir` unless absolute), made there
    /// first; on failure, a message naming both and exit 255.
    fn send(&self, ssh: &[String], host: &str, dir: &[u8], file: &[u8], what: &str) -> Vec<u8> {
        let remote = remote_path(file);
        let mut line = self.rsync(ssh);
        let mut make = b"mkdir -p -- ".to_vec();
        make.extend(quote(dir));
        make.extend_from_slice(b" && rsync");
        line.extend_from_slice(b" --rsync-path=");
        line.extend(quote(&make));
        line.extend_from_slice(b" -- ");
        line.extend(quote(&local_source(file)));
        line.push(b' ');
        let mut target = format!("{host}:").into_bytes();
        target.extend_from_slice(if remote.from_root { b"/" } else { dir });
        line.extend(quote(&target));
        line.extend_from_slice(b" </dev/null || { ");
        line.extend(complaint(host, what, file));
        line.extend_from_slice(b" exit 255; }; ");
        line
    }

    /// Copies `file` back from `host`, as `--return` places it; on
    /// failure, a message and a status of 255 if the job had succeeded.
    fn fetch(&self, ssh: &[String], host: &str, dir: &[u8], file: &[u8]) -> Vec<u8> {
        let (local_dir, remote) = match find(file, b"/./") {
            Some(at) if at > 0 => (file[..at].to_vec(), remote_path(&file[at + 1..])),
            _ if file.starts_with(b"/") => (b"/".to_vec(), remote_path(file)),
            _ => (b".".to_vec(), remote_path(file)),
        };
        let mut source = format!("{host}:").into_bytes();
        if remote.from_root {
            source.extend_from_slice(b"/.");
        } else {
            source.extend_from_slice(dir);
            source.extend_from_slice(b"/./");
        }
        source.extend_from_slice(&remote.path);
        let mut line = b"mkdir -p -- ".to_vec();
        line.extend(quote(&local_dir));
        line.extend_from_slice(b" && ");
        line.extend(self.rsync(ssh));
        line.extend_from_slice(b" -- ");
        line.extend(quote(&source));
        line.push(b' ');
        line.extend(quote(&local_dir));
        line.extend_from_slice(b" </dev/null || { ");
        line.extend(complaint(host, "cannot return", file));
        line.extend_from_slice(b" [ $s -ne 0 ] || s=255; }; ");
        line
    }

    /// The host's script that removes `files` (and a `...` directory).
    fn removal(&self, dir: &[u8], files: &[Vec<u8>]) -> Vec<u8> {
        let mut script = b"rm -f --".to_vec();
        for file in files {
            let remote = remote_path(file);
            let mut path = Vec::new();
            if !remote.from_root {
                path.extend_from_slice(dir);
            }
            path.push(b'/');
            path.extend_from_slice(&remote.path);
            script.push(b' ');
            script.extend(quote(&path));
        }
        if let Workdir::Unique(_) = self.workdir {
            script.extend_from_slice(b"; rm -rf -- ");
            script.extend(quote(dir));
            script.extend_from_slice(b"; rmdir .parallel/tmp .parallel");
        }
        script
    }

    /// `--basefile`: the script that sends them, run once per host before
    /// its first job; `None` without any.
    fn basefiles(&self, ssh: &[String], host: &str) -> Option<Vec<u8>> {
        if self.basefiles.is_empty() {
            return None;
        }
        let dir = self.fixed_dir();
        let mut script = Vec::new();
        for file in &self.basefiles {
            let name = file.as_os_str().as_bytes();
            script.extend(self.send(ssh, host, &dir, name, "cannot transfer basefile"));
        }
        script.extend_from_slice(b"exit 0");
        Some(script)
    }

    /// With `--cleanup`, the host's script that removes the basefiles.
    fn basefiles_removal(&self) -> Option<Vec<u8>> {
        if !self.cleanup || self.basefiles.is_empty() {
            return None;
        }
        let names: Vec<Vec<u8>> = self
            .basefiles
            .iter()
            .map(|f| f.as_os_str().as_bytes().to_vec())
            .collect();
        let dir = self.fixed_dir();
        let mut script = b"rm -f --".to_vec();
        for name in names {
            let remote = remote_path(&name);
            let mut path = if remote.from_root {
                Vec::new()
            } else {
                dir.clone()
            };
            path.push(b'/');
            path.extend_from_slice(&remote.path);
            script.push(b' ');
            script.extend(quote(&path));
        }
        Some(remote_sh(&script))
    }

    /// The work directory the basefiles go to: `--workdir` when it names
    /// one directory for all jobs, else the login directory.
    fn fixed_dir(&self) -> Vec<u8> {
        match &self.workdir {
            Workdir::Dir(template) => {
                let job = Job {
                    args: &[],
                    seq: 0,
                    slot: 0,
                };
                template.expand(job, false).into_vec()
            }
            _ => b".".to_vec(),
        }
    }
}

/// Where `file` goes on the host: after its first `/./` under the work
/// directory; absolute, from `/`; else under the work directory.
fn remote_path(file: &[u8]) -> Remote {
    if let Some(at) = find(file, b"/./") {
        return Remote {
            from_root: false,
            path: strip_dots(&file[at + 3..]).to_vec(),
        };
    }
    match file.strip_prefix(b"/") {
        Some(rest) => Remote {
            from_root: true,
            path: rest.to_vec(),
        },
        None => Remote {
            from_root: false,
            path: strip_dots(file).to_vec(),
        },
    }
}

/// `file` without leading `./`s.
fn strip_dots(mut file: &[u8]) -> &[u8] {
    while let Some(rest) = file.strip_prefix(b"./") {
        file = rest;
    }
    file
}

/// The local name rsync is given: a relative one starts with `./`, so
/// that a `:` in it does not read as a host.
fn local_source(file: &[u8]) -> Vec<u8> {
    if file.starts_with(b"/") || file.starts_with(b"./") {
        return file.to_vec();
    }
    let mut source = b"./".to_vec();
    source.extend_from_slice(file);
    source
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `printf` of `fanout: HOST: WHAT FILE` on stderr.
fn complaint(host: &str, what: &str, file: &[u8]) -> Vec<u8> {
    let mut line = b"printf 'fanout: %s: %s %s\\n' ".to_vec();
    line.extend(quote(host.as_bytes()));
    line.push(b' ');
    line.extend(quote(what.as_bytes()));
    line.push(b' ');
    line.extend(quote(file));
    line.extend_from_slice(b" >&2;");
    line
}

/// The ssh command's words as a shell line.
fn words(ssh: &[String]) -> Vec<u8> {
    let mut line = Vec::new();
    for (i, word) in ssh.iter().enumerate() {
        if i > 0 {
            line.push(b' ');
        }
        line.extend(quote(word.as_bytes()));
    }
    line
}

/// The ssh command's words as rsync's `-e` reads them: single quotes, or
/// double ones around a word with a single quote.
fn rsync_shell(ssh: &[String]) -> Vec<u8> {
    let mut line = Vec::new();
    for (i, word) in ssh.iter().enumerate() {
        if i > 0 {
            line.push(b' ');
        }
        let mark = if word.contains('\'') { '"' } else { '\'' };
        line.extend(format!("{mark}{word}{mark}").into_bytes());
    }
    line
}

/// What ssh gives the host's login shell to run `script` with `sh`.
pub(crate) fn remote_sh(script: &[u8]) -> Vec<u8> {
    let mut line = b"exec sh -c ".to_vec();
    line.extend(quote(script));
    line
}

/// `--workdir .`: the current directory, relative to the home directory
/// when under it (as GNU parallel).
fn here() -> OsString {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let home = std::env::var_os("HOME").map(PathBuf::from);
    match home.as_deref().and_then(|home| cwd.strip_prefix(home).ok()) {
        Some(rel) if rel.as_os_str().is_empty() => OsString::from("."),
        Some(rel) => rel.as_os_str().to_owned(),
        None => cwd.into_os_string(),
    }
}

/// `...`: `.parallel/tmp/fanout-HOST-PID`, a job's number appended.
fn unique_prefix() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let name: String = name
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    format!(".parallel/tmp/fanout-{name}-{}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_on_the_host_as_gnu_parallel() {
        let at = |file: &str| {
            let remote = remote_path(file.as_bytes());
            (remote.from_root, String::from_utf8(remote.path).unwrap())
        };
        assert_eq!(at("/tmp/foo/bar"), (true, "tmp/foo/bar".into()));
        assert_eq!(at("tmp/foo/bar"), (false, "tmp/foo/bar".into()));
        assert_eq!(at("/tmp/./foo/bar"), (false, "foo/bar".into()));
        assert_eq!(at("tmp/./foo/bar"), (false, "foo/bar".into()));
        assert_eq!(at("./a b"), (false, "a b".into()));
        assert_eq!(local_source(b"a:b"), b"./a:b");
    }
}
