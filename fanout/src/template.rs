//! Templates and their replacement strings (`{}`, `{.}`, `{/}`, `{//}`,
//! `{/.}`, `{#}`, `{%}`, `{N}` and `{N.}`…), with GNU parallel's meanings,
//! the arguments put in quoted for the shell (`shell`).

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// What a replacement string does to an argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transform {
    /// `{}`: as it is.
    Whole,
    /// `{.}`: without its extension.
    NoExtension,
    /// `{/}`: its basename.
    Basename,
    /// `{//}`: its directory (`.` for a bare name).
    Dirname,
    /// `{/.}`: its basename without the extension.
    BasenameNoExtension,
}

/// A piece of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    Literal(Vec<u8>),
    /// Blanks between words (only with context replace, `-X`).
    Blank(Vec<u8>),
    /// An argument: of one position (0-based; nothing when the job has
    /// fewer arguments), or all of them, space-separated.
    Argument(Option<usize>, Transform),
    /// `{#}`.
    Seq,
    /// `{%}`.
    Slot,
}

/// What a replacement string stands for, as `-I`, `--seqreplace`… name
/// it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Meaning {
    Argument(Transform),
    Seq,
}

/// How a template is read, as the options set it.
#[derive(Clone, Debug)]
pub(crate) struct Syntax {
    /// `{N}` names one of this many arguments (others are left as they
    /// are).
    pub(crate) columns: usize,
    /// A template with no replacement string gets ` {}` appended.
    pub(crate) append: bool,
    /// `-X`: a word holding `{}` is repeated for each argument.
    pub(crate) context: bool,
    /// Replacement strings renamed (`-I STR`…): the new name, and what it
    /// stands for; the default name (and its `{N…}` forms) no longer is one.
    pub(crate) renamed: Vec<(Vec<u8>, Meaning)>,
}

impl Syntax {
    /// GNU parallel's defaults for jobs of `columns` arguments.
    pub(crate) fn new(columns: usize, append: bool) -> Syntax {
        Syntax {
            columns,
            append,
            context: false,
            renamed: Vec::new(),
        }
    }

    fn is_renamed(&self, meaning: Meaning) -> bool {
        self.renamed.iter().any(|(_, m)| *m == meaning)
    }
}

/// A template, parsed once.
#[derive(Clone, Debug)]
pub(crate) struct Template {
    parts: Vec<Part>,
    context: bool,
}

/// What a job's expansion needs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Job<'a> {
    pub(crate) args: &'a [OsString],
    pub(crate) seq: u64,
    pub(crate) slot: usize,
}

impl Template {
    /// Parses `text`; `{N}` forms name one of `sources` input sources
    /// (others are left as they are). A template with no replacement
    /// string at all gets ` {}` appended, as GNU parallel does, unless
    /// `append` is false (`--tagstring`).
    #[cfg(test)]
    pub(crate) fn parse(text: &OsStr, sources: usize, append: bool) -> Template {
        Template::parse_with(text, &Syntax::new(sources, append))
    }

    /// Parses `text` as `syntax` says.
    pub(crate) fn parse_with(text: &OsStr, syntax: &Syntax) -> Template {
        let bytes = text.as_bytes();
        let mut parts = Vec::new();
        let mut literal = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            if let Some((part, len)) = replacement(&bytes[at..], syntax) {
                if !literal.is_empty() {
                    parts.push(Part::Literal(std::mem::take(&mut literal)));
                }
                parts.push(part);
                at += len;
                continue;
            }
            literal.push(bytes[at]);
            at += 1;
        }
        // Any replacement string, `{#}` and `{%}` too, stops the append.
        let has_replacement = parts.iter().any(|p| !matches!(p, Part::Literal(_)));
        if syntax.append && !has_replacement {
            literal.push(b' ');
            parts.push(Part::Literal(literal));
            parts.push(Part::Argument(None, Transform::Whole));
        } else if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        if syntax.context {
            parts = crate::context::split_blanks(parts);
        }
        Template {
            parts,
            context: syntax.context,
        }
    }

    /// Whether it holds any replacement string.
    pub(crate) fn has_replacement(&self) -> bool {
        self.parts
            .iter()
            .any(|p| !matches!(p, Part::Literal(_) | Part::Blank(_)))
    }

    /// The parsed pieces.
    pub(crate) fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// Whether a word holding `{}` is repeated for each argument (`-X`).
    pub(crate) fn is_context(&self) -> bool {
        self.context
    }

    /// The text for `job`, each argument shell-quoted when `quote` (a
    /// command) or as it is (a tag).
    pub(crate) fn expand(&self, job: Job<'_>, quote: bool) -> OsString {
        let mut out = Vec::new();
        if self.context {
            crate::context::expand_words(&self.parts, job, quote, &mut out);
        } else {
            expand_parts(&self.parts, job, None, quote, &mut out);
        }
        OsString::from_vec(out)
    }
}

