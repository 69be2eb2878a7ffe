//! `pp-exit CODE [--stdout TEXT] [--stderr TEXT]`: writes TEXT to stdout
//! and/or stderr exactly as given (no newline added; stdout first), then
//! exits with CODE (2 on argument errors).

use procpump_tests::child::{parse_or_exit, stderr_file, stdout_file, usage_error, value_or_exit};
use std::io::Write;
use std::process::exit;

const PROG: &str = "pp-exit";

fn main() {
    let (mut code, mut out_text, mut err_text) = (None, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--stdout" => out_text = Some(value_or_exit(PROG, &arg, &mut args)),
            "--stderr" => err_text = Some(value_or_exit(PROG, &arg, &mut args)),
            _ if code.is_none() => code = Some(parse_or_exit::<i32>(PROG, "exit code", &arg)),
            _ => usage_error(PROG, &format!("unexpected argument {arg:?}")),
        }
    }
    let code = code.unwrap_or_else(|| usage_error(PROG, "missing exit CODE"));
    if let Some(text) = out_text {
        let _ = stdout_file().and_then(|mut f| f.write_all(text.as_bytes()));
    }
    if let Some(text) = err_text {
        let _ = stderr_file().and_then(|mut f| f.write_all(text.as_bytes()));
    }
    exit(code);
}
