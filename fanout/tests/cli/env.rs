//! `--env NAME`, `--env _`, `--record-env`: variables and bash functions
//! passed to remote jobs (the private sshd passes no environment of its
//! own: only what fanout puts in the remote command line arrives).

use procpump_tests::sshd::Sshd;

use crate::support::{command, wait, Ran};

/// fanout with `vars` added to its environment (and `HOME`, when given).
fn run_with(args: &[&str], vars: &[(&str, &str)]) -> Ran {
    let mut fanout = command(args);
    fanout.envs(vars.iter().copied());
    wait(fanout.spawn().unwrap(), std::time::Instant::now())
}

const AWKWARD: &str = "a b 'c' \"d\" $HOME `x`\nsecond line";

#[test]
fn a_variable_and_a_bash_function_reach_the_remote_job() {
    let sshd = Sshd::start();
    let ssh = sshd.ssh_command_line();
    let function = "() {  printf 'hello %s\\n' \"$1\"\n}";
    let vars = [
        ("FANOUT_AWKWARD", AWKWARD),
        ("FANOUT_LEFT_OUT", "here only"),
        ("BASH_FUNC_greet%%", function),
    ];
    let args = [
        "--ssh",
        &ssh,
        "-S",
        "127.0.0.1",
        "--env",
        "FANOUT_AWKWARD",
        "--env",
        "greet",
        "printf '%s|%s\\n' \"$FANOUT_AWKWARD\" \"$FANOUT_LEFT_OUT\"; greet {}",
        ":::",
        "world",
    ];
    let ran = run_with(&args, &vars);
    assert_eq!(ran.code(), 0, "{ran:?}");
    assert_eq!(ran.stdout, format!("{AWKWARD}|\nhello world\n"));
}

#[test]
fn env_underscore_passes_all_but_the_recorded_names() {
    let sshd = Sshd::start();
    let ssh = sshd.ssh_command_line();
    let home = std::env::temp_dir().join(format!("fanout-env-home-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let home_var = ("HOME", home.to_str().unwrap());
    // Recorded: the environment as it is, with FANOUT_OLD.
    let recorded = run_with(&["--record-env"], &[home_var, ("FANOUT_OLD", "old")]);
    assert_eq!(recorded.code(), 0, "{recorded:?}");
    let names = std::fs::read_to_string(home.join(".parallel/ignored_vars")).unwrap();
    assert!(names.lines().any(|l| l == "FANOUT_OLD"), "{names}");
    let args = [
        "--ssh",
        &ssh,
        "-S",
        "127.0.0.1",
        "--env",
        "_",
        "echo \"new=$FANOUT_NEW old=$FANOUT_OLD\"",
        ":::",
        "1",
    ];
    let vars = [home_var, ("FANOUT_OLD", "old"), ("FANOUT_NEW", "new")];
    let ran = run_with(&args, &vars);
    assert_eq!(ran.code(), 0, "{ran:?}");
    assert_eq!(ran.stdout, "new=new old= 1\n");
    // Without the file, `--env _` is an error that says what to do.
    std::fs::remove_file(home.join(".parallel/ignored_vars")).unwrap();
    let ran = run_with(&args, &vars);
    assert_eq!(ran.code(), 255, "{ran:?}");
    assert!(ran.stderr.contains("--record-env"), "{}", ran.stderr);
    let _ = std::fs::remove_dir_all(&home);
}
