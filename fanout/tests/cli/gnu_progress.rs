//! `--bar`, `--eta` and `--progress` print GNU parallel's texts on
//! stderr, also when it is not a terminal (scripts pipe `--bar` into
//! `zenity --progress`). Checked beside GNU parallel on the same command
//! line: the same heading, and the same last text (what the times do not
//! change); the jobs' output is unchanged.

use crate::gnu::parallel;
use crate::support::run;

/// stderr without GNU parallel's complaints that there is no `/dev/tty`.
fn without_tty_noise(stderr: &str) -> String {
    let lines = stderr.split_inclusive('\n');
    lines.filter(|line| !line.starts_with("sh: ")).collect()
}

/// The last text drawn: from the last `\r` on (`--bar`: from zenity's
/// last `\r#`).
fn last_text(stderr: &str, from: &str) -> String {
    let at = stderr
        .rfind(from)
        .unwrap_or_else(|| panic!("no {from:?} in {stderr:?}"));
    stderr[at..].to_owned()
}

fn both(style: &str) -> (String, String, String, String) {
    let args = [
        style,
        "-k",
        "--tag",
        "-j2",
        "sleep 0.2; echo {}",
        ":::",
        "1",
        "2",
        "3",
        "4",
    ];
    let (ran, gnu) = (run(&args), parallel(&args));
    assert_eq!((ran.code(), gnu.code()), (0, 0), "{style}: {}", ran.stderr);
    assert_eq!(ran.stdout, gnu.stdout, "{style}");
    (
        ran.stdout,
        gnu.stdout,
        without_tty_noise(&ran.stderr),
        without_tty_noise(&gnu.stderr),
    )
}

#[test]
fn progress_and_eta_print_gnu_parallels_heading_and_counts() {
    let heading = "\nComputers / CPU cores / Max jobs to run\n1:local / ";
    for style in ["--progress", "--eta"] {
        let (_, _, ran, gnu) = both(style);
        let head = |text: &str| text.split_inclusive('\n').take(5).collect::<String>();
        assert_eq!(head(&ran), head(&gnu), "{style}");
        assert!(ran.starts_with(heading), "{style}: {ran:?}");
        let (ran, gnu) = (last_text(&ran, "\r"), last_text(&gnu, "\r"));
        let counts = if style == "--eta" {
            "\rETA: 0s Left: 0 AVG: "
        } else {
            "\rlocal:0/4/100%/"
        };
        assert!(
            ran.starts_with(counts) && gnu.starts_with(counts),
            "{ran:?} {gnu:?}"
        );
        assert!(
            ran.contains("local:0/4/100%/") && ran.ends_with("s \n"),
            "{ran:?}"
        );
    }
}

#[test]
fn bar_prints_gnu_parallels_zenity_lines_and_bar() {
    let (_, _, ran, gnu) = both("--bar");
    let (ran, gnu) = (last_text(&ran, "\r#"), last_text(&gnu, "\r#"));
    assert_eq!(ran, gnu);
    assert!(ran.starts_with("\r#   0 sec 4 "), "{ran:?}");
    assert!(ran.contains("\r100\r\x1b[7m100% 4:0=0s 4 "), "{ran:?}");
    assert!(ran.ends_with("\x1b[0m\x1b[0m\n"), "{ran:?}");
}
