//! The shell's quoting, both ways: an argument quoted for `sh` (GNU
//! parallel's way), and a command line split into words as a shell reads
//! it (`--ssh CMD`).

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
}
