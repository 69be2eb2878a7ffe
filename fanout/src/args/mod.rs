//! How input arguments become jobs, with GNU parallel's options: several
//! arguments a job (`-n`, `-N`, `-m`, `-X`, `--xargs`, `-L`, `-s`) within
//! the command line's length limit (`limit`), grouped by `batch`; the
//! replacement strings renamed (`-I`, `--extensionreplace`…); and what is
//! read as an argument (`-d`, `-E`, `-r`).

pub(crate) mod batch;
pub(crate) mod limit;
pub(crate) mod quote;

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use crate::cli::Config;
use crate::inputs::Reading;
use crate::options::Key;
use crate::template::{Meaning, Syntax, Template, Transform};
use crate::values::number;
use batch::{Batcher, Grouping, Measure};

/// What the command line says about arguments and jobs.
#[derive(Clone, Debug, Default)]
pub(crate) struct Arguments {
    /// `-n`, `-N`, `-L`: the most input lines (records) one job takes.
    pub(crate) most: Option<usize>,
    /// `-N`: `{1}`..`{N}` name the job's arguments.
    pub(crate) exact: bool,
    /// `-m`, `-X`, `--xargs`: as many as the length limit allows.
    pub(crate) fill: bool,
    /// `-m`, `-X`: the last arguments spread over the job slots.
    pub(crate) spread: bool,
    /// `-X` (and `-N`, `-L` without `-m`, `--xargs`): a word holding `{}`
    /// is repeated for each argument.
    pub(crate) context: bool,
    /// `-m` or `--xargs` given: no context replace whatever else says.
    pub(crate) no_context: bool,
    /// `-s`: the longest command line, in bytes (less than it, as GNU).
    pub(crate) max_chars: Option<usize>,
    /// `-I`, `--extensionreplace`…: replacement strings renamed.
    pub(crate) renamed: Vec<(Vec<u8>, Meaning)>,
    /// `-d`: the delimiter of arguments from stdin and files.
    pub(crate) delimiter: Option<Vec<u8>>,
    /// `-E`: the line that ends the input.
    pub(crate) eof: Option<OsString>,
    /// `-r`: blank arguments are skipped.
    pub(crate) skip_blank: bool,
    /// `--link`, `:::+`, `::::+`.
    pub(crate) links: crate::linked::Links,
    /// `-q`: each word of the template quoted whole.
    pub(crate) quote: bool,
    /// `--colsep REGEX`: each argument split into columns, `{1}`….
    pub(crate) colsep: Option<regex::bytes::Regex>,
}

impl Arguments {
    /// Whether several arguments may go to one job, or the length limit
    /// was set: then jobs are grouped ([`batch::Batcher`]).
    pub(crate) fn groups(&self) -> bool {
        self.most.is_some() || self.fill || self.max_chars.is_some()
    }

    /// The template's syntax, for jobs of `sources` input sources.
    pub(crate) fn syntax(&self, sources: usize, append: bool) -> Syntax {
        let columns = match (self.fill, self.most) {
            _ if self.colsep.is_some() => usize::MAX,
            (true, _) => usize::MAX,
            (false, Some(most)) => sources.saturating_mul(most.max(1)),
            (false, None) => sources,
        };
        Syntax {
            context: self.context && !self.no_context,
            renamed: self.renamed.clone(),
            ..Syntax::new(columns, append)
        }
    }
}

/// How `config`'s sources are read (`-0`, `-d`, `-E`, `-r`).
pub(crate) fn reading(config: &Config) -> Reading {
    let arguments = &config.args;
    let delimiter = match (&arguments.delimiter, config.null) {
        (Some(delimiter), _) => delimiter.clone(),
        (None, true) => vec![0],
        (None, false) => vec![b'\n'],
    };
    Reading {
        delimiter,
        eof: arguments.eof.clone(),
        skip_blank: arguments.skip_blank,
        links: arguments.links.clone(),
        colsep: arguments.colsep.clone(),
    }
}

