//! Options from elsewhere than the command line, read as GNU parallel
//! reads them: the profiles (`-J NAME`/`--profile NAME`, else the
//! configuration files `/etc/parallel/config`, `~/.parallel/config` and
//! `~/.parallelrc`), then `$PARALLEL`, then the command line, a later
//! option winning; the words of each after its options (`nice` in a
//! profile holding `-j-1 nice`) go before the command line's TEMPLATE.
//! `--plain` reads none of them.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::options::{self, Value};

/// The arguments to parse: the profiles' and `$PARALLEL`'s words put
/// around the command line's `args`.
///
/// # Errors
///
/// A profile cannot be read, or a line of one (or `$PARALLEL`) has an
/// unfinished quote.
pub(crate) fn expand(args: Vec<OsString>) -> Result<Vec<OsString>, String> {
    let (profiles, plain) = named_profiles(&args);
    if plain {
        return Ok(args);
    }
    // All the profiles' words are one list, as GNU parallel's: its options
    // end where the first of them holds a word that is not one.
    let mut profile = Vec::new();
    for path in profile_paths(&profiles) {
        profile.extend(read_profile(&path)?);
    }
    let mut parts = vec![profile];
    if let Some(env) = std::env::var_os("PARALLEL").filter(|v| !v.is_empty()) {
        let env = env.to_string_lossy();
        parts.push(
            crate::shell::split("$PARALLEL", &env)?
                .into_iter()
                .map(OsString::from)
                .collect(),
        );
    }
    if parts.iter().all(Vec::is_empty) {
        return Ok(args);
    }
    parts.push(args);
    let (mut options, mut rest) = (Vec::new(), Vec::new());
    for mut part in parts {
        let split = options_end(&part);
        rest.extend(part.split_off(split));
        options.extend(part);
    }
    options.extend(rest);
    Ok(options)
}

/// The names `-J`/`--profile` give among the options of `args`, and
/// whether `--plain` is one of them.
fn named_profiles(args: &[OsString]) -> (Vec<String>, bool) {
    let (mut names, mut plain) = (Vec::new(), false);
    let end = options_end(args);
    let mut words = args[..end].iter().map(|a| a.to_string_lossy().into_owned());
    while let Some(word) = words.next() {
        match word.as_str() {
            "--plain" => plain = true,
            "-J" | "--profile" => names.extend(words.next()),
            _ if word.starts_with("--profile=") => names.push(word[10..].to_owned()),
            _ if word.starts_with("-J") => names.push(word[2..].to_owned()),
            _ => {}
        }
    }
    (names, plain)
}

/// Where the options of `args` end: the index of the first word that is
/// not an option nor an option's value (`--` included among the options).
pub(crate) fn options_end(args: &[OsString]) -> usize {
    let mut index = 0;
    while let Some(word) = args.get(index).and_then(|a| a.to_str()) {
        index += 1;
        if word == "--" {
            break;
        }
        let takes_value = if let Some(long) = word.strip_prefix("--") {
            !long.contains('=') && options::long(long).is_some_and(|o| o.value != Value::Flag)
        } else if let Some(shorts) = word.strip_prefix('-').filter(|s| !s.is_empty()) {
            short_takes_next(shorts)
        } else {
            return index - 1;
        };
        if takes_value {
            index += 1;
        }
    }
    index.min(args.len())
}

/// Whether a cluster of short options (`k`, `j4`, `kj`) takes the next
/// word as its last option's value.
fn short_takes_next(shorts: &str) -> bool {
    for (at, c) in shorts.char_indices() {
        if options::short(c).is_some_and(|o| o.value != Value::Flag) {
            return at + c.len_utf8() == shorts.len();
        }
    }
    false
}

/// GNU parallel's directories of profiles: `$PARALLEL_HOME`,
/// `$XDG_CONFIG_HOME/parallel`, `~/.parallel`, those that exist.
fn config_dirs() -> Vec<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let dirs = [
        std::env::var_os("PARALLEL_HOME").map(PathBuf::from),
        std::env::var_os("XDG_CONFIG_HOME").map(|x| Path::new(&x).join("parallel")),
        home.map(|h| h.join(".parallel")),
    ];
    dirs.into_iter().flatten().filter(|d| d.is_dir()).collect()
}

/// The profiles to read: those named (a name starting with `/` or `./`
/// as it is, else in the directories of profiles; one that does not exist
/// is skipped, as GNU parallel does), or the configuration files that
/// exist.
fn profile_paths(names: &[String]) -> Vec<PathBuf> {
    let dirs = config_dirs();
    let paths: Vec<PathBuf> = if names.is_empty() {
        let home = std::env::var_os("HOME").map(|h| Path::new(&h).join(".parallelrc"));
        let configs = dirs.iter().map(|d| d.join("config"));
        let etc = std::iter::once(PathBuf::from("/etc/parallel/config"));
        etc.chain(configs).chain(home).collect()
    } else {
        let named = names.iter().flat_map(|name| {
            if name.starts_with('/') || name.starts_with("./") {
                vec![PathBuf::from(name)]
            } else {
                dirs.iter().map(|d| d.join(name)).collect()
            }
        });
        named.collect()
    };
    paths.into_iter().filter(|p| p.is_file()).collect()
}

/// A profile's words: each line split as a shell does, `#` lines skipped.
fn read_profile(path: &Path) -> Result<Vec<OsString>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("profile {}: {err}", path.display()))?;
    parse_profile(&path.display().to_string(), &text)
}

fn parse_profile(name: &str, text: &str) -> Result<Vec<OsString>, String> {
    let mut words = Vec::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let split = crate::shell::split(&format!("profile {name}"), line)?;
        words.extend(split.into_iter().map(OsString::from));
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &[&str]) -> Vec<OsString> {
        text.iter().map(OsString::from).collect()
    }

    #[test]
    fn a_profile_is_its_lines_words_without_comments() {
        let text = "# nice jobs\n-j-1 nice\n  # more\n--tag 'a b'\n";
        assert_eq!(
            parse_profile("p", text).unwrap(),
            words(&["-j-1", "nice", "--tag", "a b"])
        );
        assert!(parse_profile("p", "--tag 'open").is_err());
    }

    #[test]
    fn the_options_end_where_gnu_parallel_stops_reading_them() {
        assert_eq!(options_end(&words(&["-j", "4", "-k", "echo", "-n"])), 3);
        assert_eq!(options_end(&words(&["-j4", "--tag", "echo"])), 2);
        assert_eq!(options_end(&words(&["-kj", "2", "nice"])), 2);
        assert_eq!(options_end(&words(&["--halt=1", ":::", "a"])), 1);
        assert_eq!(options_end(&words(&["--", "echo"])), 1);
        assert_eq!(options_end(&words(&["-j-1", "nice"])), 1);
        assert_eq!(options_end(&words(&["-t"])), 1);
    }

    #[test]
    fn profiles_are_named_by_j_and_profile() {
        let args = words(&[
            "-J",
            "a",
            "--profile=b",
            "-Jc",
            "--plain",
            "echo",
            "-J",
            "d",
        ]);
        assert_eq!(
            named_profiles(&args),
            (vec!["a".into(), "b".into(), "c".into()], true)
        );
    }
}
