//! `pp-signal SIGNAL_NUMBER`: writes `"about to die\n"` to stdout, then sends
//! itself that signal (e.g. 9 for SIGKILL, 15 for SIGTERM, 6 for SIGABRT).
//!
//! Exit status: killed by the signal; 2 on argument errors (including a
//! signal number rustix does not name); 99 if the signal did not kill it
//! (e.g. 13, SIGPIPE, which the Rust runtime ignores).

use procpump_tests::child::{parse_or_exit, stdout_file, usage_error};
use rustix::process::{getpid, kill_process, Signal};
use std::io::Write;
use std::process::exit;
use std::time::Duration;

const PROG: &str = "pp-signal";

fn main() {
    procpump_tests::child::default_signals();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [num] = args.as_slice() else {
        usage_error(PROG, "usage: pp-signal SIGNAL_NUMBER");
    };
    let num: i32 = parse_or_exit(PROG, "signal number", num);
    let sig = Signal::from_named_raw(num)
        .unwrap_or_else(|| usage_error(PROG, &format!("unknown signal number {num}")));

    let mut out = stdout_file().unwrap_or_else(|_| exit(1));
    let _ = out.write_all(b"about to die\n");
    drop(out);
    if kill_process(getpid(), sig).is_err() {
        exit(99);
    }
    // Delivery to ourselves is synchronous for an unblocked signal, but give
    // it a moment anyway before concluding it did not kill us.
    std::thread::sleep(Duration::from_millis(100));
    exit(99);
}