/// The grouping of `config`'s jobs of `sources` input sources, if it
/// asks for one, and the warning about `-s`, if any.
pub(crate) fn batcher(config: &Config, sources: usize) -> (Option<Batcher>, Option<String>) {
    let arguments = &config.args;
    if !arguments.groups() {
        return (None, None);
    }
    let (limit, warning) = limit::limit(arguments.max_chars);
    let template = (!config.template.is_empty()).then(|| {
        let text = crate::launch::join(&config.template);
        Template::parse_with(&text, &arguments.syntax(sources, true))
    });
    let slots = match config.hosts.is_empty() {
        true => config.jobs,
        false => config
            .hosts
            .iter()
            .map(|h| h.slots.unwrap_or(config.jobs))
            .sum(),
    };
    let most = match (arguments.fill, arguments.most) {
        (_, Some(most)) => most.max(1),
        (true, None) => usize::MAX,
        (false, None) => 1,
    };
    let grouping = Grouping {
        most,
        drop_args: arguments.exact && arguments.most == Some(0),
        spread_over: (arguments.spread && slots > 1).then_some(slots),
        limit,
        from_option: arguments.max_chars.is_some() && warning.is_none(),
    };
    let measure = Measure::of(template.as_ref());
    (Some(Batcher::new(grouping, measure)), warning)
}

/// Refuses what fanout cannot do with `config`'s templates: a `{= perl
/// =}` replacement string.
///
/// # Errors
///
/// A message naming the string.
pub(crate) fn check(config: &Config) -> Result<(), String> {
    let tagstring = match &config.tag {
        crate::cli::Tag::String(text) => Some(text.as_bytes()),
        _ => None,
    };
    let template = crate::launch::join(&config.template);
    for text in std::iter::once(template.as_bytes()).chain(tagstring) {
        if let Some(start) = find(text, b"{=") {
            if let Some(len) = find(&text[start..], b"=}") {
                let string = String::from_utf8_lossy(&text[start..start + len + 2]);
                return Err(perl("the replacement string", &string));
            }
        }
    }
    Ok(())
}

fn find(text: &[u8], what: &[u8]) -> Option<usize> {
    text.windows(what.len()).position(|w| w == what)
}

/// The message for a Perl expression, which fanout does not run.
fn perl(what: &str, given: &str) -> String {
    format!("{what} {given:?} is Perl code, which fanout does not run (no {{= perl =}} nor --rpl)")
}

/// When the input stopped on a record too long: says so on stderr, and
/// the exit status (255).
pub(crate) fn stopped(inputs: &crate::inputs::Inputs) -> Option<u8> {
    let error = inputs.error()?;
    eprintln!("fanout: {error}");
    Some(255)
}

/// Applies one of the options of this module, `name` as given.
///
/// # Errors
///
/// A message naming the option and its value.
pub(crate) fn option(
    arguments: &mut Arguments,
    key: Key,
    name: &str,
    parser: &mut lexopt::Parser,
) -> Result<(), String> {
    let text = |value: OsString| -> Result<String, String> {
        value
            .into_string()
            .map_err(|v| format!("{name} needs a text value, not {v:?}"))
    };
    match key {
        Key::MaxArgs => arguments.most = Some(number(name, &text(value(parser)?)?, 1)?),
        Key::ExactArgs => {
            arguments.most = Some(number(name, &text(value(parser)?)?, 0)?);
            arguments.exact = true;
            arguments.context = true;
        }
        Key::MaxLines | Key::Lines => {
            let given = match key {
                Key::MaxLines => Some(value(parser)?),
                _ => parser.optional_value(),
            };
            let lines = match given {
                Some(value) => number(name, &text(value)?, 0)?.max(1),
                None => 1,
            };
            arguments.most = Some(lines);
            arguments.context = true;
        }
        Key::Multiple | Key::Xargs => {
            arguments.fill = true;
            arguments.spread |= key == Key::Multiple;
            arguments.no_context = true;
        }
        Key::ContextReplace => {
            (arguments.fill, arguments.spread, arguments.context) = (true, true, true);
        }
        Key::MaxChars => arguments.max_chars = Some(number(name, &text(value(parser)?)?, 1)?),
        Key::ExitTooLong => {}
        _ => return renamed(arguments, key, name, parser),
    }
    Ok(())
}

fn value(parser: &mut lexopt::Parser) -> Result<OsString, String> {
    parser.value().map_err(|e| e.to_string())
}

