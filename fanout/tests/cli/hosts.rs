//! More about hosts: `HOST:PORT` and `USER@HOST:PORT`, `--filter-hosts`,
//! `--sshdelay`, `--plain`, against the private sshd reached through a
//! client configuration whose port for it is a closed one, so that only
//! the port of `-S` reaches it.

use std::path::PathBuf;

use procpump_tests::sshd::{closed_port, Sshd};

use crate::support::run;

/// `ssh -F CONFIG` where the sshd's hosts have a closed port.
fn ssh_with_wrong_port(sshd: &Sshd) -> (String, PathBuf) {
    let text = std::fs::read_to_string(sshd.client_config()).unwrap();
    let text = text.replace(
        &format!("Port {}", sshd.port()),
        &format!("Port {}", closed_port()),
    );
    let path = sshd.dir().join("ssh_config-wrong-port");
    std::fs::write(&path, text).unwrap();
    (format!("ssh -F '{}'", path.display()), path)
}

#[test]
fn the_port_and_user_of_s_are_used_and_a_refusing_host_fails_alone() {
    let sshd = Sshd::start();
    let (ssh, _) = ssh_with_wrong_port(&sshd);
    let good = format!("127.0.0.1:{}", sshd.port());
    let user = format!("{}@localhost:{}", sshd.user(), sshd.port());
    let refusing = format!("localhost:{}", closed_port());
    let hosts = format!("1/{good},1/{user},1/{refusing}");
    let numbers: Vec<String> = (1..=9).map(|n| n.to_string()).collect();
    let mut args = vec![
        "--summary",
        "--ssh",
        &ssh,
        "-S",
        &hosts,
        "--tagstring",
        "{}",
        "echo ok",
    ];
    args.push(":::");
    args.extend(numbers.iter().map(String::as_str));
    let ran = run(&args);
    let failed = ran.code();
    assert!((1..=7).contains(&failed), "{ran:?}");
    assert_eq!(ran.stdout.lines().count() as i32, 9 - failed, "{ran:?}");
    assert!(ran.stderr.contains(&refusing), "{}", ran.stderr);
    // The failures are the refusing host's only.
    for line in ran.stderr.lines().filter(|l| l.contains(" failed ")) {
        assert!(line.contains(&format!("{refusing}: echo")), "{line}");
    }
    assert!(ran.stderr.contains("ok        exit 0"));
}

#[test]
fn filter_hosts_leaves_out_the_host_that_does_not_answer() {
    let sshd = Sshd::start();
    let (ssh, _) = ssh_with_wrong_port(&sshd);
    let good = format!("127.0.0.1:{}", sshd.port());
    let refusing = format!("localhost:{}", closed_port());
    let hosts = format!("{good},{refusing}");
    let args = [
        "--ssh",
        &ssh,
        "-S",
        &hosts,
        "--filter-hosts",
        "--plain",
        "echo",
        ":::",
        "1",
        "2",
        "3",
        "4",
    ];
    let ran = run(&args);
    assert_eq!(ran.code(), 0, "{ran:?}");
    assert_eq!(ran.stdout.lines().count(), 4);
    assert!(
        ran.stderr.contains(&format!("{refusing} does not answer")),
        "{}",
        ran.stderr
    );
}

#[test]
fn sshdelay_spaces_the_remote_starts() {
    let sshd = Sshd::start();
    let ssh = sshd.ssh_command_line();
    let args = [
        "--ssh",
        &ssh,
        "-S",
        "4/127.0.0.1",
        "--sshdelay",
        "0.4",
        "true",
        ":::",
        "1",
        "2",
        "3",
        "4",
    ];
    let ran = run(&args);
    assert_eq!(ran.code(), 0, "{ran:?}");
    assert!(ran.elapsed.as_secs_f64() >= 1.2, "{:?}", ran.elapsed);
}
