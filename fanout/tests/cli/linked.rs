//! Linked input sources (`--link`, `--xapply`, `:::+`, `::::+`), beside
//! GNU parallel.

use crate::gnu::{same, same_with_stdin};

#[test]
fn link_wraps_the_shorter_sources() {
    assert_eq!(
        same(&["-k", "--link", "echo", ":::", "a", "b", "c", ":::", "1", "2"]),
        "a 1\nb 2\nc 1\n"
    );
    same(&[
        "-k", "--xapply", "echo", ":::", "a", "b", "c", ":::", "1", "2", ":::", "X",
    ]);
    same(&[
        "-k", "--link", "-N2", "echo", ":::", "a", "b", "c", ":::", "1", "2",
    ]);
}

#[test]
fn linked_to_the_source_before() {
    assert_eq!(
        same(&["-k", "echo", ":::", "a", "b", ":::", "x", "y", "z", ":::+", "1", "2"]),
        "a x 1\na y 2\nb x 1\nb y 2\n"
    );
    same(&[
        "-k", "--tag", "echo", "{2}", ":::", "a", "b", "c", ":::+", "1", "2", "3",
    ]);
}

#[test]
fn linked_files_and_stdin() {
    let dir = std::env::temp_dir().join(format!("fanout-linked-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("f");
    std::fs::write(&file, "p\nq\n").unwrap();
    let file = file.to_str().unwrap();
    same(&["-k", "echo", ":::", "a", "b", "c", "::::+", file]);
    same(&[
        "-k", "--link", "echo", "{2}{1}", "::::", file, ":::", "1", "2", "3",
    ]);
    same_with_stdin(
        &[
            "-k", "--link", "echo", "{2}{1}", "::::", "-", ":::", "1", "2", "3",
        ],
        b"a\nb\n",
    );
    std::fs::remove_dir_all(dir).unwrap();
}
