//! The test sshd (`procpump_tests::sshd`) against real OpenSSH: a command
//! run over ssh, connection sharing, an unreachable port, what becomes of a
//! remote command when its local `ssh` is killed, and that dropping the
//! server leaves nothing behind.
//!
//! What OpenSSH does when the local client is killed (`SIGTERM` or
//! `SIGKILL`), as these tests pin it down:
//! * plain `ssh host cmd`: the remote command keeps running; nothing
//!   signals it. Alone on its connection, the server ends the session and
//!   the command is handed to init; over a shared connection it stays
//!   under that connection's server process. A command that writes dies
//!   on its next write (`SIGPIPE`); one that does not, like `sleep`, runs
//!   to its end.
//! * `ssh -tt host cmd`: the server hangs up the session's terminal, and
//!   the command dies of `SIGHUP` at once; with a shared connection too
//!   (the shared connection stays up, the session closes). The price: the
//!   remote stdout and stderr arrive merged on the local stdout, and a
//!   command that ignores `SIGHUP` survives (no later signal reaches it).
//! * a remote wrapper that watches its stdin
//!   (`cmd & pid=$!; cat >/dev/null; kill -TERM $pid`): the command is
//!   killed when the connection's end closes its stdin, so stdout and
//!   stderr stay apart. The local `ssh`'s stdin must be a pipe held open
//!   for the whole run: with `/dev/null`, the wrapper kills the command at
//!   once.

use procpump_tests::sshd::{closed_port, processes_running, Sshd, HOST};
use procpump_tests::{eventually, live_children};
use std::io::Read;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How long a remote command may take to start, or to die once its local
/// `ssh` is gone.
const LIMIT: Duration = Duration::from_secs(10);

/// A `sleep` argument no other test (or test process) uses, to find the
/// remote process by its command line: 30 seconds and a unique fraction.
fn marker() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("30.{}{n:03}", std::process::id())
}

/// The parent of `pid`, if it is still running.
fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_ascii_whitespace().nth(1)?.parse().ok()
}

/// The processes whose command line mentions `text`.
fn processes_mentioning(text: &str) -> Vec<i32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(text) {
            found.push(pid);
        }
    }
    found
}

/// Sends `signal` to `child` and reaps it.
fn signal_and_wait(child: &mut Child, signal: rustix::process::Signal) -> ExitStatus {
    let pid = rustix::process::Pid::from_child(child);
    rustix::process::kill_process(pid, signal).unwrap();
    child.wait().unwrap()
}

/// Kills whatever still runs `sleep marker` (after a failed check).
fn kill_leftovers(marker: &str) -> Vec<i32> {
    let pids = processes_running(&["sleep", marker]);
    for &pid in &pids {
        let pid = rustix::process::Pid::from_raw(pid).unwrap();
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
    }
    pids
}

/// Everything about a finished ssh, and the server's log, for a failure.
fn describe(output: &Output, sshd: &Sshd) -> String {
    format!(
        "{}\nstdout: {:?}\nstderr: {:?}\nsshd log:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        sshd.log_tail(20)
    )
}

/// Starts `ssh` and waits until the remote `sleep marker` runs; returns
/// the local ssh and the remote sleep's pid.
fn start_remote_sleep(mut ssh: Command, marker: &str, sshd: &Sshd) -> (Child, i32) {
    let mut child = ssh
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut remote = Vec::new();
    let mut exited = None;
    eventually(LIMIT, || {
        remote = processes_running(&["sleep", marker]);
        exited = child.try_wait().unwrap();
        !remote.is_empty() || exited.is_some()
    });
    if remote.is_empty() {
        let _ = child.kill();
        let output = child.wait_with_output().unwrap();
        let log = sshd.log_tail(20);
        // sshd not running as root cannot give a session a terminal where
        // new terminals do not belong to the `tty` group (devpts mounted
        // without `gid=5`): it dies on `chown`.
        let hint = if log.contains("chown(/dev/pts") {
            "\n(sshd cannot hand a terminal to a session unless it runs as root here: \
             run the tests as root, as CI does)"
        } else {
            ""
        };
        panic!(
            "the remote sleep {marker} did not start (local ssh: {exited:?}, stderr {:?}); \
             sshd log:\n{log}{hint}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_eq!(remote.len(), 1, "{remote:?}");
    (child, remote[0])
}

/// Checks that the remote `sleep marker` dies soon after its local ssh was
/// killed, and returns how long it took.
fn assert_remote_dies(marker: &str, how: &str, sshd: &Sshd) -> Duration {
    let killed = Instant::now();
    if !eventually(LIMIT, || processes_running(&["sleep", marker]).is_empty()) {
        let left = kill_leftovers(marker);
        panic!(
            "{how}: the remote sleep {marker} outlived its local ssh by {LIMIT:?} \
             (pids {left:?}); sshd log:\n{}",
            sshd.log_tail(20)
        );
    }
    killed.elapsed()
}

/// `ssh [sharing] 127.0.0.1 remote`.
fn ssh_to(sshd: &Sshd, shared: bool, options: &[&str], remote: &str) -> Command {
    let mut ssh = sshd.ssh_command();
    if shared {
        ssh.args(sshd.sharing_options());
    }
    ssh.args(options).arg(HOST).arg(remote);
    ssh
}

#[test]
fn a_command_runs_with_its_streams_and_exit_status() {
    let sshd = Sshd::start();
    let output = sshd
        .ssh("echo hi; id -un; echo oops >&2; exit 7")
        .output()
        .unwrap();
    let user = sshd.user();
    assert_eq!(
        output.status.code(),
        Some(7),
        "{}",
        describe(&output, &sshd)
    );
    assert_eq!(output.stdout, format!("hi\n{user}\n").as_bytes());
    assert_eq!(output.stderr, b"oops\n", "{}", describe(&output, &sshd));
    assert_eq!(
        (sshd.connections(), sshd.logins(), sshd.sessions()),
        (1, 1, 1),
        "{}",
        sshd.log()
    );
}

#[test]
fn stdin_reaches_the_remote_command() {
    let sshd = Sshd::start();
    let mut child = sshd
        .ssh("wc -c")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let data = vec![b'x'; 1 << 20];
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &data));
    let mut counted = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut counted)
        .unwrap();
    writer.join().unwrap().unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(counted.trim(), (1 << 20).to_string());
}

