//! fanout as an installed program: `--version`, the manual page
//! (`--man`) and the shell completions (`--completions bash|zsh`), all
//! written from the option table that `--help` shows.

use std::process::{Command, Stdio};

use crate::support::{fanout, run};

/// Every long option `--help` lists (each name of each option line).
fn help_options() -> Vec<String> {
    let help = run(&["--help"]);
    assert_eq!(help.code(), 0);
    let options = help.stdout.split_once("\noptions:\n").unwrap().1;
    let mut names = Vec::new();
    for line in options.lines().take_while(|line| !line.is_empty()) {
        let names_part = line.trim_start().split("  ").next().unwrap();
        for word in names_part.split([' ', ',']) {
            if word.starts_with("--") {
                names.push(word.to_owned());
            }
        }
    }
    for known in [
        "--jobs",
        "--keep-order",
        "--joblog",
        "--halt",
        "--lb",
        "--man",
    ] {
        assert!(names.iter().any(|n| n == known), "{known} in {names:?}");
    }
    names
}

/// Whether `program` can be run here.
fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Runs `program ARGS -c script` (bash, zsh) with `$FANOUT` the built
/// fanout; returns its stdout, asserting it succeeded.
fn shell(program: &str, args: &[&str], script: &str) -> String {
    let output = Command::new(program)
        .args(args)
        .arg("-c")
        .arg(script)
        .env("FANOUT", fanout())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{program}: {stderr}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn version_names_the_version_and_the_commit() {
    let ran = run(&["--version"]);
    assert_eq!(ran.code(), 0);
    let version = format!("fanout {}", env!("CARGO_PKG_VERSION"));
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8(output.stdout).unwrap().trim().to_owned());
    match commit {
        Some(commit) => assert_eq!(ran.stdout, format!("{version} (commit {commit})\n")),
        None => assert_eq!(ran.stdout, format!("{version}\n")),
    }
    assert_eq!(run(&["-V"]).stdout, ran.stdout);
}

#[test]
fn the_manual_page_is_roff_and_names_every_option() {
    let ran = run(&["--man"]);
    assert_eq!(ran.code(), 0, "{}", ran.stderr);
    let page = &ran.stdout;
    assert!(page.starts_with(".TH FANOUT 1 "), "{page}");
    for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS"] {
        assert!(page.contains(&format!("\n.SH {section}\n")), "{section}");
    }
    for name in help_options() {
        let roff = format!("\\fB{}\\fR", name.replace('-', "\\-"));
        assert!(page.contains(&roff), "{name} not in the manual page");
    }
    // Roff's requests start lines; text never does by accident.
    for line in page.lines() {
        assert!(!line.starts_with('\''), "{line}");
        if let Some(request) = line.strip_prefix('.') {
            let known = ["TH ", "SH ", "SS ", "PP", "TP", "B ", "BR "];
            assert!(known.iter().any(|r| request.starts_with(r)), "{line}");
        }
    }
    assert!(
        have("groff"),
        "groff is missing: install groff-base (.ci/run does) to format the manual page"
    );
    let dir = std::env::temp_dir().join(format!("fanout-man-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("fanout.1");
    std::fs::write(&path, page).unwrap();
    // `-ww`: every warning; `-z`: no output, only the diagnostics.
    let groff = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(groff.status.success(), "{groff:?}");
    assert_eq!(String::from_utf8_lossy(&groff.stderr), "");
    assert!(have("man"), "man is missing: install man-db (.ci/run does)");
    let shown = Command::new("man").arg("-l").arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        text.contains("FANOUT(1)") && text.contains("keep"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bash_completion_offers_the_options() {
    assert!(
        have("bash"),
        "bash is missing: the bash completion cannot be checked"
    );
    // Sourced, as ~/.bashrc or bash-completion would; then the function
    // `complete -p` names is called as bash calls it on <TAB>.
    let script = r#"
        source <("$FANOUT" --completions bash) || exit 1
        complete -p fanout || exit 1
        function=$(complete -p fanout | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
        tab() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
                "$function" fanout "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
                echo "${COMPREPLY[*]}"; }
        tab fanout --jo
        tab fanout --completions ''
        tab fanout -
    "#;
    let out = shell("bash", &["--norc", "--noprofile"], script);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "complete -o default -F _fanout fanout", "{out}");
    assert_eq!(lines[1], "--jobs --joblog", "{out}");
    assert_eq!(lines[2], "bash zsh", "{out}");
    let offered: Vec<&str> = lines[3].split(' ').collect();
    for name in help_options() {
        assert!(
            offered.contains(&name.as_str()),
            "{name} not offered: {out}"
        );
    }
}

#[test]
fn zsh_completion_is_valid_and_registers() {
    assert!(
        have("zsh"),
        "zsh is missing: install zsh (.ci/run does) to check the zsh completion"
    );
    let dir = std::env::temp_dir().join(format!("fanout-zsh-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("_fanout");
    let ran = run(&["--completions", "zsh"]);
    assert_eq!(ran.code(), 0);
    assert!(ran.stdout.starts_with("#compdef fanout\n"));
    std::fs::write(&path, &ran.stdout).unwrap();
    let file = path.to_str().unwrap();
    // `-n`: read the script, run nothing.
    let check = Command::new("zsh")
        .args(["-f", "-n", file])
        .output()
        .unwrap();
    assert!(check.status.success(), "zsh -n: {check:?}");
    // With compinit, sourcing it registers `_fanout` for fanout.
    let dump = dir.join("zcompdump");
    let script = format!(
        "autoload -U compinit && compinit -u -d '{}' && source '{file}' && \
         print -r -- $_comps[fanout]",
        dump.display()
    );
    assert_eq!(shell("zsh", &["-f"], &script), "_fanout\n");
    std::fs::remove_dir_all(&dir).unwrap();
}
