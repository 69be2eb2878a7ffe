//! `pp-lines --count N [--width W] [--stream out|err|both] [--interval-ms MS]`:
//! prints N lines numbered from 0, line i being
//! [`procpump_tests::line_text`]`(i, W)` (`"{i} "` + filler, W bytes
//! including the newline, default 80), each with a single `write` call. With
//! `both`, each line goes to stdout then to stderr. Sleeps MS milliseconds
//! between lines (default 0).
//!
//! Exit status: 0; 2 on argument errors; 3 on EPIPE; 1 on other write errors.

use procpump_tests::child::{
    is_broken_pipe, parse_or_exit, stderr_file, stdout_file, usage_error, value_or_exit,
};
use procpump_tests::line_text;
use std::io::Write;
use std::process::exit;
use std::time::Duration;

const PROG: &str = "pp-lines";

fn main() {
    let (mut count, mut width, mut interval) = (None, 80usize, 0u64);
    let (mut to_out, mut to_err) = (true, false);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || value_or_exit(PROG, &arg, &mut args);
        match arg.as_str() {
            "--count" => count = Some(parse_or_exit::<u64>(PROG, "--count", &value())),
            "--width" => width = parse_or_exit(PROG, "--width", &value()),
            "--interval-ms" => interval = parse_or_exit(PROG, "--interval-ms", &value()),
            "--stream" => {
                (to_out, to_err) = match value().as_str() {
                    "out" => (true, false),
                    "err" => (false, true),
                    "both" => (true, true),
                    s => usage_error(
                        PROG,
                        &format!("--stream must be out, err or both, not {s:?}"),
                    ),
                }
            }
            _ => usage_error(PROG, &format!("unexpected argument {arg:?}")),
        }
    }
    let count = count.unwrap_or_else(|| usage_error(PROG, "--count N is required"));

    let mut out = stdout_file().unwrap_or_else(|_| exit(1));
    let mut err = stderr_file().unwrap_or_else(|_| exit(1));
    let put = |f: &mut std::fs::File, line: &str| {
        if let Err(e) = f.write_all(line.as_bytes()) {
            exit(if is_broken_pipe(&e) { 3 } else { 1 });
        }
    };
    for i in 0..count {
        if i > 0 && interval > 0 {
            std::thread::sleep(Duration::from_millis(interval));
        }
        let line = line_text(i, width);
        if to_out {
            put(&mut out, &line);
        }
        if to_err {
            put(&mut err, &line);
        }
    }
}