#[test]
fn a_shared_connection_logs_in_once_for_twenty_commands() {
    let sshd = Sshd::start();
    // The first command opens the shared connection...
    let first = ssh_to(&sshd, true, &[], "echo 0").output().unwrap();
    assert!(first.status.success(), "{}", describe(&first, &sshd));
    assert_eq!(first.stdout, b"0\n");
    // ... and 19 more, started together, ride on it.
    let children: Vec<Child> = (1..20)
        .map(|i| {
            ssh_to(&sshd, true, &[], &format!("echo {i}"))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (i, child) in (1..20).zip(children) {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", describe(&output, &sshd));
        assert_eq!(output.stdout, format!("{i}\n").as_bytes());
    }
    let (logins, sessions) = (sshd.logins(), sshd.sessions());
    assert!(
        logins <= 2,
        "{logins} logins for 20 commands:\n{}",
        sshd.log()
    );
    assert_eq!(sessions, 20, "{}", sshd.log());
    assert_eq!(sshd.connections(), logins, "{}", sshd.log());
}

#[test]
fn an_unreachable_port_fails_at_once_naming_host_and_port() {
    let sshd = Sshd::start();
    let port = closed_port();
    let started = Instant::now();
    let output = sshd
        .ssh_command()
        .args(["-p", &port.to_string(), HOST, "true"])
        .output()
        .unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(255),
        "{}",
        describe(&output, &sshd)
    );
    assert!(
        stderr.contains(&format!("connect to host {HOST} port {port}"))
            && stderr.contains("Connection refused"),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(sshd.connections(), 0, "{}", sshd.log());
}

#[test]
fn plain_ssh_killed_leaves_the_remote_command_running() {
    let sshd = Sshd::start();
    let marker = marker();
    let ssh = ssh_to(&sshd, false, &[], &format!("sleep {marker}"));
    let (mut local, remote) = start_remote_sleep(ssh, &marker, &sshd);
    let session = parent_of(remote).unwrap();
    let status = signal_and_wait(&mut local, rustix::process::Signal::TERM);
    assert_eq!(status.code(), Some(255));
    // The server ends the session: the command is handed to another
    // parent, and nothing else happens to it.
    let orphaned = eventually(LIMIT, || parent_of(remote) != Some(session));
    let left = kill_leftovers(&marker);
    assert!(orphaned, "the session never ended:\n{}", sshd.log_tail(20));
    assert_eq!(left, [remote], "{}", sshd.log_tail(20));
}

#[test]
fn ssh_tt_killed_hangs_up_the_remote_command() {
    let sshd = Sshd::start();
    for (shared, signal) in [
        (false, rustix::process::Signal::TERM),
        (true, rustix::process::Signal::TERM),
        (true, rustix::process::Signal::KILL),
    ] {
        let how = format!("ssh -tt, shared {shared}, {signal:?}");
        let marker = marker();
        let ssh = ssh_to(&sshd, shared, &["-tt"], &format!("sleep {marker}"));
        let (mut local, _) = start_remote_sleep(ssh, &marker, &sshd);
        signal_and_wait(&mut local, signal);
        assert_remote_dies(&marker, &how, &sshd);
    }
    // Two logins: one alone, one shared by the other two.
    assert_eq!(sshd.logins(), 2, "{}", sshd.log());

    // A command that ignores SIGHUP outlives the hang-up, which takes
    // milliseconds when it does not.
    let marker = marker();
    let remote = format!("trap '' HUP; sleep {marker}");
    let (mut local, pid) =
        start_remote_sleep(ssh_to(&sshd, true, &["-tt"], &remote), &marker, &sshd);
    signal_and_wait(&mut local, rustix::process::Signal::TERM);
    let died = eventually(Duration::from_secs(1), || {
        processes_running(&["sleep", &marker]).is_empty()
    });
    let left = kill_leftovers(&marker);
    assert!(!died, "sleep {marker} ignoring SIGHUP died");
    assert_eq!(left, [pid]);
}

#[test]
fn a_wrapper_watching_stdin_kills_the_remote_command() {
    let sshd = Sshd::start();
    for shared in [false, true] {
        let marker = marker();
        let wrapper = format!("sleep {marker} & pid=$!; cat >/dev/null; kill -TERM $pid");
        let mut ssh = ssh_to(&sshd, shared, &[], &wrapper);
        // The pipe's write end stays open until the local ssh is gone.
        ssh.stdin(Stdio::piped());
        let (mut local, _) = start_remote_sleep(ssh, &marker, &sshd);
        signal_and_wait(&mut local, rustix::process::Signal::TERM);
        assert_remote_dies(&marker, &format!("wrapper, shared {shared}"), &sshd);
    }
}

#[test]
fn dropping_the_server_stops_its_connections_and_removes_its_directory() {
    let sshd = Sshd::start();
    let (dir, port, server) = (sshd.dir().to_owned(), sshd.port(), sshd.pid());
    let first = ssh_to(&sshd, true, &[], "true").output().unwrap();
    assert!(first.status.success(), "{}", describe(&first, &sshd));
    let control = dir.join("control");
    assert!(!processes_mentioning(control.to_str().unwrap()).is_empty());
    let marker = marker();
    let ssh = ssh_to(&sshd, false, &[], &format!("sleep {marker}"));
    let (mut local, _) = start_remote_sleep(ssh, &marker, &sshd);

    drop(sshd);
    assert!(!dir.exists());
    assert!(!live_children().iter().any(|&(pid, _)| pid as u32 == server));
    assert!(std::net::TcpStream::connect((HOST, port)).is_err());
    assert!(processes_running(&["sleep", &marker]).is_empty());
    assert_eq!(local.wait().unwrap().code(), Some(255));
    // The shared connection's master notices its connection is gone.
    assert!(
        eventually(LIMIT, || processes_mentioning(control.to_str().unwrap())
            .is_empty()),
        "{:?}",
        processes_mentioning(control.to_str().unwrap())
    );
}

/// The `hosts` example of `procpump-adapters`, built on first use (cargo
/// builds no other package's examples for these tests).
fn hosts_example() -> std::path::PathBuf {
    use std::path::Path;
    let exe = std::env::current_exe().expect("current_exe");
    // target/<profile>/deps/<test binary>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary is in target/<profile>/deps");
    let target_dir = profile_dir.parent().expect("a target directory");
    let profile = match profile_dir.file_name().and_then(|name| name.to_str()) {
        Some("debug") | None => "dev",
        Some(name) => name,
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "-p",
            "procpump-adapters",
            "--example",
            "hosts",
        ])
        .args(["--profile", profile])
        .env("CARGO_TARGET_DIR", target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("run cargo build");
    assert!(
        status.success(),
        "cargo build of the hosts example failed: {status}"
    );
    let path = profile_dir.join("examples").join("hosts");
    assert!(path.is_file(), "no hosts example at {}", path.display());
    path
}

#[test]
fn the_hosts_example_runs_a_command_on_several_hosts_and_one_fails_alone() {
    let sshd = Sshd::start();
    // `closed` is 127.0.0.1 on a port nothing listens on.
    let config = sshd.config_with_unreachable("closed");
    let output = Command::new(hosts_example())
        .args(["--ssh", &format!("ssh -F '{}'", config.display())])
        .args([HOST, "localhost", "closed", "--"])
        .arg("echo \"it's $((6 * 7))\"; echo warn >&2")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Exit 1: not every host succeeded.
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    let mut lines: Vec<&str> = stdout.lines().collect();
    lines.sort();
    assert_eq!(lines, ["[127.0.0.1] it's 42", "[localhost] it's 42"]);
    assert!(stderr.contains("[127.0.0.1] warn"), "{stderr}");
    assert!(stderr.contains("[localhost] warn"), "{stderr}");
    let summary = stderr.split("hosts: summary").nth(1).expect("a summary");
    assert!(summary.contains("ssh failed (exit 255)"), "{summary}");
    assert!(summary.contains("Connection refused"), "{summary}");
    assert_eq!(summary.matches(" ok ").count(), 2, "{summary}");
}
