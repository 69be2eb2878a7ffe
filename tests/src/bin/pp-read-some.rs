//! `pp-read-some K [--sleep-ms MS]`: reads exactly K bytes from stdin (size
//! suffixes K/M/G allowed), or up to EOF if that comes first, without reading
//! ahead; then closes fd 0, prints the number of bytes read (decimal, with a
//! newline) to stdout, sleeps MS milliseconds (default 200) and exits 0. A
//! parent still writing to the child's stdin then sees EPIPE.
//!
//! Exit status: 0; 2 on argument errors; 1 on I/O errors.

#![allow(clippy::print_stdout)]

use procpump_tests::child::{parse_or_exit, size_or_exit, usage_error, value_or_exit};
use std::fs::File;
use std::io::{ErrorKind, Read};
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::exit;
use std::time::Duration;

const PROG: &str = "pp-read-some";

fn main() {
    let (mut want, mut sleep_ms) = (None, 200u64);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--sleep-ms" => {
                let v = value_or_exit(PROG, &arg, &mut args);
                sleep_ms = parse_or_exit(PROG, "--sleep-ms", &v);
            }
            _ if want.is_none() && !arg.starts_with("--") => {
                want = Some(size_or_exit(PROG, "K", &arg));
            }
            _ => usage_error(PROG, &format!("unexpected argument {arg:?}")),
        }
    }
    let want = want.unwrap_or_else(|| usage_error(PROG, "missing byte count K"));

    // SAFETY: fd 0 is open (or reads just fail with EBADF) and nothing else in
    // this program uses it; the File takes ownership so that dropping it
    // closes fd 0 itself, not a duplicate.
    let mut stdin = File::from(unsafe { OwnedFd::from_raw_fd(0) });
    let mut buf = vec![0u8; 1 << 20];
    let mut got = 0u64;
    while got < want {
        let n = (want - got).min(buf.len() as u64) as usize;
        match stdin.read(&mut buf[..n]) {
            Ok(0) => break,
            Ok(n) => got += n as u64,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => exit(1),
        }
    }
    drop(stdin);
    println!("{got}");
    std::thread::sleep(Duration::from_millis(sleep_ms));
}
