//! The shell's quoting, both ways: an argument quoted for `sh` (GNU
//! parallel's way), and a command line split into words as a shell reads
//! it (`--ssh CMD`); and a lone simple command run with `exec`, so that
//! the shell does not stand between fanout and the program.

use std::borrow::Cow;

/// Appends `arg` quoted for a POSIX shell, as GNU parallel quotes: as it
/// is when made of letters, digits and `_-./+` only, else in single quotes
/// (a single quote itself as `'"'"'`). Any bytes, newlines and non-UTF-8
/// included, come out of the shell as they went in; the empty string is
/// `''`.
pub(crate) fn quote_into(arg: &[u8], out: &mut Vec<u8>) {
    let plain = |b: &u8| b.is_ascii_alphanumeric() || b"_-./+".contains(b);
    if !arg.is_empty() && arg.iter().all(plain) {
        out.extend_from_slice(arg);
        return;
    }
    out.push(b'\'');
    for &byte in arg {
        if byte == b'\'' {
            out.extend_from_slice(b"'\"'\"'");
        } else {
            out.push(byte);
        }
    }
    out.push(b'\'');
}

/// `arg` quoted for a POSIX shell ([`quote_into`]).
pub(crate) fn quote(arg: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(arg.len() + 2);
    quote_into(arg, &mut out);
    out
}

/// Splits `line` into words: on whitespace, with `'…'`, `"…"` and `\`
/// quoting as a shell reads them (no expansions).
///
/// # Errors
///
/// An unclosed quote (the message names `what`, the option), or no words.
pub(crate) fn split(what: &str, line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => words.extend(word.take()),
            '\'' | '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some(end) if end == c => break,
                        Some('\\') if c == '"' => w.extend(chars.next()),
                        Some(other) => w.push(other),
                        None => return Err(format!("{what}: unclosed {c} in {line:?}")),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    if words.is_empty() {
        return Err(format!("{what} needs a command"));
    }
    Ok(words)
}

/// Reserved words, and the builtins of `sh` (dash, bash's POSIX mode):
/// a first word that `exec` cannot run, or would run differently (`echo`
/// and `printf` are builtins with their own escapes).
const NOT_PROGRAMS: &[&str] = &[
    "!", "{", "}", "case", "do", "done", "elif", "else", "esac", "fi", "for", "function", "if",
    "in", "select", "then", "time", "until", "while", ".", ":", "[", "alias", "bg", "break",
    "builtin", "cd", "command", "continue", "declare", "echo", "eval", "exec", "exit", "export",
    "false", "fc", "fg", "getopts", "hash", "jobs", "kill", "let", "local", "newgrp", "printf",
    "pwd", "read", "readonly", "return", "set", "shift", "source", "test", "times", "trap", "true",
    "type", "typeset", "ulimit", "umask", "unalias", "unset", "wait",
];

/// The command line to give `sh -c`: with `exec ` in front when it is one
/// simple command that runs a program, so that the program replaces the
/// shell and fanout sees its own exit status, or the signal that killed
/// it (a shell that forks reports 128 + N instead). One simple command
/// here is words of plain characters and single-quoted strings, with no
/// operator, redirection, expansion, double quote, backslash or newline,
/// its first word a plain name that is no builtin or reserved word, nor
/// an assignment. Anything else is given as it is.
pub(crate) fn exec_simple(line: &[u8]) -> Cow<'_, [u8]> {
    if !is_simple(line) {
        return Cow::Borrowed(line);
    }
    let mut exec = b"exec ".to_vec();
    exec.extend_from_slice(line);
    Cow::Owned(exec)
}

/// Whether `line` is one simple command that runs a program
/// ([`exec_simple`]).
fn is_simple(line: &[u8]) -> bool {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let start = line.iter().position(|b| !blank(b)).unwrap_or(line.len());
    let first_len = line[start..].iter().take_while(|b| !blank(b)).count();
    let first = &line[start..start + first_len];
    let name = |b: &u8| b.is_ascii_alphanumeric() || b"_-./+".contains(b);
    let program = !first.is_empty()
        && first.iter().all(name)
        && !NOT_PROGRAMS.iter().any(|word| word.as_bytes() == first);
    program && plain_words(&line[start + first_len..])
}