/// Appends `parts` expanded for `job`; `{}` is `only` when given (one
/// argument of a repeated word), else all the job's arguments.
pub(crate) fn expand_parts(
    parts: &[Part],
    job: Job<'_>,
    only: Option<&OsString>,
    quote: bool,
    out: &mut Vec<u8>,
) {
    for part in parts {
        match part {
            Part::Literal(bytes) | Part::Blank(bytes) => out.extend_from_slice(bytes),
            Part::Seq => out.extend_from_slice(job.seq.to_string().as_bytes()),
            Part::Slot => out.extend_from_slice(job.slot.to_string().as_bytes()),
            Part::Argument(source, transform) => {
                let chosen = match (source, only) {
                    (Some(n), _) => job.args.get(*n..=*n).unwrap_or_default(),
                    (None, Some(arg)) => std::slice::from_ref(arg),
                    (None, None) => job.args,
                };
                for (i, arg) in chosen.iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    let value = apply(*transform, arg.as_bytes());
                    if quote {
                        crate::shell::quote_into(value, out);
                    } else {
                        out.extend_from_slice(value);
                    }
                }
            }
        }
    }
}

/// The replacement string at the start of `bytes`, and its length.
fn replacement(bytes: &[u8], syntax: &Syntax) -> Option<(Part, usize)> {
    for (name, meaning) in &syntax.renamed {
        if !name.is_empty() && bytes.starts_with(name) {
            let part = match *meaning {
                Meaning::Argument(transform) => Part::Argument(None, transform),
                Meaning::Seq => Part::Seq,
            };
            return Some((part, name.len()));
        }
    }
    if bytes.first() != Some(&b'{') {
        return None;
    }
    let (part, len) = braced(bytes, syntax.columns)?;
    let meaning = match part {
        Part::Argument(_, transform) => Meaning::Argument(transform),
        Part::Seq => Meaning::Seq,
        _ => return Some((part, len)),
    };
    (!syntax.is_renamed(meaning)).then_some((part, len))
}

/// The `{…}` replacement string at the start of `bytes`, and its length.
fn braced(bytes: &[u8], sources: usize) -> Option<(Part, usize)> {
    let end = bytes.iter().position(|&b| b == b'}')?;
    let inner = &bytes[1..end];
    let digits = inner.iter().take_while(|b| b.is_ascii_digit()).count();
    let (source, rest) = inner.split_at(digits);
    let source = match source {
        [] => None,
        digits => {
            let n: usize = std::str::from_utf8(digits).ok()?.parse().ok()?;
            if n == 0 || n > sources {
                return None;
            }
            Some(n - 1)
        }
    };
    let part = match (source, rest) {
        (None, b"#") => Part::Seq,
        (None, b"%") => Part::Slot,
        (_, b"") => Part::Argument(source, Transform::Whole),
        (_, b".") => Part::Argument(source, Transform::NoExtension),
        (_, b"/") => Part::Argument(source, Transform::Basename),
        (_, b"//") => Part::Argument(source, Transform::Dirname),
        (_, b"/.") => Part::Argument(source, Transform::BasenameNoExtension),
        _ => return None,
    };
    Some((part, end + 1))
}

pub(crate) fn apply(transform: Transform, arg: &[u8]) -> &[u8] {
    match transform {
        Transform::Whole => arg,
        Transform::NoExtension => no_extension(arg),
        Transform::Basename => basename(arg),
        Transform::Dirname => dirname(arg),
        Transform::BasenameNoExtension => no_extension(basename(arg)),
    }
}

