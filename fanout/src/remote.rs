//! `-S/--sshlogin`, `--sshlogin-file`, `--ssh`: where jobs run. Each host
//! has job slots; a remote job is `ssh … HOST exec sh -c SCRIPT` over one
//! shared connection per host (OpenSSH's `ControlMaster`, sockets in a
//! private directory made at start and removed at exit).
//!
//! ssh does not pass signals on, so the remote script runs the command in
//! the background and watches its own stdin: fanout keeps the job's stdin
//! open (a source that never has data) until the job ends; when ssh goes
//! away (a timeout or Ctrl-C stops its process group), the session closes,
//! the watcher's `cat` reads end of file and sends `SIGTERM` to its whole
//! process group: sshd starts each session in a session (and process
//! group) of its own, so that is the command and everything it started,
//! wherever in the tree, and nothing else.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use procpump::{Fill, Source};

/// Where jobs may run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Host {
    /// `None`: this machine (`:`).
    pub(crate) name: Option<String>,
    /// `None`: as many as `-j`.
    pub(crate) slots: Option<usize>,
}

impl Host {
    /// What the job log's Host column and the summary show.
    pub(crate) fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(":")
    }
}

/// Parses one `-S` value: comma-separated `[N/]HOST` or `:`.
///
/// # Errors
///
/// An empty host or a bad number of slots.
pub(crate) fn parse_logins(value: &str) -> Result<Vec<Host>, String> {
    let mut hosts = Vec::new();
    for spec in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (slots, name) = match spec.split_once('/') {
            Some((n, name)) => {
                let n = crate::cli::number("-S", n, 1)?;
                (Some(n), name.trim())
            }
            None => (None, spec),
        };
        if name.is_empty() {
            return Err(format!("-S: no host in {spec:?}"));
        }
        let name = (name != ":").then(|| name.to_owned());
        hosts.push(Host { name, slots });
    }
    Ok(hosts)
}

/// `--sshlogin-file FILE`: one `-S` value a line (`#` starts a comment).
///
/// # Errors
///
/// The file cannot be read, or a line does not parse.
pub(crate) fn read_login_file(path: &Path) -> Result<Vec<Host>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--sshlogin-file {}: {e}", path.display()))?;
    let mut hosts = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        hosts.extend(parse_logins(line)?);
    }
    Ok(hosts)
}

/// Splits `--ssh CMD` into words: on whitespace, with `'…'`, `"…"` and
/// `\` quoting as a shell reads them (no expansions).
///
/// # Errors
///
/// An unclosed quote, or no words.
pub(crate) fn split_command(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => words.extend(word.take()),
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err(format!("--ssh: unclosed ' in {line:?}")),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => w.extend(chars.next()),
                        Some(c) => w.push(c),
                        None => return Err(format!("--ssh: unclosed \" in {line:?}")),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    if words.is_empty() {
        return Err("--ssh needs a command".into());
    }
    Ok(words)
}

/// `word` quoted for a POSIX shell: `'…'`, each `'` as `'\''`.
pub(crate) fn quote(word: &[u8]) -> Vec<u8> {
    let mut quoted = vec![b'\''];
    for &byte in word {
        if byte == b'\'' {
            quoted.extend_from_slice(b"'\\''");
        } else {
            quoted.push(byte);
        }
    }
    quoted.push(b'\'');
    quoted
}

/// The shared connections: the ssh command and the private directory of
/// control sockets.
#[derive(Debug)]
pub(crate) struct Ssh {
    command: Vec<String>,
    dir: PathBuf,
    /// The remote hosts a master was asked for.
    hosts: Vec<String>,
}

impl Ssh {
    /// Makes the control directory (mode 0700) and opens a shared
    /// connection to each remote host (`ssh -o ControlMaster=yes -N -f`),
    /// so that jobs started together ride on one connection. A host that
    /// cannot be reached is left for its jobs to fail on.
    ///
    /// # Errors
    ///
    /// The directory cannot be made.
    pub(crate) fn start(command: Vec<String>, hosts: &[Host]) -> io::Result<Ssh> {
        let dir = std::env::temp_dir().join(format!(
            "fanout-ssh-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        ));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
        let mut names: Vec<String> = Vec::new();
        for name in hosts.iter().filter_map(|h| h.name.clone()) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        let ssh = Ssh {
            command,
            dir,
            hosts: names,
        };
        for host in &ssh.hosts {
            let _ = ssh
                .base()
                .args(["-o", "ControlMaster=yes", "-N", "-f", "--", host])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        Ok(ssh)
    }

    /// The ssh command with the sharing options.
    fn base(&self) -> Command {
        let mut ssh = Command::new(&self.command[0]);
        ssh.args(&self.command[1..])
            .arg("-o")
            .arg("ControlMaster=auto")
            .arg("-o")
            .arg(format!("ControlPath={}/%C", self.dir.display()))
            .args(["-o", "ControlPersist=60"]);
        ssh
    }

    /// The command that runs `command` (a shell command line) on `host`,
    /// with `env` set there; its stdin must stay open until it ends
    /// ([`OpenStdin`]).
    pub(crate) fn job(&self, host: &str, command: &OsStr, env: &[(&str, String)]) -> Command {
        let mut inner = Vec::new();
        for (name, value) in env {
            inner.extend_from_slice(format!("export {name}={value}; ").as_bytes());
        }
        inner.extend_from_slice(b"exec sh -c ");
        inner.extend_from_slice(&quote(command.as_bytes()));
        // An asynchronous list reads /dev/null: the watcher gets the
        // session's stdin through fd 3.
        let mut script = b"exec 3<&0; sh -c ".to_vec();
        script.extend_from_slice(&quote(&inner));
        script.extend_from_slice(
            b" & pid=$!; { cat >/dev/null; kill -TERM 0; } <&3 >/dev/null 2>&1 & \
              exec 3<&-; wait $pid",
        );
        let mut remote = b"exec sh -c ".to_vec();
        remote.extend_from_slice(&quote(&script));
        let mut ssh = self.base();
        ssh.arg("--").arg(host).arg(OsString::from_vec(remote));
        ssh
    }
}

impl Drop for Ssh {
    /// Closes the shared connections and removes the directory.
    fn drop(&mut self) {
        for host in &self.hosts {
            let _ = self
                .base()
                .args(["-O", "exit", "--", host])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A remote job's stdin: never any data, never the end; the pipe closes
/// when the job (ssh) exits.
pub(crate) struct OpenStdin;

impl Source for OpenStdin {
    fn fill(&mut self, _buf: &mut [u8]) -> io::Result<Fill> {
        Ok(Fill::Pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_as_gnu_parallel() {
        let hosts = parse_logins("2/a, b,:").unwrap();
        assert_eq!(hosts.len(), 3);
        assert_eq!(
            (hosts[0].name.as_deref(), hosts[0].slots),
            (Some("a"), Some(2))
        );
        assert_eq!(
            (hosts[1].name.as_deref(), hosts[1].slots),
            (Some("b"), None)
        );
        assert_eq!((hosts[2].label(), hosts[2].slots), (":", None));
        assert!(parse_logins("0/a").is_err());
        assert!(parse_logins("2/").is_err());
    }

    #[test]
    fn ssh_command_words() {
        assert_eq!(
            split_command("ssh -F '/a b/c' -o \"X=1\"").unwrap(),
            ["ssh", "-F", "/a b/c", "-o", "X=1"]
        );
        assert!(split_command("  ").is_err());
    }
}
