//! `pp-emit [--stdout N] [--stderr N] [--seed S] [--chunk C] [--exit CODE]`:
//! writes N bytes of the pattern for seed S (default 1) to stdout and N bytes
//! of the pattern for seed S+1 to stderr, alternating chunks of C bytes
//! (default 1M) between the two (stdout first); once one stream is done the
//! other continues alone. Then exits with CODE (default 0). Sizes accept the
//! suffixes K, M, G (powers of 1024).
//!
//! Exit status: CODE on success; 2 on argument errors (message on stderr);
//! 3 if a write fails with EPIPE; 1 on other write errors (no message, so
//! that a pattern on stderr is never corrupted).

use procpump_tests::child::{
    is_broken_pipe, parse_or_exit, size_or_exit, stderr_file, stdout_file, usage_error,
    value_or_exit,
};
use procpump_tests::fill_pattern;
use std::fs::File;
use std::io::Write;
use std::process::exit;

const PROG: &str = "pp-emit";

/// One output stream: where it goes, its seed, and how far it has got.
struct Stream {
    file: File,
    seed: u64,
    pos: u64,
    len: u64,
}

impl Stream {
    /// Writes the next `chunk` bytes (or fewer at the end), using `buf` as
    /// scratch.
    fn write_chunk(&mut self, chunk: u64, buf: &mut [u8]) {
        let end = self.len.min(self.pos + chunk);
        while self.pos < end {
            let n = (end - self.pos).min(buf.len() as u64) as usize;
            fill_pattern(self.seed, self.pos, &mut buf[..n]);
            if let Err(e) = self.file.write_all(&buf[..n]) {
                // No message: stderr may be carrying a pattern under test.
                exit(if is_broken_pipe(&e) { 3 } else { 1 });
            }
            self.pos += n as u64;
        }
    }

    fn done(&self) -> bool {
        self.pos >= self.len
    }
}

fn main() {
    let (mut out_len, mut err_len, mut seed, mut chunk, mut code) = (0, 0, 1u64, 1u64 << 20, 0);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || value_or_exit(PROG, &arg, &mut args);
        match arg.as_str() {
            "--stdout" => out_len = size_or_exit(PROG, "--stdout", &value()),
            "--stderr" => err_len = size_or_exit(PROG, "--stderr", &value()),
            "--seed" => seed = parse_or_exit(PROG, "--seed", &value()),
            "--chunk" => chunk = size_or_exit(PROG, "--chunk", &value()),
            "--exit" => code = parse_or_exit(PROG, "--exit", &value()),
            _ => usage_error(PROG, &format!("unexpected argument {arg:?}")),
        }
    }
    if chunk == 0 {
        usage_error(PROG, "--chunk must be > 0");
    }

    let mut buf = vec![0u8; chunk.min(out_len.max(err_len)).min(1 << 20) as usize];
    let open = |f: std::io::Result<File>| f.unwrap_or_else(|_| exit(1));
    let mut out = Stream {
        file: open(stdout_file()),
        seed,
        pos: 0,
        len: out_len,
    };
    let mut err = Stream {
        file: open(stderr_file()),
        seed: seed.wrapping_add(1),
        pos: 0,
        len: err_len,
    };
    while !(out.done() && err.done()) {
        out.write_chunk(chunk, &mut buf);
        err.write_chunk(chunk, &mut buf);
    }
    exit(code);
}
