//! A shell only where the command needs one: as GNU make does, a command
//! line with no shell syntax is split into words here and its program
//! exec'd directly, one exec and no shell's start-up; any other line goes
//! to `sh -c`.
//!
//! A line runs directly when it has none of `$`, `` ` ``, `\`, `*`, `?`,
//! `[`, `]`, `~`, `#`, `;`, `|`, `&`, `<`, `>`, `(`, `)`, `{`, `}`, `!`,
//! `^`, a newline or a carriage return outside quotes, no `=` in its first
//! word (an assignment), no quote that fanout did not add itself, and its
//! first word is no reserved word nor a builtin of `sh` (`true` too: the
//! builtin costs the shell's start-up alone, less than the program's own,
//! measured in docs/BENCHMARKS.md). Words are
//! separated by spaces and tabs only, as `sh` reads such a line, and the
//! quotes fanout put around a substituted argument are taken off exactly
//! as `sh` takes them off.
//!
//! The program is looked up in `PATH` once per run (a name with a `/` at
//! every job), as `sh` looks it up. A program that is not found, is not
//! an executable file, or starts with neither `#!` nor an ELF header (a
//! script `sh` would run itself) goes to `sh -c` too, so that its exit
//! status (127, 126) and its message on the job's stderr are `sh`'s own.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Reserved words and the builtins of `sh` (dash, bash's POSIX mode) that
/// a direct exec would run differently, or not at all.
const SHELL_WORDS: &[&[u8]] = &[
    b"!",
    b"{",
    b"}",
    b"case",
    b"do",
    b"done",
    b"elif",
    b"else",
    b"esac",
    b"fi",
    b"for",
    b"function",
    b"if",
    b"in",
    b"select",
    b"then",
    b"time",
    b"until",
    b"while",
    b".",
    b":",
    b"[",
    b"alias",
    b"bg",
    b"break",
    b"builtin",
    b"cd",
    b"command",
    b"continue",
    b"declare",
    b"echo",
    b"eval",
    b"exec",
    b"exit",
    b"export",
    b"false",
    b"fc",
    b"fg",
    b"getopts",
    b"hash",
    b"jobs",
    b"kill",
    b"let",
    b"local",
    b"newgrp",
    b"printf",
    b"pwd",
    b"read",
    b"readonly",
    b"return",
    b"set",
    b"shift",
    b"source",
    b"test",
    b"times",
    b"trap",
    b"true",
    b"type",
    b"typeset",
    b"ulimit",
    b"umask",
    b"unalias",
    b"unset",
    b"wait",
];

/// Bytes that make a line need the shell, outside quotes.
const SHELL_SYNTAX: &[u8] = b"$`\\*?[]~#;|&<>(){}!^\n\r";

/// How a run's local jobs start: the programs found so far, `sh` among
/// them.
pub(crate) struct Direct {
    /// Whether every quote in a command line is one fanout added around a
    /// substituted argument (a template with no quote of its own).
    quotes_are_ours: bool,
    /// `PWD` as `sh` exports it: the inherited one if it names the
    /// current directory, else the current directory.
    pwd: Option<OsString>,
    found: RefCell<HashMap<Vec<u8>, Option<PathBuf>>>,
}

impl Direct {
    /// For command lines from `template` (the words of the command, empty
    /// when each argument is a command line).
    pub(crate) fn new(template: &[OsString]) -> Direct {
        let quotes_are_ours = !template.is_empty()
            && template
                .iter()
                .all(|word| !word.as_bytes().iter().any(|b| b"'\"".contains(b)));
        Direct {
            quotes_are_ours,
            pwd: pwd(),
            found: RefCell::default(),
        }
    }

    /// The command for `line`: its program exec'd directly when it needs
    /// no shell; else `sh -c LINE`, as it is when only the program could
    /// not be found, with `exec` in front of a lone simple command
    /// otherwise ([`crate::shell::exec_simple`]).
    pub(crate) fn command(&self, line: &OsStr) -> Command {
        let script = match split(line.as_bytes(), self.quotes_are_ours) {
            Some(words) => match self.find(&words[0]) {
                Some(path) => {
                    let mut command = Command::new(path);
                    command.arg0(OsStr::from_bytes(&words[0]));
                    command.args(words[1..].iter().map(|w| OsStr::from_bytes(w)));
                    if let Some(pwd) = &self.pwd {
                        command.env("PWD", pwd);
                    }
                    return command;
                }
                // As it is: `sh`'s message names the program alone.
                None => std::borrow::Cow::Borrowed(line.as_bytes()),
            },
            None => crate::shell::exec_simple(line.as_bytes()),
        };
        let mut sh = match self.find(b"sh") {
            Some(path) => {
                let mut sh = Command::new(path);
                sh.arg0("sh");
                sh
            }
            None => Command::new("sh"),
        };
        sh.arg("-c").arg(OsStr::from_bytes(&script));
        sh
    }

    /// Where `sh` would find `name`, if it is a program fanout can exec.
    fn find(&self, name: &[u8]) -> Option<PathBuf> {
        if name.contains(&b'/') {
            let path = Path::new(OsStr::from_bytes(name));
            return runnable(path).then(|| path.to_path_buf());
        }
        let mut found = self.found.borrow_mut();
        found
            .entry(name.to_vec())
            .or_insert_with(|| search_path(name))
            .clone()
    }
}

