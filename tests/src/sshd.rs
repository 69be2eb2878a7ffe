//! A private OpenSSH server on 127.0.0.1, for end-to-end tests of commands
//! run over `ssh`.
//!
//! [`Sshd::start`] makes a temporary directory of its own (mode 0700),
//! generates an ed25519 host key and an ed25519 user key in it, writes a
//! server configuration (a free port on 127.0.0.1, the user key authorised,
//! `LogLevel VERBOSE` to a log file) and a client configuration, and starts
//! `/usr/sbin/sshd -D` as a child. It returns once the server says it is
//! listening. Dropping the [`Sshd`] stops the shared connections it knows
//! of, kills the server and every process still under it (connections,
//! sessions, the commands they run), and removes the directory.
//!
//! The client side is `ssh -F CONFIG` ([`Sshd::ssh_command`]): the
//! configuration names the port, the user key, a known-hosts file that
//! already holds the server's key, `BatchMode yes` (never a prompt) and
//! `LogLevel ERROR`; the system's and the user's ssh configurations are not
//! read. The log tells what the server did: [`Sshd::logins`],
//! [`Sshd::connections`], [`Sshd::sessions`].
//!
//! Works as root (the usual case in CI: `PermitRootLogin
//! prohibit-password` lets the key in) and as any other user (the server
//! then runs as that user and only lets that user in).
//!
//! A missing OpenSSH (`/usr/sbin/sshd`, `ssh`, `ssh-keygen`) is an error
//! that says so, never a skipped test: `.ci/run` installs them.
//!
//! # Examples
//!
//! ```no_run
//! use procpump_tests::sshd::Sshd;
//!
//! let sshd = Sshd::start();
//! let output = sshd.ssh("echo hi").output().unwrap();
//! assert_eq!(output.stdout, b"hi\n");
//! assert_eq!(sshd.logins(), 1);
//! ```

use std::fs;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod processes;
mod setup;

use crate::temp_dir::TempDir;
pub use processes::processes_running;

/// The server program. sshd needs an absolute path: it executes itself
/// again for every connection.
pub const SSHD_PROGRAM: &str = "/usr/sbin/sshd";

/// The address the server listens on, and the host to give `ssh`.
pub const HOST: &str = "127.0.0.1";

/// How long the server may take to start listening.
const START_LIMIT: Duration = Duration::from_secs(10);

/// How many free ports to try when another process takes the one chosen.
const PORT_ATTEMPTS: usize = 5;

/// The log line sshd writes for each login with a key.
const LOGIN_LINE: &str = "Accepted publickey for ";

/// The log line sshd writes for each TCP connection.
const CONNECTION_LINE: &str = "Connection from ";

/// The log line sshd writes for each session (each command run).
const SESSION_LINE: &str = "Starting session: ";

/// A running OpenSSH server on 127.0.0.1, private to one test.
///
/// See the [module documentation](self) for what it sets up.
#[derive(Debug)]
pub struct Sshd {
    /// The server; `None` once stopped.
    server: Option<Child>,
    port: u16,
    user: String,
    /// Dropped last: removes the directory.
    dir: TempDir,
}

impl Sshd {
    /// Starts a server, as [`Sshd::try_start`] does.
    ///
    /// # Panics
    ///
    /// If it cannot start, with the message of [`Sshd::try_start`]'s error
    /// (which includes the end of the server's log).
    pub fn start() -> Sshd {
        Sshd::try_start().unwrap_or_else(|e| panic!("cannot start the test sshd: {e}"))
    }

    /// Starts a server: keys, configurations, `/usr/sbin/sshd -D`, and a
    /// bounded wait (10 s) until it listens.
    ///
    /// # Errors
    ///
    /// If OpenSSH's server or client is not installed (the message says
    /// which package to install), if a key cannot be generated, or if the
    /// server exits or does not listen in time (the message includes the
    /// end of its log).
    pub fn try_start() -> io::Result<Sshd> {
        Sshd::start_program(Path::new(SSHD_PROGRAM))
    }

