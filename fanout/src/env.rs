//! `--env NAME`, `--env _`, `--record-env`: variables and bash functions
//! passed to remote jobs, as GNU parallel passes them. A bash function is
//! in the environment when exported (`export -f NAME`), as
//! `BASH_FUNC_NAME%%=() { …; }`; a job given one runs with `bash -c`
//! on the host instead of `sh -c`.

use std::collections::HashSet;
use std::path::PathBuf;

/// Names that are this shell's own and never go (with `--env _`).
const NEVER: &[&str] = &["_", "PWD", "OLDPWD", "SHLVL"];

/// `~/.parallel/ignored_vars`.
fn ignored_vars() -> PathBuf {
    let home = std::env::var_os("HOME").unwrap_or_default();
    PathBuf::from(home).join(".parallel/ignored_vars")
}

/// The function's or variable's name of an environment entry's.
fn name_of(entry: &str) -> &str {
    let function = entry.strip_prefix("BASH_FUNC_");
    let function = function.and_then(|f| f.strip_suffix("%%").or_else(|| f.strip_suffix("()")));
    function.unwrap_or(entry)
}

/// The entries `names` ask for (`_`: all but the ignored ones), with
/// their values, each as the environment holds it.
///
/// # Errors
///
/// `_` without `~/.parallel/ignored_vars`, or a value that is not UTF-8.
pub(crate) fn passed(names: &[String]) -> Result<Vec<(String, String)>, String> {
    let mut wanted: HashSet<&str> = names.iter().map(String::as_str).collect();
    let all = wanted.remove("_");
    let ignored = match all {
        true => read_ignored()?,
        false => HashSet::new(),
    };
    let mut entries = Vec::new();
    for (key, value) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        let name = name_of(key);
        let chosen =
            wanted.contains(name) || (all && !ignored.contains(name) && !NEVER.contains(&name));
        if !chosen {
            continue;
        }
        let value = value
            .into_string()
            .map_err(|v| format!("--env {name}: the value is not UTF-8: {v:?}"))?;
        entries.push((key.to_owned(), value));
    }
    entries.sort();
    Ok(entries)
}

fn read_ignored() -> Result<HashSet<String>, String> {
    let path = ignored_vars();
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "--env _ needs {} (fanout --record-env writes it): {e}",
            path.display()
        )
    })?;
    Ok(text.lines().map(|l| l.trim().to_owned()).collect())
}

/// `--record-env`: writes the names in the environment now, functions
/// included, a line each, to `~/.parallel/ignored_vars`.
///
/// # Errors
///
/// The file cannot be written.
pub(crate) fn record() -> std::io::Result<()> {
    let path = ignored_vars();
    let mut names: Vec<String> = std::env::vars_os()
        .filter_map(|(key, _)| key.into_string().ok())
        .map(|key| name_of(&key).to_owned())
        .collect();
    names.sort();
    names.dedup();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut text = names.join("\n");
    text.push('\n');
    std::fs::write(&path, text)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

/// Whether an entry is a bash function's.
pub(crate) fn is_function(key: &str) -> bool {
    name_of(key) != key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_are_known_by_their_names() {
        assert_eq!(name_of("BASH_FUNC_greet%%"), "greet");
        assert_eq!(name_of("BASH_FUNC_greet()"), "greet");
        assert_eq!(name_of("PATH"), "PATH");
        assert!(is_function("BASH_FUNC_greet%%") && !is_function("HOME"));
    }
}
