//! `-S/--sshlogin` and `--sshlogin-file`: the hosts jobs may run on, each
//! with its number of job slots, as GNU parallel writes them.

use std::path::Path;

/// Where jobs may run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Host {
    /// `None`: this machine (`:`).
    pub(crate) name: Option<String>,
    /// `None`: as many as `-j`.
    pub(crate) slots: Option<usize>,
}

impl Host {
    /// What the job log's Host column and the summary show.
    pub(crate) fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(":")
    }
}

/// Parses one `-S` value: comma-separated `[N/]HOST` or `:`.
///
/// # Errors
///
/// An empty host or a bad number of slots.
pub(crate) fn parse_logins(value: &str) -> Result<Vec<Host>, String> {
    let mut hosts = Vec::new();
    for spec in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (slots, name) = match spec.split_once('/') {
            Some((n, name)) => {
                let n = crate::values::number("-S", n, 1)?;
                (Some(n), name.trim())
            }
            None => (None, spec),
        };
        if name.is_empty() {
            return Err(format!("-S: no host in {spec:?}"));
        }
        let name = (name != ":").then(|| name.to_owned());
        hosts.push(Host { name, slots });
    }
    Ok(hosts)
}

/// `--sshlogin-file FILE`: one `-S` value a line (`#` starts a comment).
///
/// # Errors
///
/// The file cannot be read, or a line does not parse.
pub(crate) fn read_login_file(path: &Path) -> Result<Vec<Host>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--sshlogin-file {}: {e}", path.display()))?;
    let mut hosts = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        hosts.extend(parse_logins(line)?);
    }
    Ok(hosts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_as_gnu_parallel() {
        let hosts = parse_logins("2/a, b,:").unwrap();
        assert_eq!(hosts.len(), 3);
        assert_eq!(
            (hosts[0].name.as_deref(), hosts[0].slots),
            (Some("a"), Some(2))
        );
        assert_eq!(
            (hosts[1].name.as_deref(), hosts[1].slots),
            (Some("b"), None)
        );
        assert_eq!((hosts[2].label(), hosts[2].slots), (":", None));
        assert!(parse_logins("0/a").is_err());
        assert!(parse_logins("2/").is_err());
    }
}
