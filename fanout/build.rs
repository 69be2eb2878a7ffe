//! Names the commit fanout is built from, for `fanout --version`: the
//! `FANOUT_COMMIT` variable, set when the sources are a git checkout and
//! `git` is at hand (left unset otherwise, and `--version` names the
//! version alone).

#![allow(clippy::print_stdout)]

use std::path::Path;
use std::process::Command;

/// What `git ARGS` prints, trimmed; `None` if it cannot run or fails.
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let Some(commit) = git(&["rev-parse", "--short", "HEAD"]) else {
        return;
    };
    println!("cargo:rustc-env=FANOUT_COMMIT={commit}");
    // Built again when HEAD moves: HEAD itself, the branch it names, and
    // the packed refs (only the files that exist, or cargo would rerun
    // this every time).
    let branch = git(&["symbolic-ref", "-q", "HEAD"]);
    for name in ["HEAD", "packed-refs"].into_iter().chain(branch.as_deref()) {
        if let Some(path) = git(&["rev-parse", "--git-path", name]) {
            if Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
}
