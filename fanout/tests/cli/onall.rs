//! `--onall`, `--nonall`: every argument, or the command alone, on every
//! host, over two logins to the private sshd (`127.0.0.1` and `localhost`
//! are two hosts to ssh, each with a shared connection of its own).

use procpump_tests::sshd::Sshd;

use crate::support::run;

/// The lines of `text` that start with `host` and a TAB, without it.
fn of_host<'a>(text: &'a str, host: &str) -> Vec<&'a str> {
    let prefix = format!("{host}\t");
    text.lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .collect()
}

#[test]
fn nonall_runs_the_command_once_on_each_host_tagged_by_host() {
    let sshd = Sshd::start();
    let ssh = sshd.ssh_command_line();
    let args = [
        "--ssh",
        &ssh,
        "-S",
        "127.0.0.1,localhost",
        "--nonall",
        "--tag",
    ];
    let ran = run(&[&args[..], &["echo hi; echo there"]].concat());
    assert_eq!(ran.code(), 0, "{ran:?}");
    for host in ["127.0.0.1", "localhost"] {
        assert_eq!(
            of_host(&ran.stdout, host),
            ["hi", "there"],
            "{}",
            ran.stdout
        );
    }
    assert_eq!(ran.stdout.lines().count(), 4, "{}", ran.stdout);
    assert_eq!(sshd.logins(), 2);
}

#[test]
fn onall_runs_every_argument_on_every_host_in_order() {
    let sshd = Sshd::start();
    let ssh = sshd.ssh_command_line();
    let log = std::env::temp_dir().join(format!("fanout-onall-{}", std::process::id()));
    let args = [
        "--ssh",
        &ssh,
        "-S",
        "127.0.0.1,localhost",
        "--onall",
        "--tag",
        "--joblog",
        log.to_str().unwrap(),
        "echo {}; [ {} != c ]",
        ":::",
        "a",
        "b",
        "c",
        "d",
    ];
    let ran = run(&args);
    // c fails on both hosts.
    assert_eq!(ran.code(), 2, "{ran:?}");
    for host in ["127.0.0.1", "localhost"] {
        assert_eq!(
            of_host(&ran.stdout, host),
            ["a", "b", "c", "d"],
            "{}",
            ran.stdout
        );
    }
    let text = std::fs::read_to_string(&log).unwrap();
    let mut hosts: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|line| line.split('\t').nth(1).unwrap())
        .collect();
    hosts.sort_unstable();
    assert_eq!(
        hosts,
        [["127.0.0.1"; 4], ["localhost"; 4]].concat(),
        "{text}"
    );
    let _ = std::fs::remove_file(&log);
}

#[test]
fn a_host_that_refuses_fails_its_copies_alone() {
    let sshd = Sshd::start();
    let config = sshd.config_with_unreachable("closed");
    let ssh = format!("ssh -F '{}'", config.display());
    let args = [
        "--ssh",
        &ssh,
        "-S",
        "127.0.0.1,closed",
        "--summary",
        "--nonall",
        "--tag",
        "echo up",
    ];
    let ran = run(&args);
    assert_eq!(ran.code(), 1, "{ran:?}");
    assert_eq!(ran.stdout, "127.0.0.1\tup\n");
    assert!(ran.summary(2).contains("closed"), "{}", ran.stderr);
}

#[test]
fn onall_needs_hosts_and_nonall_takes_no_arguments() {
    assert_eq!(run(&["--onall", "echo", ":::", "a"]).code(), 255);
    assert_eq!(
        run(&["-S", ":", "--nonall", "echo", ":::", "a"]).code(),
        255
    );
}
