//! What is written from the option table (`options`): `--help`, the
//! manual page (`--man`, roff) and the shell completions (`--completions
//! bash|zsh`).

use std::fmt::Write;

use crate::options::{self, Opt, Value, OPTIONS};

/// The width the help is wrapped to.
const WIDTH: usize = 79;

/// The column the options' help starts at.
const HELP_COLUMN: usize = 25;

/// fanout's version, and the commit it was built from when known.
pub(crate) fn version() -> String {
    match option_env!("FANOUT_COMMIT") {
        Some(commit) => format!("fanout {} (commit {commit})", env!("CARGO_PKG_VERSION")),
        None => format!("fanout {}", env!("CARGO_PKG_VERSION")),
    }
}

/// An option's names and value, as the help shows them:
/// `-j, --jobs N|N%`, `    --line-buffer, --lb`.
fn names(opt: &Opt) -> String {
    let mut text = match opt.short {
        Some(c) => format!("-{c}, "),
        None => "    ".to_owned(),
    };
    let longs: Vec<String> = opt.longs().map(|l| format!("--{l}")).collect();
    text += &longs.join(", ");
    if let Some(value) = opt.value.name() {
        text += " ";
        text += value;
    }
    text
}

/// `text` wrapped at [`WIDTH`], each line after `indent` spaces; the
/// first line starts with `first`, on a line of its own when it reaches
/// far past `indent`.
fn wrap(out: &mut String, first: &str, indent: usize, text: &str) {
    let mut line = format!("{first:indent$}");
    if !first.is_empty() && first.len() + 2 > indent + 8 {
        out.push_str(first);
        out.push('\n');
        line = " ".repeat(indent);
    } else if !first.is_empty() && first.len() + 2 > indent {
        line.push_str("  ");
    }
    let mut empty = true;
    for word in text.split(' ') {
        if !empty && line.len() + 1 + word.len() > WIDTH {
            out.push_str(line.trim_end());
            out.push('\n');
            line = " ".repeat(indent);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

/// `--help`.
pub(crate) fn help() -> String {
    let mut out = format!("usage: {}\n\n", options::SYNOPSIS);
    for paragraph in options::DESCRIPTION {
        wrap(&mut out, "", 0, paragraph);
        out.push('\n');
    }
    wrap(&mut out, "", 0, options::REPLACEMENTS_INTRO);
    out.push('\n');
    for (string, what) in options::REPLACEMENTS {
        wrap(&mut out, &format!("  {string}"), 12, what);
    }
    out.push_str("\noptions:\n");
    for opt in OPTIONS {
        wrap(
            &mut out,
            &format!("  {}", names(opt)),
            HELP_COLUMN,
            opt.help,
        );
    }
    for paragraph in options::JOBS {
        out.push('\n');
        wrap(&mut out, "", 0, paragraph);
    }
    out.push('\n');
    wrap(&mut out, "exit status:", 0, options::EXIT_STATUS);
    out.push_str("\nThe manual: `fanout --man`, docs/FANOUT.md.");
    out
}

/// Text for roff: backslashes and leading dots escaped, `` `code` ``
/// in bold, other characters than ASCII as `\[uXXXX]`.
fn roff(text: &str) -> String {
    let mut out = String::new();
    let mut code = false;
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\e"),
            '-' => out.push_str("\\-"),
            '`' => {
                out.push_str(if code { "\\fR" } else { "\\fB" });
                code = !code;
            }
            c if c.is_ascii() => out.push(c),
            c => {
                let _ = write!(out, "\\[u{:04X}]", c as u32);
            }
        }
    }
    if out.starts_with(['.', '\'']) {
        out.insert_str(0, "\\&");
    }
    out
}

/// The manual page, `fanout.1`, in roff (`man -l`, or installed in a
/// `man1` directory).
pub(crate) fn man() -> String {
    let mut out = String::new();
    let version = version();
    let _ = writeln!(out, ".TH FANOUT 1 \"\" \"{version}\" \"User Commands\"");
    let _ = writeln!(out, ".SH NAME\nfanout \\- {}", roff(options::PURPOSE));
    let synopsis = options::SYNOPSIS.trim_start_matches("fanout ");
    let _ = writeln!(out, ".SH SYNOPSIS\n.B fanout\n{}", roff(synopsis));
    out.push_str(".SH DESCRIPTION\n");
    for paragraph in options::DESCRIPTION {
        let _ = writeln!(out, ".PP\n{}", roff(paragraph));
    }
    out.push_str(".SS Replacement strings\n");
    let _ = writeln!(out, "{}", roff(options::REPLACEMENTS_INTRO));
    for (string, what) in options::REPLACEMENTS {
        let _ = writeln!(out, ".TP\n.B {}\n{}", roff(string), roff(what));
    }
    out.push_str(".SH OPTIONS\n");
    for opt in OPTIONS {
        let _ = writeln!(out, ".TP\n{}\n{}", man_names(opt), roff(opt.help));
    }
    out.push_str(".SH JOBS AND SIGNALS\n");
    for paragraph in options::JOBS {
        let _ = writeln!(out, ".PP\n{}", roff(paragraph));
    }
    let _ = writeln!(out, ".SH EXIT STATUS\n{}", roff(options::EXIT_STATUS));
    out.push_str(
        ".SH SEE ALSO\n.BR parallel (1),\n.BR sh (1).\n\
         The full manual, with a table against GNU parallel: docs/FANOUT.md in fanout's \
         sources.\n",
    );
    out
}

/// An option's names and value, in roff: bold names, an italic value.
fn man_names(opt: &Opt) -> String {
    let mut names: Vec<String> = opt
        .short
        .map(|c| format!("\\fB\\-{c}\\fR"))
        .into_iter()
        .collect();
    names.extend(opt.longs().map(|l| format!("\\fB\\-\\-{}\\fR", roff(l))));
    let mut text = names.join(", ");
    if let Some(value) = opt.value.name() {
        let _ = write!(text, " \\fI{}\\fR", roff(value));
    }
    text
}

/// Every name of the options whose value is of this kind, `|`-separated
/// (a bash `case` pattern).
fn names_with(kind: impl Fn(&Value) -> bool) -> String {
    let mut names = Vec::new();
    for opt in OPTIONS.iter().filter(|opt| kind(&opt.value)) {
        names.extend(opt.short.map(|c| format!("-{c}")));
        names.extend(opt.longs().map(|l| format!("--{l}")));
    }
    names.join("|")
}

/// The bash completion script (`source` it, or put it in
/// `~/.local/share/bash-completion/completions/fanout`).
pub(crate) fn bash() -> String {
    let all: Vec<String> = OPTIONS
        .iter()
        .flat_map(|opt| {
            let short = opt.short.map(|c| format!("-{c}"));
            short
                .into_iter()
                .chain(opt.longs().map(|l| format!("--{l}")))
        })
        .collect();
    let mut choices = String::new();
    for opt in OPTIONS {
        if let Value::Choice(_, words) = opt.value {
            let names: Vec<String> = opt.longs().map(|l| format!("--{l}")).collect();
            let _ = writeln!(
                choices,
                "        {}) COMPREPLY=($(compgen -W '{}' -- \"$cur\")); return ;;",
                names.join("|"),
                words.join(" ")
            );
        }
    }
    BASH.replace("@VALUED@", &names_with(|v| *v != Value::Flag))
        .replace("@FILES@", &names_with(|v| matches!(v, Value::File(_))))
        .replace("@DIRS@", &names_with(|v| matches!(v, Value::Dir(_))))
        .replace("@TEXT@", &names_with(|v| matches!(v, Value::Text(_))))
        .replace("@CHOICES@\n", &choices)
        .replace("@ALL@", &all.join(" "))
}

/// The bash script, its option names to fill in.
const BASH: &str = r#"# bash completion for fanout (written by `fanout --completions bash`)
_fanout() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} i word
    if [[ $prev == = ]]; then prev=${COMP_WORDS[COMP_CWORD-2]}; fi
    # After the options, the words are the command's and its arguments'.
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        case $word in
            @VALUED@)
                ((i++))
                if [[ ${COMP_WORDS[i]} == = ]]; then ((i++)); fi ;;
            -*) ;;
            *) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        esac
    done
    case $prev in
        @FILES@) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        @DIRS@) COMPREPLY=($(compgen -d -- "$cur")); return ;;
