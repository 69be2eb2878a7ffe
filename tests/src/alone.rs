//! Tests that must run alone: each in a fresh process of its test binary,
//! with no other test beside it, one after another.
//!
//! Some tests watch their whole process: its descriptors, its children,
//! its memory, its CPU time, its signal dispositions; or they stop it.
//! Beside other tests in the same process they would count those tests'
//! descriptors and children, or kill them, or be disturbed by them. A
//! test binary of its own gave each of them a process to itself, at the
//! price of one more binary to link. [`run`] gives the same without that
//! price: the test, as the test binary runs it, starts that binary again
//! with only this test selected (`--exact`, one test thread) and an
//! environment variable that tells the copy to run the test's body; then
//! checks that the copy passed, and shows its output. Tests that run this
//! way wait for one another, so that each one also has the machine's
//! attention as it had alone in its binary.
//!
//! ```no_run
//! # fn main() {}
//! #[test]
//! fn nothing_leaks() {
//!     procpump_tests::alone::run(|| {
//!         let before = procpump_tests::open_fds();
//!         // ... run children ...
//!         assert_eq!(procpump_tests::open_fds(), before);
//!     });
//! }
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Mutex, PoisonError};

/// Set, to the test's name, in the environment of the copy that runs it.
const RUN_ALONE: &str = "PROCPUMP_TEST_RUN_ALONE";

/// What the copy prints once the test's body has returned.
const PASSED: &str = "procpump-tests: passed alone:";

/// Held while a copy runs: one test alone at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The name under which the test harness knows test `function` of the
/// module at `module_path` (as `module_path!()` gives it, the crate's name
/// first, which the harness leaves out): what `--exact` selects.
pub fn test_name(module_path: &str, function: &str) -> String {
    match module_path.split_once("::") {
        Some((_crate, module)) => format!("{module}::{function}"),
        None => function.to_owned(),
    }
}

/// The name of the test whose function `F`, a closure, is written in:
/// from its type name, `crate::module::function::{{closure}}`.
///
/// The compiler does not promise that form; should it change, the name
/// comes out wrong, the copy runs no test, and [`run`] says so.
fn test_name_of<F>() -> String {
    let mut path = std::any::type_name::<F>();
    while let Some(outer) = path.strip_suffix("::{{closure}}") {
        path = outer;
    }
    match path.rsplit_once("::") {
        Some((module_path, function)) => test_name(module_path, function),
        None => path.to_owned(),
    }
}

/// Runs `test`, the body of a test (a closure written in the test's
/// function, which names the test), alone in a fresh process of this test
/// binary; returns once it passed there.
///
/// # Panics
///
/// If the test failed in that process (with its output), or did not run
/// there (when `test` is not written in the test's own function).
pub fn run<F: FnOnce()>(test: F) {
    let name = test_name_of::<F>();
    if std::env::var_os(RUN_ALONE).is_some_and(|value| value == name.as_str()) {
        test();
        let _ = writeln!(std::io::stdout().lock(), "{PASSED} {name}");
        return;
    }
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let (passed, output) = run_copy(&name);
    assert!(passed, "{name} failed alone (its output is above)");
    assert!(
        output.contains(&format!("{PASSED} {name}\n")),
        "{name} did not run alone (its output is above): is the closure given to \
         alone::run written in the test's function?"
    );
}

/// Runs test `name` in a copy of this test binary; returns whether it
/// passed and what it printed. Its output is passed on, to be shown as this
/// test's own: stdout line by line (a long test shows its progress with
/// `--nocapture`), stderr at the end.
#[allow(clippy::print_stdout, clippy::print_stderr)]
fn run_copy(name: &str) -> (bool, String) {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut copy = Command::new(exe)
        .args([
            name,
            "--exact",
            "--test-threads=1",
            "--nocapture",
            "--quiet",
        ])
        .env(RUN_ALONE, name)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the test binary again");
    let mut stderr = copy.stderr.take().expect("piped stderr");
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut output = String::new();
    for line in BufReader::new(copy.stdout.take().expect("piped stdout")).split(b'\n') {
        let line = line.expect("read the test binary's output");
        let line = String::from_utf8_lossy(&line);
        println!("{line}");
        output.push_str(&line);
        output.push('\n');
    }
    let status = copy.wait().expect("wait for the test binary");
    let errors = errors.join().expect("the stderr reader");
    eprint!("{errors}");
    output.push_str(&errors);
    (status.success(), output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_names_leave_the_crate_out() {
        assert_eq!(test_name("alone::leaks", "no_leak"), "leaks::no_leak");
        assert_eq!(test_name("engine::a::b", "f"), "a::b::f");
        assert_eq!(test_name("alone", "f"), "f");
    }

    fn name_of<F: FnOnce()>(_test: &F) -> String {
        test_name_of::<F>()
    }

    #[test]
    fn a_closure_names_the_test_it_is_written_in() {
        assert_eq!(
            name_of(&|| {}),
            "alone::tests::a_closure_names_the_test_it_is_written_in"
        );
        let nested = || name_of(&|| {});
        assert_eq!(
            nested(),
            "alone::tests::a_closure_names_the_test_it_is_written_in"
        );
    }
}
