//! The engine's layers, checked: each folder of `engine/src` is one layer,
//! and a module may use only what its own folder holds and what the layers
//! below it export. The table below is the one place the layers are listed
//! (docs/ARCHITECTURE.md draws it).
//!
//! Every `crate::…` path in the code is checked: `use crate::child::…`,
//! `use crate::{Report, …}` (a name the crate root re-exports counts as the
//! folder it comes from) and paths written inline. Comments and imports
//! marked `#[cfg(doc)]` (links in documentation) are not dependencies.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, bottom up. A module may import from any folder of a lower
/// rank and from its own folder; a folder of the same rank (sideways) or
/// of a higher one (up) is refused. `lib.rs` sits above them all.
const LAYERS: &[&[&str]] = &[
    &["sys"],
    &["base"],
    &["mailbox"],
    &["io"],
    &["channel"],
    &["job"],
    &["child"],
    &["reactor"],
    &["background"],
];

/// One import the table forbids.
#[derive(Debug, PartialEq, Eq)]
struct Violation {
    file: String,
    import: String,
    from: String,
    to: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: `{}` reaches from layer `{}` to `{}`, which is not below it",
            self.file, self.import, self.from, self.to
        )
    }
}

/// The rank of a folder in [`LAYERS`], if it is one.
fn rank(layers: &[&[&str]], folder: &str) -> Option<usize> {
    layers.iter().position(|rank| rank.contains(&folder))
}

/// The folder (layer) a file under `src/` belongs to: its first
/// component, without `.rs`. `None` for `lib.rs`, the top.
fn folder_of(relative: &str) -> Option<String> {
    if relative == "lib.rs" {
        return None;
    }
    let first = relative.split('/').next().unwrap_or(relative);
    Some(first.trim_end_matches(".rs").to_owned())
}

/// The source without comments, string literals blanked, and without the
/// items marked `#[cfg(doc)]`.
fn code_of(source: &str) -> String {
    let mut code = String::new();
    let mut skip_item = false;
    for line in source.lines() {
        let line = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        let trimmed = line.trim();
        if trimmed == "#[cfg(doc)]" {
            skip_item = true;
            continue;
        }
        if skip_item {
            if trimmed.ends_with(';') || trimmed.ends_with('}') {
                skip_item = false;
            }
            continue;
        }
        code.push_str(line);
        code.push('\n');
    }
    code
}

/// Each `crate::…` path in `code`: the whole import as written, and the
/// first segment of every path it names.
fn crate_paths(code: &str) -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue; // `$crate::`, `procpump::crate::`: not this crate's root
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = closing_brace(group);
            let inner = &group[..end];
            let heads = top_level(inner)
                .into_iter()
                .filter_map(|entry| first_segment(entry.trim()))
                .collect();
            found.push((format!("crate::{{{}}}", squash(inner)), heads));
            rest = &group[end..];
        } else if let Some(head) = first_segment(rest) {
            let len = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            found.push((
                format!("crate::{}", rest[..len].trim_end_matches(':')),
                vec![head],
            ));
        }
    }
    found
}

fn closing_brace(text: &str) -> usize {
    let mut depth = 0;
    for (at, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return at,
            '}' => depth -= 1,
            _ => {}
        }
    }
    text.len()
}