/// `PWD` as `sh` sets and exports it at its start.
fn pwd() -> Option<OsString> {
    let here = std::fs::metadata(".").ok()?;
    let same = |dir: &OsString| {
        dir.as_bytes().starts_with(b"/")
            && std::fs::metadata(dir).is_ok_and(|m| (m.dev(), m.ino()) == (here.dev(), here.ino()))
    };
    match std::env::var_os("PWD") {
        Some(dir) if same(&dir) => Some(dir),
        _ => std::env::current_dir().ok().map(PathBuf::into_os_string),
    }
}

/// `name` looked up in `PATH` as `sh` does (an empty entry is the current
/// directory).
fn search_path(name: &[u8]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    path.as_bytes().split(|&b| b == b':').find_map(|dir| {
        let dir = if dir.is_empty() { b".".as_slice() } else { dir };
        let mut candidate = dir.to_vec();
        candidate.push(b'/');
        candidate.extend_from_slice(name);
        let candidate = PathBuf::from(OsString::from_vec(candidate));
        runnable(&candidate).then_some(candidate)
    })
}

/// Whether `path` is a regular file this process may execute, that starts
/// as a program or a `#!` script (what `execve` runs; `sh` would run any
/// other file as a script of its own).
fn runnable(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    let mode = meta.permissions().mode();
    let euid = rustix::process::geteuid();
    let allowed = if euid.is_root() {
        mode & 0o111 != 0
    } else if meta.uid() == euid.as_raw() {
        mode & 0o100 != 0
    } else if meta.gid() == rustix::process::getegid().as_raw() {
        mode & 0o010 != 0
    } else {
        mode & 0o001 != 0
    };
    if !meta.is_file() || !allowed {
        return false;
    }
    let mut head = [0u8; 4];
    let read = std::fs::File::open(path).and_then(|mut file| file.read(&mut head));
    matches!(read, Ok(n) if head[..n].starts_with(b"#!") || head[..n] == *b"\x7fELF")
}

/// The words of `line` as `sh` would read them, or `None` if it needs the
/// shell. `quotes_allowed`: a quote is one fanout added (`'…'`, and `"'"`
/// for a single quote within).
pub(crate) fn split(line: &[u8], quotes_allowed: bool) -> Option<Vec<Vec<u8>>> {
    let mut words: Vec<Vec<u8>> = Vec::new();
    let mut word: Option<Vec<u8>> = None;
    let mut bytes = line.iter();
    while let Some(&byte) = bytes.next() {
        match byte {
            b' ' | b'\t' => words.extend(word.take()),
            b'\'' | b'"' if quotes_allowed => {
                let w = word.get_or_insert_with(Vec::new);
                loop {
                    match bytes.next() {
                        Some(&end) if end == byte => break,
                        Some(b'$' | b'`' | b'\\') if byte == b'"' => return None,
                        Some(&other) => w.push(other),
                        None => return None,
                    }
                }
            }
            b'\'' | b'"' => return None,
            _ if SHELL_SYNTAX.contains(&byte) => return None,
            b'=' if words.is_empty() => return None,
            _ => word.get_or_insert_with(Vec::new).push(byte),
        }
    }
    words.extend(word);
    let first = words.first()?;
    (!SHELL_WORDS.contains(&first.as_slice())).then_some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str, quotes: bool) -> Option<Vec<String>> {
        let words = split(line.as_bytes(), quotes)?;
        Some(
            words
                .into_iter()
                .map(|w| String::from_utf8(w).unwrap())
                .collect(),
        )
    }

    #[test]
    fn plain_lines_are_split_on_blanks() {
        assert_eq!(words("ls", false).unwrap(), ["ls"]);
        assert_eq!(
            words("  gzip\t-k  a.log ", false).unwrap(),
            ["gzip", "-k", "a.log"]
        );
        assert_eq!(words("env x=1 a%b", false).unwrap(), ["env", "x=1", "a%b"]);
        assert_eq!(
            words("cat 'a b' ''  'it'\"'\"'s'x", true).unwrap(),
            ["cat", "a b", "", "it'sx"]
        );
    }

    #[test]
    fn shell_syntax_keeps_the_shell() {
        for line in [
            "",
            "  ",
            "true;",
            "a | b",
            "a && b",
            "a &",
            "cat < f",
            "ls > f",
            "echo $HOME",
            "seq `n`",
            "(a)",
            "ls *.c",
            "ls a?",
            "ls [ab]",
            "ls ~/x",
            "a # c",
            "a\nb",
            "X=1 env",
            "echo hi",
            "cd /",
            "exit 3",
            "if",
            "{ a; }",
            "a\\ b",
            "a {x}",
            "! a",
            "true",
            "false 1",
        ] {
            assert_eq!(words(line, false), None, "{line:?}");
        }
        assert_eq!(words("cat 'a b'", false), None);
        assert_eq!(words("cat \"$x\"", true), None);
        assert_eq!(words("cat 'open", true), None);
    }
}
