//! `pp-sleep MS`: sleeps MS milliseconds, then exits 0 (2 on argument
//! errors).

use procpump_tests::child::{parse_or_exit, usage_error};
use std::time::Duration;

const PROG: &str = "pp-sleep";

fn main() {
    procpump_tests::child::default_signals();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [ms] = args.as_slice() else {
        usage_error(PROG, "usage: pp-sleep MS");
    };
    let ms: u64 = parse_or_exit(PROG, "milliseconds", ms);
    std::thread::sleep(Duration::from_millis(ms));
}