    fn start_program(program: &Path) -> io::Result<Sshd> {
        setup::require_program(program, "openssh-server")?;
        setup::run("ssh", &["-V".as_ref()], "openssh-client")?;
        let mut dir = TempDir::new("procpump-sshd")?;
        let user = setup::current_user()?;
        setup::generate_key(&dir.path().join("host_key"))?;
        setup::generate_key(&dir.path().join("user_key"))?;
        fs::copy(
            dir.path().join("user_key.pub"),
            dir.path().join("authorized_keys"),
        )?;
        fs::DirBuilder::new()
            .mode(0o700)
            .create(dir.path().join("control"))?;
        setup::ensure_privilege_separation_dir();
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            let port = setup::free_port()?;
            let mut sshd = Sshd {
                server: None,
                port,
                user: user.clone(),
                dir,
            };
            sshd.write_configs()?;
            match sshd.launch(program) {
                Ok(()) => return Ok(sshd),
                Err(Launch::PortTaken(e)) => last_error = Some(e),
                Err(Launch::Failed(e)) => return Err(e),
            }
            dir = sshd.take_dir();
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("no free port")))
    }

    /// Takes the directory back from a server that did not start.
    fn take_dir(mut self) -> TempDir {
        self.stop();
        self.dir.take()
    }

    /// Writes the server's and the client's configurations, and the
    /// known-hosts file, for this server's port.
    fn write_configs(&self) -> io::Result<()> {
        let dir = self.dir.path();
        let host_key = fs::read_to_string(dir.join("host_key.pub"))?;
        let client = setup::client_config(dir, self.port, &self.user);
        fs::write(
            dir.join("sshd_config"),
            setup::server_config(dir, self.port),
        )?;
        fs::write(dir.join("ssh_config"), client)?;
        fs::write(
            dir.join("known_hosts"),
            setup::known_hosts(self.port, &host_key),
        )
    }

    /// Starts the server and waits until it listens.
    fn launch(&mut self, program: &Path) -> Result<(), Launch> {
        let _ = fs::remove_file(self.log_path());
        let server = Command::new(program)
            .arg("-D")
            .arg("-f")
            .arg(self.dir.path().join("sshd_config"))
            .arg("-E")
            .arg(self.log_path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Out of the test's process group: a Ctrl-C meant for the
            // tests reaches the server only through `Drop`.
            .process_group(0)
            .spawn()
            .map_err(|e| {
                Launch::Failed(io::Error::new(
                    e.kind(),
                    format!("cannot run {}: {e}", program.display()),
                ))
            })?;
        self.server = Some(server);
        self.wait_listening()
    }

    /// Waits for the log's "Server listening" line (a probe connection
    /// would show in the counts), or for the server's exit.
    fn wait_listening(&mut self) -> Result<(), Launch> {
        let listening = format!("Server listening on {HOST} port {}.", self.port);
        let deadline = Instant::now() + START_LIMIT;
        loop {
            if self.log().contains(&listening) {
                return Ok(());
            }
            let exited = match self.server.as_mut().map(Child::try_wait) {
                Some(Ok(Some(status))) => Some(status.to_string()),
                _ => None,
            };
            let failure = match exited {
                Some(status) => format!("sshd exited ({status})"),
                None if Instant::now() >= deadline => {
                    format!("sshd did not listen within {START_LIMIT:?}")
                }
                None => {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
            };
            let error = io::Error::other(format!(
                "{failure} on {HOST} port {}; the end of its log ({}):\n{}",
                self.port,
                self.log_path().display(),
                self.log_tail(20)
            ));
            let log = self.log();
            return Err(if log.contains("Address already in use") {
                Launch::PortTaken(error)
            } else {
                Launch::Failed(error)
            });
        }
    }

    /// The port the server listens on (on [`HOST`]).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's process id: the listener, of which each connection
    /// and each session is a descendant.
    pub fn pid(&self) -> u32 {
        self.server.as_ref().map_or(0, Child::id)
    }

    /// The user name the client logs in as: the user running the tests.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The server's private directory (keys, configurations, log, control
    /// sockets), removed on drop.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The client configuration, for `ssh -F`.
    pub fn client_config(&self) -> PathBuf {
        self.dir.path().join("ssh_config")
    }

    /// A client configuration, for `ssh -F`, where `alias` is an
    /// unreachable host (127.0.0.1 on a port nothing listens on:
    /// [`closed_port`]) and every other host is as in
    /// [`client_config`](Sshd::client_config).
    ///
    /// # Panics
    ///
    /// If the file cannot be written.
    pub fn config_with_unreachable(&self, alias: &str) -> PathBuf {
        let path = self.dir.path().join(format!("ssh_config-{alias}"));
        let text = format!(
            "Include {}\nHost {alias}\n    HostName 127.0.0.1\n    Port {}\n",
            self.client_config().display(),
            closed_port()
        );
        std::fs::write(&path, text).expect("write an ssh config");
        path
    }

    /// The server's log file (`sshd -E`, `LogLevel VERBOSE`).
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("sshd.log")
    }

    /// `ssh -F CONFIG`, to which the caller adds options, [`HOST`] and the
    /// remote command. Standard input is `/dev/null` unless the caller
    /// sets it: `ssh` would otherwise read the test's own stdin.
    pub fn ssh_command(&self) -> Command {
        let mut ssh = Command::new("ssh");
        ssh.arg("-F").arg(self.client_config()).stdin(Stdio::null());
        ssh
    }

    /// `ssh -F CONFIG 127.0.0.1 REMOTE_COMMAND`: [`Sshd::ssh_command`]
    /// with the host and the command (one string, which the remote user's
    /// shell runs).
    pub fn ssh(&self, remote_command: &str) -> Command {
        let mut ssh = self.ssh_command();
        ssh.arg(HOST).arg(remote_command);
        ssh
    }

    /// The `ssh` command line as one shell word list (`ssh -F 'CONFIG'`),
    /// for tools that take the ssh command as a string (GNU parallel's
    /// `--ssh`).
    pub fn ssh_command_line(&self) -> String {
        let config = self.client_config().display().to_string();
        format!("ssh -F '{}'", config.replace('\'', r"'\''"))
    }

    /// The options that make `ssh` share one connection per host
    /// (OpenSSH's `ControlMaster=auto`, a control socket in this server's
    /// directory, `ControlPersist=60`). The first command opens the shared
    /// connection, and those started after it ride on it; commands started
    /// together before it exists each open their own.
    pub fn sharing_options(&self) -> Vec<String> {
        let path = self.dir.path().join("control").join("%C");
        vec![
            "-o".to_owned(),
            "ControlMaster=auto".to_owned(),
            "-o".to_owned(),
            format!("ControlPath={}", path.display()),
            "-o".to_owned(),
            "ControlPersist=60".to_owned(),
        ]
    }

    /// Asks every shared connection (control socket) in this server's
    /// directory to exit (`ssh -O exit`). `Drop` does it too.
    pub fn stop_shared_connections(&self) {
        let Ok(entries) = fs::read_dir(self.dir.path().join("control")) else {
            return;
        };
        for entry in entries.flatten() {
            let _ = self
                .ssh_command()
                .arg("-o")
                .arg(format!("ControlPath={}", entry.path().display()))
                .args(["-O", "exit", HOST])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }

    /// The server's log so far (empty if it cannot be read).
    pub fn log(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// The last `lines` lines of the log, for failure messages.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = self.log();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// How many lines of the log contain `needle`.
    pub fn log_count(&self, needle: &str) -> usize {
        self.log().lines().filter(|l| l.contains(needle)).count()
    }

    /// Logins so far: "Accepted publickey" lines, one per authenticated
    /// connection (a shared connection logs in once for all its commands).
    pub fn logins(&self) -> usize {
        self.log_count(LOGIN_LINE)
    }

    /// TCP connections the server accepted so far ("Connection from"
    /// lines), whether or not they logged in.
    pub fn connections(&self) -> usize {
        self.log_count(CONNECTION_LINE)
    }

    /// Sessions so far ("Starting session" lines): one per command run,
    /// shared connection or not.
    pub fn sessions(&self) -> usize {
        self.log_count(SESSION_LINE)
    }

    /// Stops the shared connections, then kills the server and every
    /// process it started that is still its descendant (connections,
    /// sessions and their commands), and reaps the server. A remote
    /// command that its session left behind (no longer a descendant) is
    /// not touched: finding those is what the tests are for.
    fn stop(&mut self) {
        let Some(mut server) = self.server.take() else {
            return;
        };
        self.stop_shared_connections();
        let root = server.id() as i32;
        for pid in std::iter::once(root).chain(processes::descendants(root)) {
            if let Some(pid) = rustix::process::Pid::from_raw(pid) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
        }
        let _ = server.wait();
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Why a launch failed: another process took the port (try another), or
/// anything else (give up).
enum Launch {
    PortTaken(io::Error),
    Failed(io::Error),
}

/// A port on 127.0.0.1 where nothing listens: bound to find a free one,
/// then released. For "unreachable host" tests (`ssh -p PORT` is refused
/// at once).
///
/// # Panics
///
/// If no port can be bound on 127.0.0.1.
pub fn closed_port() -> u16 {
    setup::free_port().expect("bind a port on 127.0.0.1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_server_is_a_clear_error() {
        let error = Sshd::start_program(Path::new("/nonexistent/sshd")).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("/nonexistent/sshd not found"), "{message}");
        assert!(
            message.contains("apt-get install openssh-server"),
            "{message}"
        );
    }

    #[test]
    fn closed_port_refuses() {
        let port = closed_port();
        let error = std::net::TcpStream::connect((HOST, port)).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
    }
}