/// Whether `rest` is words of plain characters and single-quoted strings
/// only: nothing the shell would read as an operator, a redirection, an
/// expansion or another quoting.
fn plain_words(rest: &[u8]) -> bool {
    let mut quoted = false;
    for &byte in rest {
        match byte {
            b'\'' => quoted = !quoted,
            _ if quoted => {}
            b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')' | b'$' | b'`' | b'\\' | b'"' => {
                return false
            }
            b'\n' | b'\r' | b'#' | b'{' | b'}' => return false,
            _ => {}
        }
    }
    !quoted
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    use std::process::Command;

    use super::*;

    /// Awkward arguments: spaces, both quotes, a newline, `$`, a
    /// backslash, non-UTF-8 bytes, the empty string.
    const AWKWARD: [&[u8]; 10] = [
        b"a b",
        b"it's",
        b"say \"hi\"",
        b"two\nlines",
        b"$HOME `id` $(id)",
        b"back\\slash",
        b"\xff\xfe not utf-8",
        b"",
        b"'",
        b"-n",
    ];

    /// What `sh -c SCRIPT` prints with `printf '%s\0'`, split at the NULs.
    fn printed_by_sh(script: &[u8]) -> Vec<Vec<u8>> {
        let out = Command::new("sh")
            .arg("-c")
            .arg(OsStr::from_bytes(script))
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let mut words: Vec<Vec<u8>> = out.stdout.split(|&b| b == 0).map(<[u8]>::to_vec).collect();
        words.pop(); // after the last NUL
        words
    }

    #[test]
    fn quoting_as_gnu_parallel() {
        // `parallel --dry-run echo ::: ...` on GNU parallel 20221122.
        let cases: [(&[u8], &[u8]); 8] = [
            (b"a b", b"'a b'"),
            (b"$x", b"'$x'"),
            (b"it's", b"'it'\"'\"'s'"),
            (b"", b"''"),
            (b"x;y*", b"'x;y*'"),
            (b"a-b.c/d_e+f", b"a-b.c/d_e+f"),
            (b"a=b", b"'a=b'"),
            (b"two\nlines", b"'two\nlines'"),
        ];
        for (arg, expected) in cases {
            assert_eq!(quote(arg), expected, "{:?}", String::from_utf8_lossy(arg));
        }
        assert_eq!(quote(b"\xff"), b"'\xff'");
    }

    #[test]
    fn the_shell_gets_every_argument_back_exactly() {
        let mut script = b"printf '%s\\0'".to_vec();
        for arg in AWKWARD {
            script.push(b' ');
            quote_into(arg, &mut script);
        }
        assert_eq!(printed_by_sh(&script), AWKWARD.map(<[u8]>::to_vec));
    }

    #[test]
    fn quoted_twice_it_survives_two_shells() {
        // As over ssh: the command line quoted for the local `sh -c`,
        // whose whole text is quoted again for the remote shell.
        for arg in AWKWARD {
            let mut inner = b"printf '%s\\0' ".to_vec();
            quote_into(arg, &mut inner);
            let mut outer = b"sh -c ".to_vec();
            quote_into(&inner, &mut outer);
            assert_eq!(printed_by_sh(&outer), [arg.to_vec()], "{outer:?}");
        }
    }

    #[test]
    fn command_words() {
        assert_eq!(
            split("--ssh", "ssh -F '/a b/c' -o \"X=1\" a\\ b \"q\\\"\"").unwrap(),
            ["ssh", "-F", "/a b/c", "-o", "X=1", "a b", "q\""]
        );
        assert!(split("--ssh", "  ").is_err());
        let unclosed = split("--ssh", "ssh 'x").unwrap_err();
        assert_eq!(unclosed, "--ssh: unclosed ' in \"ssh 'x\"");
    }

    #[test]
    fn a_lone_simple_command_is_run_with_exec() {
        let exec = |line: &str| String::from_utf8(exec_simple(line.as_bytes()).into_owned());
        for (line, expected) in [
            ("sleep 100", "exec sleep 100"),
            ("  gzip -k 'a b.log'", "exec   gzip -k 'a b.log'"),
            ("./run.sh x=1 *.c ~/y", "exec ./run.sh x=1 *.c ~/y"),
            ("/bin/echo 'it'\"'\"'s'", "/bin/echo 'it'\"'\"'s'"),
        ] {
            assert_eq!(exec(line).unwrap(), expected, "{line}");
        }
        for line in [
            "",
            "   ",
            "exit 3",
            "echo a",
            "cd /tmp",
            "X=1 env",
            "sleep 1; echo done",
            "sleep 1 && echo done",
            "sleep 1 &",
            "cat < f",
            "ls > f",
            "a | b",
            "echo $HOME",
            "seq `n`",
            "say \"hi\"",
            "a\\ b",
            "sleep 1\necho",
            "if true; then :; fi",
            "{ sleep 1; }",
            "sleep 'unclosed",
            "(sleep 1)",
            "sleep 1 # comment",
        ] {
            assert_eq!(exec(line).unwrap(), line, "{line:?}");
        }
        assert_eq!(
            exec_simple(b"cat '\xff'").as_ref(),
            b"exec cat '\xff'".as_slice()
        );
    }
}
