//! `-S`/`--sshlogin`, `--ssh`: jobs on other machines, against a private
//! OpenSSH server on 127.0.0.1 (`procpump_tests::sshd`), reached as
//! `127.0.0.1` and as `localhost`.

use std::time::Duration;

use procpump_tests::sshd::Sshd;

use crate::support::{eventually, processes_with, run, unique_sleep};

fn sorted(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    lines
}

fn temp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("fanout-ssh-{name}-{}", std::process::id()))
}

#[test]
fn remote_jobs_print_what_local_ones_do_and_the_log_names_the_hosts() {
    let sshd = Sshd::start();
    let ssh = sshd.ssh_command_line();
    let log = temp("log");
    let args: Vec<String> = (1..=200).map(|n| n.to_string()).collect();
    let mut remote = vec![
        "--ssh",
        &ssh,
        "-S",
        "2/127.0.0.1,2/localhost,:",
        "-j",
        "2",
        "--joblog",
        log.to_str().unwrap(),
        "echo {}; [ {} -le 195 ]",
        ":::",
    ];
    remote.extend(args.iter().map(String::as_str));
    let mut local = vec!["echo {}; [ {} -le 195 ]", ":::"];
    local.extend(args.iter().map(String::as_str));
    let (ran, here) = (run(&remote), run(&local));
    // Five jobs fail, here and there: the exit status is their number.
    assert_eq!(here.code(), 5, "{here:?}");
    assert_eq!(ran.code(), 5, "{ran:?}");
    assert_eq!(sorted(&ran.stdout), sorted(&here.stdout));
    let text = std::fs::read_to_string(&log).unwrap();
    let hosts: std::collections::HashSet<&str> = text
        .lines()
        .skip(1)
        .map(|line| line.split('\t').nth(1).unwrap())
        .collect();
    assert_eq!(text.lines().count(), 201, "{text}");
    for host in ["127.0.0.1", "localhost", ":"] {
        assert!(hosts.contains(host), "{host} not in {text}");
    }
    let _ = std::fs::remove_file(&log);
}

#[test]
fn jobs_share_one_connection_per_host() {
    let sshd = Sshd::start();
    let ssh = sshd.ssh_command_line();
    let mut args = vec!["--ssh", &ssh, "-S", "4/127.0.0.1", "echo {}", ":::"];
    let numbers: Vec<String> = (1..=40).map(|n| n.to_string()).collect();
    args.extend(numbers.iter().map(String::as_str));
    let ran = run(&args);
    assert_eq!(ran.code(), 0, "{ran:?}");
    assert_eq!(ran.stdout.lines().count(), 40);
    let logins = sshd.logins();
    assert!(logins <= 4, "{logins} logins for 40 jobs");
}

#[test]
fn an_unreachable_host_fails_its_jobs_only() {
    let sshd = Sshd::start();
    // `closed` is 127.0.0.1 on a port nothing listens on.
    let config = sshd.config_with_unreachable("closed");
    let ssh = format!("ssh -F '{}'", config.display());
    let numbers: Vec<String> = (1..=6).map(|n| n.to_string()).collect();
    let mut args = vec![
        "--summary",
        "--ssh",
        &ssh,
        "-S",
        "1/closed,1/:",
        "echo {}",
        ":::",
    ];
    args.extend(numbers.iter().map(String::as_str));
    let ran = run(&args);
    let failed = ran
        .stderr
        .lines()
        .filter(|line| line.contains("closed: echo"))
        .count();
    assert!(failed >= 1, "{ran:?}");
    assert_eq!(ran.code() as usize, failed, "{ran:?}");
    assert_eq!(ran.stdout.lines().count(), 6 - failed, "{ran:?}");
    assert!(ran.stderr.contains("exit 255"), "{}", ran.stderr);
    assert!(ran.stderr.contains("Connection refused"), "{}", ran.stderr);
}

#[test]
fn a_timeout_stops_the_remote_command() {
    let sshd = Sshd::start();
    let ssh = sshd.ssh_command_line();
    let sleep = unique_sleep();
    let ran = run(&[
        "--ssh",
        &ssh,
        "-S",
        "127.0.0.1",
        "--timeout",
        "1",
        "sleep",
        ":::",
        &sleep,
    ]);
    assert_eq!(ran.code(), 1, "{ran:?}");
    assert!(ran.elapsed < Duration::from_secs(10), "{ran:?}");
    assert!(
        eventually(Duration::from_secs(5), || processes_with(&sleep).is_empty()),
        "sleep {sleep} still runs: {:?}\n{}",
        processes_with(&sleep),
        String::from_utf8_lossy(
            &std::process::Command::new("ps")
                .args(["-eo", "pid,ppid,pgid,args", "--forest"])
                .output()
                .unwrap()
                .stdout
        )
    );
}

#[test]
fn retries_go_to_a_host_the_job_has_not_failed_on() {
    let sshd = Sshd::start();
    let config = sshd.config_with_unreachable("closed");
    let ssh = format!("ssh -F '{}'", config.display());
    let log = temp("retries-log");
    let numbers: Vec<String> = (1..=6).map(|n| n.to_string()).collect();
    let mut args = vec![
        "--ssh",
        &ssh,
        "-S",
        "1/closed,1/:",
        "--retries",
        "2",
        "--joblog",
        log.to_str().unwrap(),
        "echo {}",
        ":::",
    ];
    args.extend(numbers.iter().map(String::as_str));
    let ran = run(&args);
    // Every job that failed on `closed` ran again on the local host.
    assert_eq!(ran.code(), 0, "{ran:?}");
    assert_eq!(sorted(&ran.stdout), ["1", "2", "3", "4", "5", "6"]);
    let text = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    assert_eq!(text.lines().count(), 7, "{text}");
    for line in text.lines().skip(1) {
        assert_eq!(line.split('\t').nth(1), Some(":"), "{text}");
    }
}

#[test]
fn ctrl_c_and_halt_stop_the_remote_commands() {
    let sshd = Sshd::start();
    let ssh = sshd.ssh_command_line();
    // Ctrl-C (SIGINT to fanout): the remote sleeps go.
    let sleep = unique_sleep();
    let began = std::time::Instant::now();
    let child = crate::support::command(&[
        "--ssh",
        &ssh,
        "-S",
        "2/127.0.0.1",
        "sleep",
        ":::",
        &sleep,
        &sleep,
    ])
    .spawn()
    .unwrap();
    let running = eventually(Duration::from_secs(10), || {
        processes_with(&sleep).len() == 2
    });
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let ran = crate::support::wait(child, began);
    assert!(running, "the remote commands did not start: {ran:?}");
    assert_eq!(ran.code(), 130, "{ran:?}");
    assert!(
        eventually(Duration::from_secs(5), || processes_with(&sleep).is_empty()),
        "sleep {sleep} still runs after Ctrl-C: {:?}",
        processes_with(&sleep)
    );
    // --halt now,fail=1: a local failure stops the remote job.
    let sleep = unique_sleep();
    let remote_sleep = format!("sleep {sleep}");
    let ran = run(&[
        "--ssh",
        &ssh,
        "-S",
        "1/127.0.0.1,1/:",
        "--halt",
        "now,fail=1",
        ":::",
        &remote_sleep,
        "sleep 1; exit 3",
    ]);
    assert_eq!(ran.code(), 3, "{ran:?}");
    assert!(ran.elapsed < Duration::from_secs(20), "{ran:?}");
    assert!(
        eventually(Duration::from_secs(5), || processes_with(&sleep).is_empty()),
        "sleep {sleep} still runs after --halt: {:?}",
        processes_with(&sleep)
    );
}
