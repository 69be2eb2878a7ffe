//! `pp-spool-victim [MIB]`: spools MIB MiB (default 8) through a
//! `procpump_adapters::Spool` sink that keeps nothing in memory, so they go
//! to its unnamed temporary file in `$TMPDIR`; then prints `spooled` on
//! stdout and sleeps, waiting to be killed. The test that spawns it checks
//! that nothing is left in `$TMPDIR`, while it runs and after `SIGKILL`.
//!
//! Exit status: 1 if it was not killed within a minute or spooling failed;
//! 2 on argument errors.

use procpump::{Flow, Sink};
use procpump_adapters::Spool;
use procpump_tests::child::{parse_or_exit, stdout_file, usage_error};
use std::io::Write;
use std::process::exit;
use std::time::Duration;

const PROG: &str = "pp-spool-victim";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mib: usize = match args.as_slice() {
        [] => 8,
        [mib] => parse_or_exit(PROG, "MIB", mib),
        _ => usage_error(PROG, "usage: pp-spool-victim [MIB]"),
    };
    let spool = Spool::writer(std::io::sink()).memory(0);
    let mut sink = spool.sink();
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..mib {
        if sink.chunk(&chunk) != Flow::Continue {
            exit(1);
        }
    }
    if !sink.is_on_disk() {
        exit(1);
    }
    let mut out = stdout_file().unwrap_or_else(|_| exit(1));
    if out.write_all(b"spooled\n").is_err() {
        exit(1);
    }
    std::thread::sleep(Duration::from_secs(60));
    exit(1);
}
