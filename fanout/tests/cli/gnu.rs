//! GNU parallel (20221122, `parallel` on PATH) run on the same command
//! line as fanout, for the tests that check fanout beside it. A missing
//! `parallel` fails these tests; it is never skipped.

use std::process::{Command, Stdio};
use std::time::Instant;

use crate::support::{wait, Ran};

/// Runs GNU parallel with `args` (stdin empty) to the end.
pub fn parallel(args: &[&str]) -> Ran {
    let child = Command::new("parallel")
        .args(args)
        .env_remove("PARALLEL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("GNU parallel is needed for these tests: install it (apt-get install parallel)");
    wait(child, Instant::now())
}