/// `s:\.[^/.]*$::` (GNU parallel's `{.}`): `a.tar.gz` → `a.tar`,
/// `.bashrc` → ``, `a.b/c` → `a.b/c`.
fn no_extension(arg: &[u8]) -> &[u8] {
    match arg.iter().rposition(|&b| b == b'.' || b == b'/') {
        Some(dot) if arg[dot] == b'.' => &arg[..dot],
        _ => arg,
    }
}

/// `s:^.*/::`: what follows the last slash.
fn basename(arg: &[u8]) -> &[u8] {
    match arg.iter().rposition(|&b| b == b'/') {
        Some(slash) => &arg[slash + 1..],
        None => arg,
    }
}

/// Perl's `File::Basename::dirname`, which GNU parallel's `{//}` is: `a`
/// → `.`, `a/` → `.`, `/a` → `/`, `a/b/` → `a`.
fn dirname(arg: &[u8]) -> &[u8] {
    let (dir, base) = fileparse(arg);
    let dir = trim_slashes(dir);
    if base.is_empty() {
        return trim_slashes(fileparse(dir).0);
    }
    dir
}

/// Splits after the last slash; `./` when there is none.
fn fileparse(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|&b| b == b'/') {
        Some(slash) => (&path[..=slash], &path[slash + 1..]),
        None => (b"./", path),
    }
}

/// `s{(.)/*\z}{$1}`: trailing slashes go, unless only slashes are left.
fn trim_slashes(dir: &[u8]) -> &[u8] {
    let end = dir
        .iter()
        .rposition(|&b| b != b'/')
        .map_or(1, |last| last + 1);
    &dir[..end.min(dir.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(template: &str, args: &[&str], quote: bool) -> String {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let template = Template::parse(OsStr::new(template), args.len(), true);
        let job = Job {
            args: &args,
            seq: 7,
            slot: 2,
        };
        template.expand(job, quote).into_string().unwrap()
    }

    #[test]
    fn path_replacements_as_gnu_parallel() {
        // `parallel echo {//} {.} {/.} {/} ::: ...` on GNU parallel 20221122.
        let cases = [
            ("a", ". a a a"),
            ("a.b/c", "a.b a.b/c c c"),
            (".bashrc", ".   .bashrc"),
            ("dir/.hidden", "dir dir/  .hidden"),
            ("/a", "/ /a a a"),
            ("a/", ". a/  "),
            ("/x/y.tar.gz", "/x /x/y.tar y.tar y.tar.gz"),
        ];
        for (arg, expected) in cases {
            assert_eq!(
                expand("{//} {.} {/.} {/}", &[arg], false),
                expected,
                "{arg}"
            );
        }
    }

    #[test]
    fn quoting_as_gnu_parallel() {
        // `parallel --dry-run echo ::: ...` on GNU parallel 20221122.
        let cases = [
            ("a b", "echo 'a b'"),
            ("$x", "echo '$x'"),
            ("it's", "echo 'it'\"'\"'s'"),
            ("", "echo ''"),
            ("x;y*", "echo 'x;y*'"),
            ("a-b.c/d_e+f", "echo a-b.c/d_e+f"),
            ("a=b", "echo 'a=b'"),
        ];
        for (arg, expected) in cases {
            assert_eq!(expand("echo", &[arg], true), expected, "{arg}");
        }
    }

    #[test]
    fn sources_seq_and_slot() {
        assert_eq!(
            expand("echo {} {2}", &["a", "b c"], true),
            "echo a 'b c' 'b c'"
        );
        assert_eq!(expand("{1}-{2} {#} {%}", &["a", "x"], false), "a-x 7 2");
        // `{3}` of two sources, and unknown braces, stay as they are.
        assert_eq!(expand("{3} {x} {", &["a", "b"], false), "{3} {x} { a b");
        // `{#}` alone stops the append, as in GNU parallel.
        assert_eq!(expand("echo {#}", &["a"], true), "echo 7");
    }
}