/// The entries of a `{…}` group, split at its own commas.
fn top_level(inner: &str) -> Vec<&str> {
    let (mut entries, mut depth, mut start) = (Vec::new(), 0, 0);
    for (at, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                entries.push(&inner[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    entries.push(&inner[start..]);
    entries
}

fn first_segment(path: &str) -> Option<String> {
    let len = path
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(path.len());
    (len > 0).then(|| path[..len].to_owned())
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The names `lib.rs` re-exports, each with the folder it comes from.
fn root_exports(lib: &str) -> HashMap<String, String> {
    let mut exports = HashMap::new();
    for statement in code_of(lib).split(';') {
        let Some(path) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some(folder) = first_segment(path) else {
            continue;
        };
        let names = match (path.find('{'), path.rfind('}')) {
            (Some(open), Some(close)) => path[open + 1..close].to_owned(),
            _ => path.rsplit("::").next().unwrap_or("").to_owned(),
        };
        for name in names
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
        {
            exports.insert(name.to_owned(), folder.clone());
        }
    }
    exports
}

/// Every import in `files` (paths relative to `src/`, and their text) that
/// the `layers` forbid.
fn violations(layers: &[&[&str]], files: &[(String, String)]) -> Vec<Violation> {
    let lib = files.iter().find(|(path, _)| path == "lib.rs");
    let exports = lib.map(|(_, text)| root_exports(text)).unwrap_or_default();
    let mut found = Vec::new();
    for (path, source) in files {
        let Some(from) = folder_of(path) else {
            continue;
        };
        let own = rank(layers, &from)
            .unwrap_or_else(|| panic!("{path}: its folder `{from}` is not in the layer table"));
        for (import, heads) in crate_paths(&code_of(source)) {
            for head in heads {
                let to = exports.get(&head).cloned().unwrap_or(head);
                if to == from || to == "self" {
                    continue;
                }
                let allowed = rank(layers, &to).is_some_and(|theirs| theirs < own);
                if !allowed {
                    found.push(Violation {
                        file: path.clone(),
                        import: import.clone(),
                        from: from.clone(),
                        to,
                    });
                }
            }
        }
    }
    found
}

fn sources(root: &Path) -> Vec<(String, String)> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let relative = path.strip_prefix(root).unwrap();
                let relative = relative.to_string_lossy().replace('\\', "/");
                out.push((relative, fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out
}

#[test]
fn no_module_reaches_up_or_sideways() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = sources(&src);
    assert!(
        files.len() > 20,
        "engine/src not found at {}",
        src.display()
    );
    let found = violations(LAYERS, &files);
    let report: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert!(
        report.is_empty(),
        "imports the layers forbid:\n{}",
        report.join("\n")
    );
}

#[test]
fn every_folder_of_src_is_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for (path, _) in sources(&src) {
        if let Some(folder) = folder_of(&path) {
            assert!(
                rank(LAYERS, &folder).is_some(),
                "{path}: not in the layer table"
            );
        }
    }
}

fn file(path: &str, text: &str) -> (String, String) {
    (path.to_owned(), text.to_owned())
}

#[test]
fn an_upward_import_is_named_with_its_file() {
    let layers: &[&[&str]] = &[&["low"], &["high"]];
    let files = [
        file(
            "lib.rs",
            "mod low;\nmod high;\npub use high::{Top, Other};\n",
        ),
        file("low/mod.rs", "mod inner;\n"),
        file(
            "low/inner.rs",
            "use super::Fine;\nuse crate::{Top, low::Fine};\n",
        ),
        file("high/mod.rs", "use crate::low::Fine;\n"),
    ];
    let found = violations(layers, &files);
    assert_eq!(
        found,
        [Violation {
            file: "low/inner.rs".into(),
            import: "crate::{Top, low::Fine}".into(),
            from: "low".into(),
            to: "high".into(),
        }],
    );
    assert_eq!(
        found[0].to_string(),
        "low/inner.rs: `crate::{Top, low::Fine}` reaches from layer `low` to `high`, which is not below it"
    );
}

#[test]
fn a_sideways_import_and_an_inline_path_are_refused() {
    let layers: &[&[&str]] = &[&["left", "right"], &["top"]];
    let files = [
        file("left/a.rs", "fn f() { crate::right::g(); }\n"),
        file("right/b.rs", "// use crate::left::f;\n"),
        file("top.rs", "use crate::left::f;\nuse crate::right::g;\n"),
    ];
    let found = violations(layers, &files);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].file, "left/a.rs");
    assert_eq!(found[0].import, "crate::right::g");
    assert_eq!(found[0].to, "right");
}

#[test]
fn doc_only_imports_are_not_dependencies() {
    let layers: &[&[&str]] = &[&["low"], &["high"]];
    let files = [file(
        "low/a.rs",
        "#[cfg(doc)]\nuse crate::{\n    high::Thing,\n};\nuse crate::low::b;\n",
    )];
    assert_eq!(violations(layers, &files), []);
}
