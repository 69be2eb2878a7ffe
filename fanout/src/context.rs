//! Context replace (`-X`, and `-N`, `-L` without `-m`), as GNU parallel
//! does it: the template is cut into words at blanks, and a word holding
//! `{}` (or another form of all the arguments) is repeated once per
//! argument, the copies space-separated: `echo a{}b c` of `1 2` is `echo
//! a1b a2b c`.

use crate::template::{expand_parts, Job, Part};

/// `parts` with each literal cut at its blanks (spaces and tabs), the
/// blanks kept as [`Part::Blank`].
pub(crate) fn split_blanks(parts: Vec<Part>) -> Vec<Part> {
    let mut split = Vec::with_capacity(parts.len());
    for part in parts {
        let Part::Literal(bytes) = part else {
            split.push(part);
            continue;
        };
        let mut start = 0;
        while start < bytes.len() {
            let blank = is_blank(bytes[start]);
            let len = bytes[start..]
                .iter()
                .take_while(|&&b| is_blank(b) == blank)
                .count();
            let piece = bytes[start..start + len].to_vec();
            split.push(if blank {
                Part::Blank(piece)
            } else {
                Part::Literal(piece)
            });
            start += len;
        }
    }
    split
}

fn is_blank(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

/// The words of `parts`: runs of pieces between blanks, each with whether
/// it holds all the arguments (so is repeated), and the blanks alone.
pub(crate) fn words(parts: &[Part]) -> impl Iterator<Item = (&[Part], bool)> {
    parts
        .chunk_by(|a, b| matches!(a, Part::Blank(_)) == matches!(b, Part::Blank(_)))
        .map(|word| {
            let repeated = word.iter().any(|p| matches!(p, Part::Argument(None, _)));
            (word, repeated)
        })
}

/// Appends `parts` expanded for `job`, each word holding `{}` once per
/// argument (once, `{}` put in as nothing, when the job has none: `-N 0`).
pub(crate) fn expand_words(parts: &[Part], job: Job<'_>, quote: bool, out: &mut Vec<u8>) {
    let each = job.args;
    for (word, repeated) in words(parts) {
        if !repeated || each.is_empty() {
            expand_parts(word, job, None, quote, out);
            continue;
        }
        for (i, arg) in each.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            expand_parts(word, job, Some(arg), quote, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use crate::template::{Syntax, Template};

    use std::ffi::OsString;

    use super::*;

    fn expand(template: &str, args: &[&str]) -> String {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let syntax = Syntax {
            context: true,
            ..Syntax::new(usize::MAX, true)
        };
        let template = Template::parse_with(OsStr::new(template), &syntax);
        let job = Job {
            args: &args,
            seq: 1,
            slot: 1,
        };
        template.expand(job, true).into_string().unwrap()
    }

    #[test]
    fn words_holding_the_argument_repeat_as_gnu_parallel() {
        // `parallel -j1 -X echo ...` on GNU parallel 20221122.
        assert_eq!(expand("echo a{}b c", &["1", "2"]), "echo a1b a2b c");
        assert_eq!(expand("echo a{}b {}c", &["1", "2"]), "echo a1b a2b 1c 2c");
        assert_eq!(
            expand("echo a{}b x{.}y", &["1", "2.c"]),
            "echo a1b a2.cb x1y x2y"
        );
        assert_eq!(expand("echo x{}", &["a b", "c"]), "echo x'a b' xc");
        assert_eq!(expand("echo", &["1", "2"]), "echo 1 2");
        assert_eq!(expand("echo {3}", &["a", "b", "c"]), "echo c");
    }
}
