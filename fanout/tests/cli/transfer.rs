//! `--transferfile`, `--return`, `--cleanup`, `--trc`, `--basefile`,
//! `--workdir`: files to the host and back, with rsync over the shared
//! connection, against the private sshd (`procpump_tests::sshd`), which
//! runs on this machine: the host's side is the home directory's
//! `.parallel/tmp` or a directory of the test's own.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use procpump_tests::sshd::Sshd;

use crate::support::{command, wait, Ran};

/// Names with a space and a newline, in a subdirectory too.
const NAMES: [&str; 4] = ["plain", "a b", "two\nlines", "sub/it's here"];

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fanout-transfer-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    dir
}

/// Files named [`NAMES`] in `dir`, each of every byte value and its own.
fn fill(dir: &Path) {
    for (n, name) in NAMES.iter().enumerate() {
        let mut bytes: Vec<u8> = (0..=255u8).collect();
        bytes.extend(name.as_bytes());
        bytes.extend(std::iter::repeat(n as u8).take(1000 * n));
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

/// fanout run in `dir`.
fn run_in(dir: &Path, args: &[&str]) -> Ran {
    let mut fanout = command(args);
    fanout.current_dir(dir);
    wait(fanout.spawn().unwrap(), std::time::Instant::now())
}

/// What `~/.parallel/tmp` holds of fanout's.
fn remote_temporaries() -> BTreeSet<String> {
    let home = PathBuf::from(std::env::var_os("HOME").unwrap());
    let Ok(entries) = std::fs::read_dir(home.join(".parallel/tmp")) else {
        return BTreeSet::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("fanout-"))
        .collect()
}

#[test]
fn files_go_to_the_host_and_back_byte_exact_and_nothing_is_left_there() {
    let sshd = Sshd::start();
    let ssh = sshd.ssh_command_line();
    let dir = temp("trc");
    fill(&dir);
    let before = remote_temporaries();
    let mut args = vec!["--ssh", &ssh, "-S", "127.0.0.1", "--wd", "...", "--trc"];
    // The job runs elsewhere: its output file comes back beside the input.
    args.extend(["{}.out", "cat {} {} > {}.out; pwd", ":::"]);
    args.extend(NAMES);
    let ran = run_in(&dir, &args);
    assert_eq!(ran.code(), 0, "{ran:?}");
    for name in NAMES {
        let input = std::fs::read(dir.join(name)).unwrap();
        let output = std::fs::read(dir.join(format!("{name}.out"))).unwrap();
        assert_eq!(output, [&input[..], &input[..]].concat(), "{name:?}");
    }
    // Each job ran in a directory of its own, which is gone.
    let dirs: BTreeSet<&str> = ran.stdout.lines().collect();
    assert_eq!(dirs.len(), NAMES.len(), "{}", ran.stdout);
    assert!(dirs.iter().all(|d| d.contains("/.parallel/tmp/fanout-")));
    assert_eq!(remote_temporaries(), before);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_work_directory_keeps_the_files_until_cleanup_and_anchors_paths() {
    let sshd = Sshd::start();
    let ssh = sshd.ssh_command_line();
    let (here, there) = (temp("here"), temp("there"));
    fill(&here);
    let wd = there.to_str().unwrap();
    let base = ["--ssh", &ssh, "-S", "127.0.0.1", "--wd", wd];
    // Kept: relative paths under the work directory.
    let mut args = base.to_vec();
    args.extend([
        "--transferfile",
        "{}",
        "--return",
        "{}.n",
        "wc -c < {} > {}.n",
    ]);
    args.push(":::");
    args.extend(NAMES);
    let ran = run_in(&here, &args);
    assert_eq!(ran.code(), 0, "{ran:?}");
    for name in NAMES {
        let sent = std::fs::read(there.join(name)).unwrap();
        assert_eq!(sent, std::fs::read(here.join(name)).unwrap(), "{name:?}");
        let count = std::fs::read_to_string(here.join(format!("{name}.n"))).unwrap();
        assert_eq!(count.trim(), sent.len().to_string());
    }
    // `/./` anchors what follows it to the work directory, both ways.
    let mut args = base.to_vec();
    args.extend(["--transferfile", "./sub/./{}", "--return", "out/./{}.n"]);
    args.extend(["wc -c < {} > {}.n", ":::", "it's here"]);
    let ran = run_in(&here, &args);
    assert_eq!(ran.code(), 0, "{ran:?}");
    assert!(there.join("it's here").exists());
    let count = std::fs::read_to_string(here.join("out/it's here.n")).unwrap();
    let size = std::fs::metadata(here.join("sub/it's here")).unwrap().len();
    assert_eq!(count.trim(), size.to_string());
    // With --cleanup, sent and returned files go.
    let mut args = base.to_vec();
    args.extend(["--cleanup", "--transfer", "--return", "{}.c", "cp {} {}.c"]);
    args.extend([":::", "plain", "a b"]);
    let ran = run_in(&here, &args);
    assert_eq!(ran.code(), 0, "{ran:?}");
    for name in ["plain", "a b", "plain.c", "a b.c"] {
        assert!(!there.join(name).exists(), "{name} left on the host");
    }
    assert!(here.join("a b.c").exists());
    for dir in [here, there] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn a_file_that_cannot_be_sent_fails_its_job_before_it_runs() {
    let sshd = Sshd::start();
    let ssh = sshd.ssh_command_line();
    let dir = temp("missing");
    fill(&dir);
    let marks = dir.join("ran");
    std::fs::create_dir(&marks).unwrap();
    let touch = format!("touch {}/{{#}}", marks.display());
    let args = [
        "--ssh",
        &ssh,
        "-S",
        "127.0.0.1",
        "--wd",
        "...",
        "--transfer",
        &touch,
        ":::",
        "plain",
        "no such file",
    ];
    let ran = run_in(&dir, &args);
    assert_eq!(ran.code(), 1, "{ran:?}");
    assert!(
        ran.stderr
            .contains("fanout: 127.0.0.1: cannot transfer no such file"),
        "{}",
        ran.stderr
    );
    assert!(marks.join("1").exists());
    assert!(!marks.join("2").exists(), "the job ran without its file");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn basefiles_go_once_to_each_host_before_the_jobs() {
    let sshd = Sshd::start();
    let ssh = sshd.ssh_command_line();
    let (here, there) = (temp("base-here"), temp("base-there"));
    std::fs::write(here.join("job.sh"), "echo \"base $1\"\n").unwrap();
    let args = [
        "--ssh",
        &ssh,
        "-S",
        "127.0.0.1,localhost",
        "--wd",
        there.to_str().unwrap(),
        "--bf",
        "job.sh",
        "--cleanup",
        "sh job.sh",
        ":::",
        "1",
        "2",
        "3",
    ];
    let ran = run_in(&here, &args);
    assert_eq!(ran.code(), 0, "{ran:?}");
    let mut lines: Vec<&str> = ran.stdout.lines().collect();
    lines.sort_unstable();
    assert_eq!(lines, ["base 1", "base 2", "base 3"]);
    assert!(!there.join("job.sh").exists(), "the basefile is left");
    // A basefile that cannot be sent fails the jobs of the host.
    let args = [
        "--ssh",
        &ssh,
        "-S",
        "127.0.0.1",
        "--bf",
        "missing.sh",
        "true",
        ":::",
        "1",
        "2",
    ];
    let ran = run_in(&here, &args);
    assert_eq!(ran.code(), 2, "{ran:?}");
    assert!(ran.stderr.contains("cannot transfer basefile missing.sh"));
    for dir in [here, there] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Jobs over two logins with `--trc` of 1 MiB files, against the same
/// jobs with the files in place: the same files come out, on one ssh
/// login per host, not per job. The times are printed (`--nocapture`);
/// docs/BENCHMARKS.md has the 200-job run.
#[test]
fn jobs_with_their_files_log_in_once_per_host() {
    let sshd = Sshd::start();
    let ssh = sshd.ssh_command_line();
    let dir = temp("bench");
    let names: Vec<String> = (1..=20).map(|n| format!("f{n}")).collect();
    for (n, name) in names.iter().enumerate() {
        let block: Vec<u8> = (0..1 << 20).map(|i| (i * 7 + n) as u8).collect();
        std::fs::write(dir.join(name), block).unwrap();
    }
    let hosts = "4/127.0.0.1,4/localhost";
    let job = "cat {} > {}.out";
    let mut in_place = vec!["--ssh", &ssh, "-S", hosts, "--wd", dir.to_str().unwrap()];
    in_place.extend([job, ":::"]);
    in_place.extend(names.iter().map(String::as_str));
    let mut moved = vec!["--ssh", &ssh, "-S", hosts, "--wd", "...", "--trc", "{}.out"];
    moved.extend([job, ":::"]);
    moved.extend(names.iter().map(String::as_str));
    let first = run_in(&dir, &in_place);
    assert_eq!(first.code(), 0, "{first:?}");
    let expected: Vec<Vec<u8>> = names.iter().map(|n| read_out(&dir, n)).collect();
    let logins = sshd.logins();
    let trc = run_in(&dir, &moved);
    assert_eq!(trc.code(), 0, "{trc:?}");
    let trc_logins = sshd.logins() - logins;
    let ratio = trc.elapsed.as_secs_f64() / first.elapsed.as_secs_f64();
    eprintln!(
        "{} jobs, 1 MiB each, two logins: in place {:.2?}, --trc {:.2?} ({ratio:.2}x), \
         {trc_logins} ssh logins",
        names.len(),
        first.elapsed,
        trc.elapsed
    );
    assert!(
        trc_logins <= 2,
        "{trc_logins} logins for {} jobs",
        names.len()
    );
    let got: Vec<Vec<u8>> = names.iter().map(|n| read_out(&dir, n)).collect();
    assert!(
        got == expected,
        "--trc's outputs differ from the jobs' in place"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn read_out(dir: &Path, name: &str) -> Vec<u8> {
    let path = dir.join(format!("{name}.out"));
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_file(path).unwrap();
    bytes
}
