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

/// `HOST:PORT`, `USER@HOST:PORT`: the host for ssh and the port; a name
/// with no `:DIGITS` at its end (or with more than one `:`, as an IPv6
/// address) is all host.
pub(crate) fn split_port(name: &str) -> (&str, Option<&str>) {
    match name.split_once(':') {
        Some((host, port))
            if !host.is_empty() && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) =>
        {
            (host, Some(port))
        }
        _ => (name, None),
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

    #[test]
    fn ports_as_gnu_parallel() {
        assert_eq!(split_port("me@h:2222"), ("me@h", Some("2222")));
        assert_eq!(split_port("h:22"), ("h", Some("22")));
        assert_eq!(split_port("h"), ("h", None));
        assert_eq!(split_port("::1"), ("::1", None));
        assert_eq!(split_port("fe80::1:22"), ("fe80::1:22", None));
    }
}
