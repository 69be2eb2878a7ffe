//! `--tag` (the arguments and a TAB), `--tagstring STR` (STR expanded and
//! a TAB) and fanout's `--seq-tag` (`[N] `), in line mode, `--group` and
//! `-k`. The expected outputs are GNU parallel's (20221122).

use crate::support::run;

#[test]
fn tag_is_the_arguments_and_a_tab() {
    for mode in ["--line-buffer", "--group"] {
        let ran = run(&["-k", mode, "--tag", "echo", ":::", "a", "b c"]);
        assert_eq!(ran.stdout, "a\ta\nb c\tb c\n", "{mode}");
        let ran = run(&["-k", mode, "--tag", "echo", ":::", "a", ":::", "x", "y"]);
        assert_eq!(ran.stdout, "a x\ta x\na y\ta y\n", "{mode}");
    }
}

#[test]
fn tagstring_expands_and_ends_with_a_tab() {
    let ran = run(&["-k", "--tagstring", "[{#}]", "echo", ":::", "a", "b"]);
    assert_eq!(ran.stdout, "[1]\ta\n[2]\tb\n");
    let ran = run(&[
        "-k",
        "--tagstring",
        "{1}-{2}",
        "echo",
        ":::",
        "a",
        ":::",
        "x",
    ]);
    assert_eq!(ran.stdout, "a-x\ta x\n");
}

#[test]
fn every_line_is_tagged_stderr_too() {
    let ran = run(&[
        "-k",
        "--tag",
        "--no-summary",
        "printf 'x\\ny\\n'; echo e >&2; : {}",
        ":::",
        "1",
        "2",
    ]);
    assert_eq!(ran.stdout, "1\tx\n1\ty\n2\tx\n2\ty\n");
    assert_eq!(ran.stderr, "1\te\n2\te\n");
}

#[test]
fn seq_tag_is_fanouts_own() {
    let ran = run(&["-k", "--seq-tag", "echo", ":::", "a", "b"]);
    assert_eq!(ran.stdout, "[1] a\n[2] b\n");
}
