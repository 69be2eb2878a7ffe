//! `round_robin`: one input spread over several children's stdin in
//! blocks of whole lines: `wc -l`s whose counts sum to the input's lines;
//! a slow child gets fewer blocks and stalls nobody; a child that never
//! reads loses only the blocks it was given.

use std::io::Cursor;
use std::process::Command;

use procpump::{Job, Reactor, Stream};
use procpump_adapters::{round_robin, Head, Records, Spread};

const LINES: u64 = 200_000;

fn input() -> Cursor<Vec<u8>> {
    let text: String = (0..LINES)
        .map(|n| format!("line {n} of the input\n"))
        .collect();
    Cursor::new(text.into_bytes())
}

/// Runs one child per script, each reading its share; returns each
/// child's `wc -l` (None for a child that printed no count) and the
/// spread.
fn run(scripts: &[&str], records: Records) -> (Vec<Option<u64>>, Spread) {
    let (inputs, spreader) = round_robin(input(), records, scripts.len());
    let mut reactor = Reactor::new().unwrap();
    let ids: Vec<_> = scripts
        .iter()
        .zip(inputs)
        .map(|(script, input)| {
            let mut sh = Command::new("sh");
            sh.args(["-c", script]);
            reactor.spawn(Job::new(sh).stdin(input).stdout(Head::new(64)))
        })
        .collect();
    let mut counts = vec![None; scripts.len()];
    for mut report in reactor.run().unwrap() {
        let child = ids.iter().position(|&id| id == report.id()).unwrap();
        let head: Head = report.take_sink(Stream::Stdout).unwrap();
        counts[child] = String::from_utf8_lossy(head.bytes()).trim().parse().ok();
    }
    (counts, spreader.join().unwrap())
}

#[test]
fn four_line_counts_sum_to_the_input_lines() {
    let (counts, spread) = run(&["wc -l"; 4], Records::lines().block_size(64 << 10));
    let counts: Vec<u64> = counts.into_iter().map(Option::unwrap).collect();
    assert_eq!(counts.iter().sum::<u64>(), LINES, "{counts:?}");
    assert_eq!(
        spread.bytes.iter().sum::<u64>(),
        input().into_inner().len() as u64
    );
    assert!(spread.blocks.iter().all(|&blocks| blocks > 0), "{spread:?}");
}

#[test]
fn a_slow_child_gets_fewer_blocks_and_the_rest_goes_on() {
    let scripts = ["sleep 0.5; wc -l", "wc -l", "wc -l"];
    let (counts, spread) = run(&scripts, Records::lines().records_per_block(1000));
    let counts: Vec<u64> = counts.into_iter().map(Option::unwrap).collect();
    assert_eq!(counts.iter().sum::<u64>(), LINES, "{counts:?}");
    assert!(spread.blocks[0] < spread.blocks[1], "{spread:?}");
    // Every block is whole: each child's count is whole blocks.
    assert!(counts.iter().all(|count| count % 1000 == 0), "{counts:?}");
}

#[test]
fn a_child_that_never_reads_loses_only_its_own_blocks() {
    let scripts = ["exec true", "wc -l", "wc -l"];
    let (counts, spread) = run(&scripts, Records::lines().records_per_block(100));
    assert_eq!(counts[0], None);
    let read: u64 = counts[1..].iter().map(|count| count.unwrap()).sum();
    assert_eq!(
        read + spread.blocks[0] * 100,
        LINES,
        "{counts:?} {spread:?}"
    );
}
