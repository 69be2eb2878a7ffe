//! Linked input sources, as GNU parallel links them: `--link` (`--xapply`)
//! takes one argument of each source at a time, the shorter sources
//! wrapping around, as long as the longest; `:::+` and `::::+` link a
//! source to the one before it, as long as the shorter (nothing wraps).
//! The groups so made combine as sources do (every combination, the last
//! varying fastest).

use std::ffi::OsString;

/// How sources are linked.
#[derive(Clone, Debug, Default)]
pub(crate) struct Links {
    /// `--link`: all of them, the shorter wrapping.
    pub(crate) all: bool,
    /// `:::+`, `::::+`: the indices of the sources linked to the one
    /// before.
    pub(crate) to_previous: Vec<usize>,
}

impl Links {
    /// Whether any source is linked.
    pub(crate) fn any(&self) -> bool {
        self.all || !self.to_previous.is_empty()
    }
}

/// Every job's arguments of `sources` (each read whole), linked as
/// `links` says.
pub(crate) fn rows(sources: Vec<Vec<OsString>>, links: &Links) -> Vec<Vec<OsString>> {
    let groups: Vec<Vec<Vec<OsString>>> = match links.all {
        true => vec![zip(sources, true)],
        false => {
            let mut groups: Vec<Vec<Vec<OsString>>> = Vec::new();
            for (index, source) in sources.into_iter().enumerate() {
                match groups.last_mut() {
                    Some(group) if links.to_previous.contains(&index) => group.push(source),
                    _ => groups.push(vec![source]),
                }
            }
            groups.into_iter().map(|group| zip(group, false)).collect()
        }
    };
    product(&groups)
}

/// The sources of one group side by side: as long as the longest, the
/// others wrapping (`wrap`), or as the shortest.
fn zip(sources: Vec<Vec<OsString>>, wrap: bool) -> Vec<Vec<OsString>> {
    let lengths = sources.iter().map(Vec::len);
    let len = match wrap {
        true => lengths.max().unwrap_or(0),
        false => lengths.min().unwrap_or(0),
    };
    if sources.iter().any(Vec::is_empty) {
        return Vec::new();
    }
    (0..len)
        .map(|i| sources.iter().map(|s| s[i % s.len()].clone()).collect())
        .collect()
}

/// Every combination of one row of each group, the last varying fastest.
fn product(groups: &[Vec<Vec<OsString>>]) -> Vec<Vec<OsString>> {
    let mut rows: Vec<Vec<OsString>> = vec![Vec::new()];
    for group in groups {
        let mut next = Vec::with_capacity(rows.len() * group.len());
        for row in &rows {
            for tail in group {
                next.push(row.iter().chain(tail).cloned().collect());
            }
        }
        rows = next;
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(words: &[&[&str]]) -> Vec<Vec<OsString>> {
        words
            .iter()
            .map(|s| s.iter().map(OsString::from).collect())
            .collect()
    }

    fn joined(rows: Vec<Vec<OsString>>) -> Vec<String> {
        rows.iter()
            .map(|r| {
                r.join(OsString::from(" ").as_os_str())
                    .into_string()
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn link_wraps_the_shorter_sources() {
        // `parallel --link echo ::: a b c ::: 1 2`.
        let links = Links {
            all: true,
            ..Links::default()
        };
        let rows = rows(sources(&[&["a", "b", "c"], &["1", "2"]]), &links);
        assert_eq!(joined(rows), ["a 1", "b 2", "c 1"]);
    }

    #[test]
    fn linked_to_the_previous_stops_at_the_shorter() {
        // `parallel echo ::: a b ::: x y z :::+ 1 2`.
        let links = Links {
            all: false,
            to_previous: vec![2],
        };
        let rows = rows(
            sources(&[&["a", "b"], &["x", "y", "z"], &["1", "2"]]),
            &links,
        );
        assert_eq!(joined(rows), ["a x 1", "a y 2", "b x 1", "b y 2"]);
    }
}
