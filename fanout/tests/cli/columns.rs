//! Columns (`--colsep REGEX`, `{1}`…), beside GNU parallel; an invalid
//! regular expression is refused.

use crate::gnu::same_with_stdin;
use crate::support::run;

#[test]
fn colsep_splits_each_argument_into_columns() {
    let (out, _) = same_with_stdin(
        &["-k", "--colsep", "\\t", "echo", "{2}", "{1}"],
        b"a\tb\nc\td\n",
    );
    assert_eq!(out, "b a\nd c\n");
    same_with_stdin(&["-k", "--colsep", ",", "echo", "{3}-{1}"], b"a,b\nc,d,e\n");
    same_with_stdin(&["-k", "--colsep", " +", "echo", "{2}"], b"a  b\n");
    same_with_stdin(
        &["-k", "-0", "--colsep", "\\t", "echo", "{2}"],
        b"a\tb\0c\td\0",
    );
    same_with_stdin(&["-k", "--colsep", ",", "echo"], b"a,b\n");
    same_with_stdin(&["-k", "--tag", "--colsep", ",", "echo", "{2}"], b"a,b\n");
}

#[test]
fn an_invalid_regex_is_refused() {
    // GNU parallel dies in Perl (exit 25); fanout says so, exit 255.
    let ran = run(&["--colsep", "(", "echo", ":::", "a"]);
    assert_eq!(ran.code(), 255, "{ran:?}");
    let first = ran.stderr.lines().next().unwrap();
    assert!(
        first.contains("--colsep") && first.contains("\"(\""),
        "{first}"
    );
}
