//! `-q` (`--quote`): each word of the template is quoted for the shell
//! after its replacement strings are put in (the arguments as they are),
//! so that the command runs as typed, with no shell code: `fanout -q awk
//! '{print $1}' ::: f` runs `awk '{print $1}' f`, as GNU parallel does.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use crate::template::{Job, Syntax, Template};

/// A template whose words are quoted whole.
#[derive(Clone, Debug)]
pub(crate) struct QuotedTemplate {
    words: Vec<Template>,
    /// No word holds a replacement string: the arguments follow, each a
    /// word.
    append: bool,
}

impl QuotedTemplate {
    /// The words of `template`, read as `syntax` says.
    pub(crate) fn parse(template: &[OsString], syntax: &Syntax) -> QuotedTemplate {
        let syntax = Syntax {
            append: false,
            context: false,
            ..syntax.clone()
        };
        let words: Vec<Template> = template
            .iter()
            .map(|word| Template::parse_with(word, &syntax))
            .collect();
        let append = !words.iter().any(Template::has_replacement);
        QuotedTemplate { words, append }
    }

    /// The command line of `job`.
    pub(crate) fn expand(&self, job: Job<'_>) -> OsString {
        let mut out = Vec::new();
        let appended = job.args.iter().filter(|_| self.append).cloned();
        let words = self.words.iter().map(|word| word.expand(job, false));
        for (i, word) in words.chain(appended).enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            crate::shell::quote_into(word.as_bytes(), &mut out);
        }
        OsString::from_vec(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(template: &[&str], args: &[&str]) -> String {
        let template: Vec<OsString> = template.iter().map(OsString::from).collect();
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let quoted = QuotedTemplate::parse(&template, &Syntax::new(args.len(), true));
        let job = Job {
            args: &args,
            seq: 1,
            slot: 1,
        };
        quoted.expand(job).into_string().unwrap()
    }

    #[test]
    fn words_quoted_whole_as_gnu_parallel() {
        // `parallel -q --dry-run ...` on GNU parallel 20221122.
        assert_eq!(expand(&["echo", "a  b", "{}"], &["x"]), "echo 'a  b' x");
        assert_eq!(expand(&["echo", "a {} b"], &["x y"]), "echo 'a x y b'");
        assert_eq!(expand(&["awk", "{print $1}"], &["f"]), "awk '{print $1}' f");
        assert_eq!(expand(&["echo", "$HOME;"], &["x"]), "echo '$HOME;' x");
    }
}
