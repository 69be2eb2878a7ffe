//! Options from `~/.parallel/config`, `-J`/`--profile` and `$PARALLEL`,
//! read as GNU parallel reads them (profiles, then `$PARALLEL`, then the
//! command line; the words after a profile's options go before the
//! command), and `--plain`, which reads none. Each case runs fanout and
//! GNU parallel with the same `HOME` and environment.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::support::{fanout, wait, Ran};

/// A `HOME` with `~/.parallel` holding `files` (name, text).
fn home(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let home = std::env::temp_dir().join(format!("fanout-home-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(home.join(".parallel")).unwrap();
    for (file, text) in files {
        std::fs::write(home.join(".parallel").join(file), text).unwrap();
    }
    home
}

fn run_in(program: &std::path::Path, home: &PathBuf, env: Option<&str>, args: &[&str]) -> Ran {
    let mut command = Command::new(program);
    command
        .args(args)
        .env("HOME", home)
        .env_remove("PARALLEL_HOME");
    command.env_remove("XDG_CONFIG_HOME").env_remove("PARALLEL");
    if let Some(env) = env {
        command.env("PARALLEL", env);
    }
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait(child, Instant::now())
}

/// fanout and GNU parallel on `args`: the same stdout and exit status.
fn same(home: &PathBuf, env: Option<&str>, args: &[&str]) -> Ran {
    let ran = run_in(fanout(), home, env, args);
    let gnu = run_in(std::path::Path::new("parallel"), home, env, args);
    assert_eq!(ran.stdout, gnu.stdout, "{args:?} {env:?}: {}", ran.stderr);
    assert_eq!(ran.code(), gnu.code(), "{args:?} {env:?}: {}", gnu.stderr);
    ran
}

#[test]
fn config_profiles_and_parallel_give_options_as_gnu_parallel() {
    let home = home(
        "profiles",
        &[
            ("config", "# every run\n-k --tag\n"),
            ("pre", "-j1 -k echo pre\n"),
            ("tags", "--tagstring T{}\n"),
        ],
    );
    let ran = same(&home, None, &["echo", ":::", "a", "b"]);
    assert_eq!(ran.stdout, "a\ta\nb\tb\n");
    // A profile replaces the config; its words go before the command.
    let ran = same(&home, None, &["-J", "pre", ":::", "a", "b"]);
    assert_eq!(ran.stdout, "pre a\npre b\n");
    // Profiles, then $PARALLEL, then the command line: the last wins.
    let ran = same(
        &home,
        Some("--tagstring E{}"),
        &["-J", "pre", "--profile", "tags", "-k", ":::", "a"],
    );
    // The profiles' words are one list: `--tagstring T{}` of the second
    // comes after the first's `echo pre`, so it is part of the command.
    assert_eq!(ran.stdout, "Ea\tpre --tagstring Ta\n");
    let ran = same(
        &home,
        Some("-k --tag"),
        &["--plain", "-k", "echo", ":::", "a"],
    );
    assert_eq!(ran.stdout, "a\n");
    let ran = same(&home, Some("-k --tagstring 'x y'"), &["echo", ":::", "a"]);
    assert_eq!(ran.stdout, "x y\ta\n");
    std::fs::remove_dir_all(home).unwrap();
}

#[test]
fn a_missing_profile_is_skipped_as_gnu_parallel_does() {
    let home = home("missing", &[("config", "--tag\n")]);
    let ran = same(&home, None, &["-J", "nope", "echo", ":::", "a"]);
    assert_eq!((ran.stdout.as_str(), ran.stderr.as_str()), ("a\n", ""));
    std::fs::remove_dir_all(home).unwrap();
}
