//! A 100 MiB line without a newline stays within `Lines`' line limit:
//! delivered in pieces of at most the limit (or truncated and counted),
//! with the process's memory flat.
//!
//! It runs alone (`alone::run`): it measures the whole process's memory.

use std::process::Command;

use procpump::{Flow, Job, Reactor, Stream};
use procpump_adapters::{Line, Lines, LongLines, StatefulLines};
use procpump_tests::{alone, status_kib};

const LINE: u64 = 100 << 20;
const MAX: usize = 1 << 20;

/// What the handler saw: (lines, pieces, bytes, longest piece, truncated,
/// last piece partial?, last piece terminated?).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Seen {
    lines: u64,
    pieces: u64,
    bytes: u64,
    longest: usize,
    truncated: u64,
    last_partial: bool,
    last_terminated: bool,
}

fn see(seen: &mut Seen, line: Line<'_>) -> Flow {
    assert!(line.bytes().iter().all(|&b| b == 0));
    seen.pieces += 1;
    seen.lines += u64::from(!line.is_partial());
    seen.bytes += line.bytes().len() as u64;
    seen.longest = seen.longest.max(line.bytes().len());
    seen.truncated += line.truncated();
    seen.last_partial = line.is_partial();
    seen.last_terminated = line.is_terminated();
    Flow::Continue
}

/// `head -c 100M /dev/zero`: one line, no newline.
fn zeros() -> Command {
    let mut head = Command::new("head");
    head.args(["-c", &LINE.to_string(), "/dev/zero"]);
    head
}

#[test]
fn a_100_mib_line_stays_within_the_line_limit() {
    alone::run(|| {
        let before = status_kib("VmHWM");
        let mut reactor = Reactor::new().unwrap();
        for policy in [LongLines::Split, LongLines::Truncate] {
            let lines = Lines::with_state(Seen::default(), see)
                .max_line(MAX)
                .long_lines(policy);
            reactor.spawn(Job::new(zeros()).stdout(lines));
        }
        let mut reports = reactor.run().unwrap();
        let after = status_kib("VmHWM");
        reports.sort_by_key(|report| report.id());

        let mut seen = Vec::new();
        for report in &mut reports {
            assert!(report.success(), "{report:?}");
            let lines: StatefulLines<Seen> = report.take_sink(Stream::Stdout).unwrap();
            assert!(lines.held() <= MAX + 1);
            seen.push(lines.into_handler().into_state());
        }
        let pieces = LINE / MAX as u64;
        let split = Seen {
            lines: 1,
            pieces,
            bytes: LINE,
            longest: MAX,
            truncated: 0,
            last_partial: false,
            last_terminated: false,
        };
        let truncate = Seen {
            pieces: 1,
            bytes: MAX as u64,
            truncated: LINE - MAX as u64,
            ..split
        };
        assert_eq!(seen, [split, truncate]);
        let growth = after.saturating_sub(before);
        assert!(
            growth < 32 * 1024,
            "VmHWM grew by {growth} KiB ({before} -> {after})"
        );
    });
}
