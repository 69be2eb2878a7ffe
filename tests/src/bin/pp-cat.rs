//! `pp-cat [--stderr N] [--seed S]`: copies stdin to stdout (256 KiB reads)
//! until EOF. With `--stderr N`, meanwhile writes N bytes (size suffixes
//! K/M/G allowed) of the pattern for seed S (default 1) to stderr from a
//! second thread: the classic pipe-deadlock child.
//!
//! Exit status: 0 on success; 2 on argument errors; 3 if writing stdout
//! fails with EPIPE; 4 if writing stderr fails; 1 on other I/O errors.

use procpump_tests::child::{
    is_broken_pipe, size_or_exit, stderr_file, stdin_file, stdout_file, usage_error, value_or_exit,
};
use std::io::{ErrorKind, Read, Write};
use std::process::exit;

const PROG: &str = "pp-cat";

fn main() {
    let mut stderr_len = None;
    let mut seed = 1u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--stderr" => {
                let v = value_or_exit(PROG, &arg, &mut args);
                stderr_len = Some(size_or_exit(PROG, "--stderr", &v));
            }
            "--seed" => {
                let v = value_or_exit(PROG, &arg, &mut args);
                seed = procpump_tests::child::parse_or_exit(PROG, "--seed", &v);
            }
            _ => usage_error(PROG, &format!("unexpected argument {arg:?}")),
        }
    }

    let err_thread = stderr_len.map(|len| {
        std::thread::spawn(move || {
            let mut err = stderr_file().unwrap_or_else(|_| exit(4));
            let mut reader = procpump_tests::PatternReader::new(seed, len);
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = reader.read(&mut buf).expect("pattern read");
                if n == 0 {
                    break;
                }
                if err.write_all(&buf[..n]).is_err() {
                    exit(4);
                }
            }
        })
    });

    let mut input = stdin_file().unwrap_or_else(|_| exit(1));
    let mut out = stdout_file().unwrap_or_else(|_| exit(1));
    let mut buf = vec![0u8; 256 << 10];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => exit(1),
        };
        if let Err(e) = out.write_all(&buf[..n]) {
            exit(if is_broken_pipe(&e) { 3 } else { 1 });
        }
    }
    if let Some(t) = err_thread {
        if t.join().is_err() {
            exit(1);
        }
    }
}
