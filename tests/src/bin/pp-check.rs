//! `pp-check [--seed S] [--len N]`: reads stdin to EOF and verifies it is the
//! pattern for seed S (default 1), and if `--len` is given that it is exactly
//! N bytes long (size suffixes K/M/G allowed). Prints the byte count to
//! stdout; on failure prints the reason to stderr.
//!
//! Exit status: 0 if the stream verified; 1 if it did not (or on read
//! errors); 2 on argument errors.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use procpump_tests::child::{parse_or_exit, size_or_exit, stdin_file, usage_error, value_or_exit};
use procpump_tests::PatternChecker;
use std::io::{ErrorKind, Read};
use std::process::exit;

const PROG: &str = "pp-check";

fn main() {
    let (mut seed, mut len) = (1u64, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || value_or_exit(PROG, &arg, &mut args);
        match arg.as_str() {
            "--seed" => seed = parse_or_exit(PROG, "--seed", &value()),
            "--len" => len = Some(size_or_exit(PROG, "--len", &value())),
            _ => usage_error(PROG, &format!("unexpected argument {arg:?}")),
        }
    }
    let mut input = stdin_file().unwrap_or_else(|_| exit(1));
    let mut checker = PatternChecker::new(seed);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => checker.feed(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                eprintln!("{PROG}: reading stdin: {e}");
                exit(1);
            }
        }
    }
    println!("{}", checker.bytes());
    if let Err(msg) = checker.verify(len.unwrap_or(checker.bytes())) {
        eprintln!("{PROG}: {msg}");
        exit(1);
    }
}