/// The options that rename a replacement string, and those of input.
fn renamed(
    arguments: &mut Arguments,
    key: Key,
    name: &str,
    parser: &mut lexopt::Parser,
) -> Result<(), String> {
    let meaning = match key {
        Key::Replace | Key::ReplaceDefault => Meaning::Argument(Transform::Whole),
        Key::ExtensionReplace => Meaning::Argument(Transform::NoExtension),
        Key::BasenameReplace => Meaning::Argument(Transform::Basename),
        Key::DirnameReplace => Meaning::Argument(Transform::Dirname),
        Key::BasenameExtensionReplace => Meaning::Argument(Transform::BasenameNoExtension),
        Key::SeqReplace => Meaning::Seq,
        _ => return input(arguments, key, name, parser),
    };
    let string = match key {
        Key::ReplaceDefault => parser.optional_value().unwrap_or_else(|| "{}".into()),
        _ => value(parser)?,
    };
    if string.is_empty() {
        return Err(format!("{name} needs a replacement string, not \"\""));
    }
    arguments.renamed.retain(|(_, m)| *m != meaning);
    arguments.renamed.push((string.into_vec(), meaning));
    // The longest first, so that one name is never cut by a shorter.
    arguments
        .renamed
        .sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
    Ok(())
}

/// `-d`, `-E`, `-r`.
fn input(
    arguments: &mut Arguments,
    key: Key,
    name: &str,
    parser: &mut lexopt::Parser,
) -> Result<(), String> {
    match key {
        Key::Delimiter => {
            let given = value(parser)?;
            arguments.delimiter = Some(delimiter(name, given.as_bytes())?);
        }
        Key::Eof => arguments.eof = Some(value(parser)?),
        Key::EofDefault => arguments.eof = parser.optional_value(),
        Key::NoRunIfEmpty => arguments.skip_blank = true,
        Key::Link => arguments.links.all = true,
        Key::Quote => arguments.quote = true,
        Key::Colsep => {
            let given = value(parser)?.to_string_lossy().into_owned();
            let regex = regex::bytes::Regex::new(&given)
                .map_err(|e| format!("{name} needs a regular expression, not {given:?}: {e}"))?;
            arguments.colsep = Some(regex);
        }
        Key::Rpl => {
            let given = value(parser)?;
            return Err(perl(name, &given.to_string_lossy()));
        }
        _ => unreachable!("{name} is not an option of arguments"),
    }
    Ok(())
}

/// `-d DELIM`: the bytes given, or a C escape of one (`\n`, `\t`, `\0`,
/// `\\`, `\xHH`, `\NNN` in octal), as GNU parallel reads it.
fn delimiter(name: &str, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let escaped = match bytes {
        [] => None,
        [b'\\', ..] => escape(bytes),
        _ => return Ok(bytes.to_vec()),
    };
    escaped.map(|byte| vec![byte]).ok_or_else(|| {
        let text = String::from_utf8_lossy(bytes);
        format!("{name} needs a delimiter (text, or \\n, \\t, \\0, \\xHH, \\NNN), not {text:?}")
    })
}

/// A C escape of one byte.
fn escape(bytes: &[u8]) -> Option<u8> {
    match bytes {
        [b'\\', b'n'] => Some(b'\n'),
        [b'\\', b't'] => Some(b'\t'),
        [b'\\', b'r'] => Some(b'\r'),
        [b'\\', b'a'] => Some(7),
        [b'\\', b'b'] => Some(8),
        [b'\\', b'f'] => Some(12),
        [b'\\', b'v'] => Some(11),
        [b'\\', b'\\'] => Some(b'\\'),
        [b'\\', b'x', hex @ ..] => std::str::from_utf8(hex)
            .ok()
            .and_then(|h| u8::from_str_radix(h, 16).ok()),
        [b'\\', octal @ ..] => std::str::from_utf8(octal)
            .ok()
            .and_then(|o| u8::from_str_radix(o, 8).ok()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_as_gnu_parallel() {
        let cases = [
            (",", &b","[..]),
            ("::", b"::"),
            ("\\n", b"\n"),
            ("\\t", b"\t"),
            ("\\0", b"\0"),
            ("\\x41", b"A"),
            ("\\101", b"A"),
            ("\\\\", b"\\"),
        ];
        for (text, bytes) in cases {
            assert_eq!(
                delimiter("-d", text.as_bytes()),
                Ok(bytes.to_vec()),
                "{text}"
            );
        }
        assert!(delimiter("-d", b"\\q").is_err());
        assert!(delimiter("-d", b"").is_err());
    }
}
