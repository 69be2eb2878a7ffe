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
use std::path::PathBuf;
use std::process::{Command, Stdio};

use procpump::{Fill, Source};

use crate::logins::Host;
use crate::shell::{exec_simple, quote};

/// The shared connections: the ssh command and the private directory of
/// control sockets.
#[derive(Debug)]
pub(crate) struct Ssh {
    command: Vec<String>,
    dir: PathBuf,
    /// The remote hosts a master was asked for.
    hosts: Vec<String>,
    /// Scripts for the hosts' login shells to run before their
    /// connections close (`--cleanup` of the basefiles).
    pub(crate) at_exit: Vec<Vec<u8>>,
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
            at_exit: Vec::new(),
        };
        for host in &ssh.hosts {
            let _ = ssh
                .to(host, &["-o", "ControlMaster=yes", "-N", "-f"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        Ok(ssh)
    }

    /// The ssh command's words with the sharing options, for the scripts
    /// that move files (`transfer`).
    pub(crate) fn words(&self) -> Vec<String> {
        let mut words = self.command.clone();
        words.extend([
            "-o".to_owned(),
            "ControlMaster=auto".to_owned(),
            "-o".to_owned(),
            format!("ControlPath={}/%C", self.dir.display()),
            "-o".to_owned(),
            "ControlPersist=60".to_owned(),
        ]);
        words
    }

    /// ssh with the sharing options and `options`, then `-p PORT` for a
    /// `HOST:PORT`, `--` and the host.
    fn to(&self, name: &str, options: &[&str]) -> Command {
        let (words, host) = self.for_host(name);
        let mut ssh = Command::new(&words[0]);
        ssh.args(&words[1..]).args(options).arg("--").arg(host);
        ssh
    }

    /// The ssh command's words for the host `name` (`-p PORT` added for
    /// `HOST:PORT` and `USER@HOST:PORT`) and the host to give it.
    pub(crate) fn for_host(&self, name: &str) -> (Vec<String>, String) {
        plain_for_host(&self.words(), name)
    }

    /// The remote hosts, each once.
    pub(crate) fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// The command that runs `command` (a shell command line) on `host`,
    /// with `env` set there; its stdin must stay open until it ends
    /// ([`OpenStdin`]).
    pub(crate) fn job(&self, host: &str, command: &OsStr, env: &[(&str, String)]) -> Command {
        let mut ssh = self.to(host, &[]);
        ssh.arg(OsString::from_vec(remote_line(command, env, None)));
        ssh
    }
}

/// The `--ssh` command's words (no sharing) for the host `name`, and the
/// host to give it ([`Ssh::for_host`]).
pub(crate) fn plain_for_host(command: &[String], name: &str) -> (Vec<String>, String) {
    let mut words = command.to_vec();
    let (host, port) = crate::logins::split_port(name);
    if let Some(port) = port {
        words.extend(["-p".to_owned(), port.to_owned()]);
    }
    (words, host.to_owned())
}

/// What ssh gives the remote shell to run `command` with `env` exported,
/// in `dir` (made if missing) when given: `exec sh -c SCRIPT`, where
/// SCRIPT runs the command in the background next to the watcher of the
/// session's stdin. Each level is quoted for the shell that reads it.
pub(crate) fn remote_line(command: &OsStr, env: &[(&str, String)], dir: Option<&[u8]>) -> Vec<u8> {
    let mut inner = Vec::new();
    if let Some(dir) = dir {
        let dir = quote(dir);
        inner.extend_from_slice(b"mkdir -p -- ");
        inner.extend_from_slice(&dir);
        inner.extend_from_slice(b" && cd -- ");
        inner.extend_from_slice(&dir);
        inner.extend_from_slice(b" || exit 255; ");
    }
    let mut functions = Vec::new();
    for (name, value) in env {
        if crate::env::is_function(name) {
            functions.push(quote(format!("{name}={value}").as_bytes()));
            continue;
        }
        inner.extend_from_slice(format!("export {name}=").as_bytes());
        inner.extend_from_slice(&quote(value.as_bytes()));
        inner.extend_from_slice(b"; ");
    }
    if functions.is_empty() {
        inner.extend_from_slice(b"exec sh -c ");
    } else {
        // `--env` of a bash function: bash reads it from its environment.
        inner.extend_from_slice(b"exec env");
        for function in functions {
            inner.push(b' ');
            inner.extend_from_slice(&function);
        }
        inner.extend_from_slice(b" bash -c ");
    }
    inner.extend_from_slice(&quote(&exec_simple(command.as_bytes())));
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
    remote
}

impl Drop for Ssh {
    /// Closes the shared connections and removes the directory.
    fn drop(&mut self) {
        for host in &self.hosts {
            for script in &self.at_exit {
                let _ = self
                    .to(host, &[])
                    .arg(OsStr::from_bytes(script))
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
            let _ = self
                .to(host, &["-O", "exit"])
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
    use std::io::Read;
    use std::os::unix::process::CommandExt;

    use super::*;

    #[test]
    fn the_remote_shell_runs_the_command_line_as_the_local_one_would() {
        // A command line as the template makes it: its arguments quoted
        // once; the remote line quotes it again for each shell on the way.
        let mut command = b"printf '%s\\0' \"$PARALLEL_SEQ\"".to_vec();
        let args: [&[u8]; 5] = [b"a b", b"it's", b"two\nlines", b"\xff\xfe", b""];
        for arg in args {
            command.push(b' ');
            crate::shell::quote_into(arg, &mut command);
        }
        let env = [("PARALLEL_SEQ", "7".to_owned())];
        let line = remote_line(OsStr::from_bytes(&command), &env, None);
        // The remote login shell, played by `sh -c`, in a process group of
        // its own (the watcher signals its group), its stdin held open.
        let mut shell = Command::new("sh")
            .arg("-c")
            .arg(OsStr::from_bytes(&line))
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut printed = Vec::new();
        shell
            .stdout
            .take()
            .unwrap()
            .read_to_end(&mut printed)
            .unwrap();
        drop(shell.stdin.take());
        assert!(shell.wait().unwrap().success());
        let mut expected = b"7\0".to_vec();
        for arg in args {
            expected.extend_from_slice(arg);
            expected.push(0);
        }
        assert_eq!(printed, expected, "{}", String::from_utf8_lossy(&printed));
    }
}
