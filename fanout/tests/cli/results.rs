//! `--results DIR`: each job's stdout, stderr and number in
//! `DIR/1/ARG1/2/ARG2/{stdout,stderr,seq}`, GNU parallel's layout (20221122:
//! `/` in an argument becomes `\_`, `\` becomes `\\`), and the output is
//! still printed.

use crate::support::run;

#[test]
fn results_writes_gnu_parallels_tree() {
    let dir = std::env::temp_dir().join(format!("fanout-results-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let ran = run(&[
        "--results",
        dir.to_str().unwrap(),
        "echo out {1} {2}; echo err >&2",
        ":::",
        "a",
        "b/c d",
        ":::",
        "x",
    ]);
    assert_eq!(ran.code(), 0, "{}", ran.stderr);
    let mut printed: Vec<&str> = ran.stdout.lines().collect();
    printed.sort();
    assert_eq!(printed, ["out a x", "out b/c d x"]);
    assert_eq!(ran.command_stderr(), "err\nerr\n");
    let read = |path: &str| std::fs::read_to_string(dir.join(path)).unwrap();
    assert_eq!(read("1/a/2/x/stdout"), "out a x\n");
    assert_eq!(read("1/a/2/x/stderr"), "err\n");
    assert_eq!(read("1/a/2/x/seq"), "1");
    assert_eq!(read("1/b\\_c d/2/x/stdout"), "out b/c d x\n");
    assert_eq!(read("1/b\\_c d/2/x/seq"), "2");
    std::fs::remove_dir_all(dir).unwrap();
}
