//! 10 GiB through `Tail(64 KiB)`: the process's memory stays flat, and the
//! tail holds exactly the stream's last 64 KiB.
//!
//! One test only in this file: it measures the whole process's memory.

mod adapters_support;

use std::process::Command;

use adapters_support::vm_hwm_kib;
use procpump::{Job, Reactor, Stream};
use procpump_adapters::Tail;
use procpump_tests::{bin, fill_pattern};

const SIZE: u64 = 10 << 30;
const TAIL: usize = 64 * 1024;
const SEED: u64 = 0x7A11;

#[test]
fn ten_gib_through_a_64_kib_tail_keeps_memory_flat() {
    let before = vm_hwm_kib();
    let mut emit = Command::new(bin("pp-emit"));
    emit.args(["--stdout", &SIZE.to_string(), "--seed", &SEED.to_string()]);
    let mut reactor = Reactor::new().unwrap();
    reactor.spawn(Job::new(emit).stdout(Tail::new(TAIL)));
    let mut report = reactor.run().unwrap().remove(0);
    let after = vm_hwm_kib();

    assert!(report.success(), "{report:?}");
    assert_eq!(report.stdout().unwrap().bytes(), SIZE);
    let tail: Tail = report.take_sink(Stream::Stdout).unwrap();
    assert_eq!(tail.total(), SIZE);
    assert_eq!(tail.dropped(), SIZE - TAIL as u64);
    let mut expected = vec![0; TAIL];
    fill_pattern(SEED, SIZE - TAIL as u64, &mut expected);
    assert!(tail.bytes() == expected, "the tail is not the stream's end");
    let growth = after.saturating_sub(before);
    assert!(
        growth < 32 * 1024,
        "VmHWM grew by {growth} KiB ({before} -> {after})"
    );
}
