//! `fanout --group`: each job's output printed whole, in one piece,
//! when it ends (spooled meanwhile, past 64 KiB in a temporary file), and
//! `--log-dir`: every job's full output in `DIR/<i>.out` and
//! `DIR/<i>.err`, exactly as written.

use crate::support::run;

/// Three commands that print in turns, so that their lines would mix
/// without `--group`.
const TAKING_TURNS: [&str; 3] = [
    "for i in 1 2 3 4 5; do echo a$i; echo ea$i >&2; sleep 0.03; done",
    "for i in 1 2 3 4 5; do echo b$i; sleep 0.03; done; seq 1 100000",
    "for i in 1 2 3 4 5; do echo c$i; echo ec$i >&2; sleep 0.03; done",
];

/// The runs of consecutive lines that have the same tag: `(tag, count)`.
fn runs_of_tags(text: &str) -> Vec<(String, usize)> {
    let mut runs: Vec<(String, usize)> = Vec::new();
    for line in text.lines() {
        let tag = line.split_once("] ").map_or("", |(tag, _)| tag).to_owned();
        match runs.last_mut() {
            Some((last, count)) if *last == tag => *count += 1,
            _ => runs.push((tag, 1)),
        }
    }
    runs
}

#[test]
fn group_prints_each_commands_output_whole_and_contiguous() {
    let mut args = vec!["--group", "-j", "3", "--seq-tag", ":::"];
    args.extend(TAKING_TURNS);
    let ran = run(&args);
    assert_eq!(ran.code(), 0, "{}", ran.stderr);
    // One block per command on stdout (in the order they ended).
    let mut blocks = runs_of_tags(&ran.stdout);
    blocks.sort();
    assert_eq!(
        blocks,
        [("[1".into(), 5), ("[2".into(), 100_005), ("[3".into(), 5)]
    );
    let block = |index: u64| -> Vec<&str> {
        let tag = format!("[{index}] ");
        ran.stdout
            .lines()
            .filter_map(|l| l.strip_prefix(tag.as_str()))
            .collect()
    };
    assert_eq!(block(1), ["a1", "a2", "a3", "a4", "a5"]);
    let expected: Vec<String> = ["b1", "b2", "b3", "b4", "b5"]
        .into_iter()
        .map(String::from)
        .chain((1..=100_000).map(|n| n.to_string()))
        .collect();
    assert!(
        block(2) == expected,
        "command 2's output, spooled past memory"
    );
    // stderr too, one block per command.
    let mut blocks = runs_of_tags(ran.command_stderr());
    blocks.sort();
    assert_eq!(blocks, [("[1".into(), 5), ("[3".into(), 5)]);
}

#[test]
fn group_without_tags_passes_bytes_as_they_are() {
    let ran = run(&[
        "--group",
        "-j",
        "2",
        ":::",
        "printf 'x\\ny'",
        "sleep 0.2; printf z",
    ]);
    assert_eq!(ran.code(), 0);
    assert_eq!(ran.stdout, "x\nyz");
}

#[test]
fn log_dir_keeps_every_commands_output_exactly() {
    let dir = std::env::temp_dir().join(format!("fanout-logs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let dir_arg = dir.to_str().unwrap();
    for mode in [None, Some("--group")] {
        let mut args = vec!["--log-dir", dir_arg, "-j", "3"];
        args.extend(mode);
        args.push(":::");
        args.extend(TAKING_TURNS);
        args.push("printf 'no newline'; printf 'err' >&2; exit 3");
        let ran = run(&args);
        assert_eq!(ran.code(), 1, "{}", ran.stderr);
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
        assert_eq!(read("1.out"), "a1\na2\na3\na4\na5\n");
        assert_eq!(read("1.err"), "ea1\nea2\nea3\nea4\nea5\n");
        let mut two = String::from("b1\nb2\nb3\nb4\nb5\n");
        for n in 1..=100_000 {
            two += &format!("{n}\n");
        }
        assert!(read("2.out") == two, "2.out");
        assert_eq!(read("2.err"), "");
        assert_eq!(read("4.out"), "no newline");
        assert_eq!(read("4.err"), "err");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names.len(), 8, "{names:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
