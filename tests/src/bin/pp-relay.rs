//! `pp-relay`: runs `cat` through a procpump reactor with
//! `Input::inherit()` (this program's own stdin) and copies what it prints
//! to stdout; for the test that `Input::inherit` shares the caller's stdin.
//! With `--default`, gives the job no input at all, so `cat` must read
//! `/dev/null` however this program's stdin is set.
//!
//! Exit status: 0 when `cat` succeeded; 1 otherwise.

use std::io::Write;
use std::process::{exit, Command};

use procpump::{Flow, Input, Job, Reactor};

fn main() {
    let default = std::env::args().nth(1).as_deref() == Some("--default");
    let mut job = Job::new(Command::new("cat")).stdout(|chunk: &[u8]| {
        std::io::stdout().write_all(chunk).expect("stdout");
        Flow::Continue
    });
    if !default {
        job = job.stdin(Input::inherit());
    }
    let mut reactor = Reactor::new().expect("a reactor");
    reactor.spawn(job);
    let reports = reactor.run().expect("the run");
    exit(if reports[0].success() { 0 } else { 1 });
}