@CHOICES@
        @TEXT@) COMPREPLY=(); return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W '@ALL@' -- "$cur"))
    else
        COMPREPLY=($(compgen -c -- "$cur"))
    fi
}
complete -o default -F _fanout fanout
"#;

/// Text inside a zsh `_arguments` spec in single quotes: `'`, `[`, `]`
/// and `:` escaped.
fn zsh_text(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '\'' => out.push_str("'\\''"),
            '[' | ']' | ':' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// One option's `_arguments` specs: each name, excluding the others.
fn zsh_specs(opt: &Opt) -> Vec<String> {
    let mut names: Vec<String> = opt.short.map(|c| format!("-{c}")).into_iter().collect();
    names.extend(opt.longs().map(|l| format!("--{l}")));
    let exclude = names.join(" ");
    let action = match opt.value {
        Value::Flag => String::new(),
        Value::Text(name) => format!(":{}: ", zsh_text(name)),
        Value::File(name) => format!(":{}:_files", zsh_text(name)),
        Value::Dir(name) => format!(":{}:_files -/", zsh_text(name)),
        Value::Choice(name, words) => format!(":{}:({})", zsh_text(name), words.join(" ")),
    };
    let help = zsh_text(opt.summary());
    names
        .iter()
        .map(|name| {
            let takes = match (opt.value, name.starts_with("--")) {
                (Value::Flag, _) => "",
                (_, true) => "=",
                (_, false) => "+",
            };
            format!("'({exclude})'{name}{takes}'[{help}]{action}'")
        })
        .collect()
}

/// The zsh completion script (a `_fanout` file in a directory of
/// `$fpath`, or `source`d after `compinit`).
pub(crate) fn zsh() -> String {
    let mut specs = String::new();
    for opt in OPTIONS {
        for spec in zsh_specs(opt) {
            let _ = writeln!(specs, "        {spec}");
        }
    }
    ZSH.replace("@SPECS@\n", &specs)
}

/// The zsh script, its specs to fill in.
const ZSH: &str = r#"#compdef fanout
# zsh completion for fanout (written by `fanout --completions zsh`)
_fanout() {
    local -a specs
    specs=(
@SPECS@
        '*:: :_normal'
    )
    _arguments -s -S $specs
}
if [ "$funcstack[1]" = "_fanout" ]; then
    _fanout "$@"
else
    compdef _fanout fanout
fi
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_name_and_wraps() {
        let help = help();
        assert!(help.starts_with("usage: fanout [OPTIONS]"));
        for opt in OPTIONS {
            assert!(help.contains(&names(opt)), "{}", names(opt));
        }
        assert!(help.lines().all(|line| line.len() <= WIDTH), "{help}");
        assert!(help.contains("  -j, --jobs N|N%|+N|-N|FILE  run at most N jobs at once"));
        assert!(help.contains("      --line-buffer, --lb  print lines whole"));
    }

    #[test]
    fn roff_escapes() {
        assert_eq!(roff(".a-b `c` \\ …"), "\\&.a\\-b \\fBc\\fR \\e \\[u2026]");
    }

    #[test]
    fn zsh_specs_exclude_the_other_names() {
        let jobs = zsh_specs(crate::options::long("jobs").unwrap());
        assert_eq!(
            jobs[0],
            "'(-j --jobs)'-j+'[run at most N jobs at once]:N|N%|+N|-N|FILE: '"
        );
        assert!(jobs[1].starts_with("'(-j --jobs)'--jobs='["));
    }
}
