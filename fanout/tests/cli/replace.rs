//! Replacement strings renamed (`-I`, `-i`, `--extensionreplace`,
//! `--basenamereplace`, `--dirnamereplace`, `--basenameextensionreplace`,
//! `--seqreplace`), beside GNU parallel; and Perl expressions (`{= =}`,
//! `--rpl`) refused with a message, never put in as text.

use crate::gnu::same;
use crate::support::run;

#[test]
fn replace_string_renames_the_argument() {
    assert_eq!(
        same(&["-k", "-I", ",,", "echo", ",,", "{}", "{.}", "{1}", ":::", "a.x"]),
        "a.x {} a {1}\n"
    );
    same(&["-k", "-i,,", "echo", ",,", "{}", ":::", "a"]);
    same(&[
        "-k", "-j1", "-I", ",,", "-X", "echo", "x,,y", ":::", "a", "b",
    ]);
    same(&["-k", "-I", "{}", "echo", "{}", ":::", "a b"]);
}

#[test]
fn the_other_strings_renamed() {
    let args = [
        "-k",
        "--er",
        ",,",
        "--bnr",
        "//",
        "--dnr",
        "@@",
        "--bner",
        "%%",
        "--seqreplace",
        "##",
        "echo",
        ",,",
        "//",
        "@@",
        "%%",
        "##",
        "{.}",
        "{/}",
        "{#}",
        ":::",
        "d/a.x",
    ];
    assert_eq!(same(&args), "d/a a.x d a 1 {.} {/} {#}\n");
    same(&[
        "-k",
        "--extensionreplace",
        "E",
        "--basenamereplace",
        "B",
        "echo",
        "E",
        "B",
        ":::",
        "x/y.z",
    ]);
}

#[test]
fn perl_expressions_are_refused() {
    for args in [
        &["echo", "{= s/a/b/ =}", ":::", "a"][..],
        &["--tagstring", "{=1 uc =}", "echo", ":::", "a"],
        &["--rpl", "{x} s/a/b/", "echo", "{x}", ":::", "a"],
    ] {
        let ran = run(args);
        assert_eq!((ran.code(), ran.stdout.as_str()), (255, ""), "{args:?}");
        let first = ran.stderr.lines().next().unwrap();
        assert!(
            first.contains("Perl") && first.contains("s/a/b/") || first.contains("uc"),
            "{first}"
        );
    }
}

#[test]
fn quote_runs_the_words_as_typed() {
    same(&["-q", "-k", "echo", "a  b", "{}", ":::", "x"]);
    same(&["-q", "-k", "echo", "$HOME;", ":::", "x"]);
    same(&["-q", "-k", "echo", "a {} b", ":::", "x y"]);
    same(&["-q", "-k", "-N2", "echo", "{2}", "{1}", ":::", "a", "b"]);
    assert_eq!(
        same(&["--quote", "-k", "sh", "-c", "echo $0", ":::", "x"]),
        "x\n"
    );
}
