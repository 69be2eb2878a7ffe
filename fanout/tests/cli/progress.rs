//! The progress line, drawn on stderr when it is a terminal: fanout runs
//! here with its stderr on a pseudo-terminal, and what the terminal shows
//! is read from the master side.

use std::fs::File;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::process::Stdio;
use std::time::Duration;

use rustix::fs::{open, Mode, OFlags};
use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};

use crate::support::command;

/// A pseudo-terminal: its master side and its slave side.
fn terminal() -> (OwnedFd, OwnedFd) {
    let flags = OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC;
    let master = openpt(flags).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let name = ptsname(&master, Vec::new()).unwrap();
    let flags = OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC;
    let slave = open(name.as_c_str(), flags, Mode::empty()).unwrap();
    (master, slave)
}

/// Runs fanout with `args`, its stderr on a terminal; returns what the
/// terminal showed and the exit code.
fn on_a_terminal(args: &[&str]) -> (String, Option<i32>) {
    let (master, slave) = terminal();
    let mut child = command(args)
        .stdout(Stdio::null())
        .stderr(Stdio::from(slave))
        .spawn()
        .unwrap();
    // The master reads until the last slave descriptor (fanout's) closes:
    // then it fails with EIO.
    let reader = std::thread::spawn(move || {
        let mut master = File::from(master);
        let mut shown = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = master.read(&mut buf) {
            shown.extend_from_slice(&buf[..n]);
        }
        shown
    });
    let status = child.wait().unwrap();
    let shown = reader.join().unwrap();
    (String::from_utf8_lossy(&shown).into_owned(), status.code())
}

#[test]
fn a_job_fanout_stopped_is_counted_killed_not_ok() {
    // The first job fails at 0.3 s: `--halt now` stops the second
    // (killed); the third ignores SIGTERM and ends by itself at 2 s, so the
    // line is redrawn several times in between.
    let began = std::time::Instant::now();
    let (shown, code) = on_a_terminal(&[
        "-j",
        "3",
        "--halt",
        "now,fail=1",
        "--grace",
        "10",
        ":::",
        "sleep 0.3; exit 3",
        "sleep 30",
        "trap '' TERM; sleep 2",
    ]);
    assert!(began.elapsed() < Duration::from_secs(9), "{shown}");
    assert_eq!(code, Some(3), "{shown}");
    assert!(
        shown.contains("fanout: 2/3 done, 1 running, 1 failed, 1 killed, "),
        "{shown:?}"
    );
    assert!(
        shown.contains("fanout: 3 jobs in ") && shown.contains("1 ok, 1 failed, 1 killed"),
        "{shown:?}"
    );
}
