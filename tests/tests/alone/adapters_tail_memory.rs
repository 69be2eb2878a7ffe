//! 10 GiB through `Tail(64 KiB)`: the process's memory stays flat, and the
//! tail holds exactly the stream's last 64 KiB.
//!
//! It runs alone (`alone::run`): it measures the whole process's memory.

use procpump::{Job, Reactor, Stream};
use procpump_adapters::Tail;
use procpump_tests::programs::pp_emit;
use procpump_tests::{alone, fill_pattern, status_kib};

const SIZE: u64 = 10 << 30;
const TAIL: usize = 64 * 1024;
const SEED: u64 = 0x7A11;

#[test]
fn ten_gib_through_a_64_kib_tail_keeps_memory_flat() {
    alone::run(|| {
        let before = status_kib("VmHWM");
        let emit = pp_emit().stdout(SIZE).seed(SEED).command();
        let mut reactor = Reactor::new().unwrap();
        reactor.spawn(Job::new(emit).stdout(Tail::new(TAIL)));
        let mut report = reactor.run().unwrap().remove(0);
        let after = status_kib("VmHWM");

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
    });
}
