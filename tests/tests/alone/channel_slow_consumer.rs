//! A bounded `Sender<Chunk>` is a sink with backpressure: a consumer that
//! sleeps 100 ms per chunk on a child writing 1 GiB pauses that one pipe
//! (the child blocks in `write`), the process's memory stays bounded, every
//! byte arrives in order, and another child of the same reactor runs at
//! full speed meanwhile.
//!
//! 1 GiB at 100 ms a chunk would take minutes, so the consumer is slow for
//! its first [`SLOW_CHUNKS`] chunks only (two seconds, in which the other
//! child must move its whole gigabyte), then takes the rest at full speed.
//!
//! It runs alone (`alone::run`): it measures the whole process's memory,
//! which tests running alongside would disturb.

#![allow(clippy::print_stderr)]

use std::thread;
use std::time::{Duration, Instant};

use procpump::{Chunk, Discard, Job, Reactor, Stream, StreamEnd};
use procpump_tests::programs::pp_emit;
use procpump_tests::{alone, status_kib, within, PatternChecker};

const GIB: u64 = 1 << 30;
const SEED: u64 = 0x51_0C;
/// Chunks the consumer takes slowly, sleeping [`SLOW_SLEEP`] after each.
const SLOW_CHUNKS: usize = 20;
const SLOW_SLEEP: Duration = Duration::from_millis(100);
/// Chunks the channel holds.
const CAPACITY: usize = 4;
/// How much the process may grow, in KiB, over its size before the run.
const MEMORY_LIMIT_KIB: u64 = 64 * 1024;

/// What the consumer saw.
struct Consumed {
    checker: PatternChecker,
    chunks: u64,
    largest: usize,
    /// When the slow phase ended.
    slow_end: Instant,
    /// The channel's fill, sampled before each slow take.
    fills: Vec<usize>,
    /// The highest VmRSS seen, in KiB.
    peak_rss_kib: u64,
    foreign: u64,
}

fn consume(chunks: crossbeam_channel::Receiver<Chunk>) -> Consumed {
    let mut consumed = Consumed {
        checker: PatternChecker::new(SEED),
        chunks: 0,
        largest: 0,
        slow_end: Instant::now(),
        fills: Vec::new(),
        peak_rss_kib: 0,
        foreign: 0,
    };
    loop {
        let slow = consumed.chunks < SLOW_CHUNKS as u64;
        if slow {
            consumed.fills.push(chunks.len());
        }
        let Ok(chunk) = chunks.recv() else { break };
        if chunk.stream() != Stream::Stdout {
            consumed.foreign += 1;
        }
        consumed.chunks += 1;
        consumed.largest = consumed.largest.max(chunk.len());
        consumed.checker.feed(&chunk);
        if slow {
            thread::sleep(SLOW_SLEEP);
            consumed.peak_rss_kib = consumed.peak_rss_kib.max(status_kib("VmRSS"));
            consumed.slow_end = Instant::now();
        } else if consumed.chunks.is_multiple_of(256) {
            consumed.peak_rss_kib = consumed.peak_rss_kib.max(status_kib("VmRSS"));
        }
    }
    consumed
}

#[test]
fn slow_consumer_pauses_one_pipe_with_bounded_memory_while_another_child_flows() {
    alone::run(|| {
        within(Duration::from_secs(120), "the slow-consumer run", || {
            let rss_before = status_kib("VmRSS");
            let (sender, receiver) = crossbeam_channel::bounded::<Chunk>(CAPACITY);
            let consumer = thread::spawn(move || consume(receiver));

            let mut reactor = Reactor::new().expect("a reactor");
            let slow = pp_emit().stdout(GIB).seed(SEED).command();
            let slow_id = reactor.spawn(Job::new(slow).stdout(sender));
            let fast = pp_emit().stdout(GIB).command();
            let fast_id = reactor.spawn(Job::new(fast).stdout(Discard));

            let started = Instant::now();
            let reports = reactor.run().expect("the run");
            drop(reactor);
            let consumed = consumer.join().expect("the consumer");
            let hwm = status_kib("VmHWM");

            let slow_report = reports.iter().find(|r| r.id() == slow_id).expect("slow");
            let fast_report = reports.iter().find(|r| r.id() == fast_id).expect("fast");
            let slow_phase = consumed.slow_end - started;
            let fast_time = fast_report.finished() - started;
            eprintln!(
                "slow phase {slow_phase:?}; fast child's 1 GiB in {fast_time:?} ({:.2} GB/s); \
             slow child in {:?}; {} chunks (largest {} B); channel fill {:?}; \
             VmRSS before {rss_before} KiB, peak sampled {} KiB, VmHWM {hwm} KiB",
                GIB as f64 / fast_time.as_secs_f64() / 1e9,
                slow_report.finished() - started,
                consumed.chunks,
                consumed.largest,
                consumed.fills,
                consumed.peak_rss_kib,
            );

            // Every byte, in order, and nothing else.
            assert!(slow_report.success(), "{slow_report:?}");
            consumed
                .checker
                .verify(GIB)
                .unwrap_or_else(|e| panic!("through the channel: {e}"));
            assert_eq!(consumed.foreign, 0, "chunks tagged with another stream");
            let stdout = slow_report.stdout().expect("stdout handled");
            assert_eq!((stdout.bytes(), stdout.discarded()), (GIB, 0));
            assert_eq!(stdout.end(), &StreamEnd::Eof);

            // The other child ran at full speed: its whole gigabyte went through
            // while the consumer was still taking its slow chunks.
            assert!(fast_report.success(), "{fast_report:?}");
            assert_eq!(fast_report.stdout().map(|s| s.bytes()), Some(GIB));
            assert!(
                fast_report.finished() < consumed.slow_end,
                "the other child took {fast_time:?}, longer than the slow phase ({slow_phase:?}): \
             the slow consumer held it up"
            );
            assert!(slow_phase >= SLOW_SLEEP * SLOW_CHUNKS as u32);

            // Backpressure, not buffering: the channel was full while the
            // consumer dawdled, and the process stayed small.
            let full = consumed.fills[1..]
                .iter()
                .filter(|&&n| n == CAPACITY)
                .count();
            assert!(
                full >= SLOW_CHUNKS - 2,
                "the channel was not kept full during the slow phase: {:?}",
                consumed.fills
            );
            assert!(
                consumed.largest <= 256 * 1024,
                "a chunk of {} bytes",
                consumed.largest
            );
            // VmHWM can lag behind (RSS counters are synced lazily): take the
            // highest of it and the sampled VmRSS.
            let growth = hwm.max(consumed.peak_rss_kib).saturating_sub(rss_before);
            assert!(
                growth < MEMORY_LIMIT_KIB,
                "the process grew by {growth} KiB at its peak (VmHWM {hwm} KiB, sampled VmRSS \
             {} KiB, VmRSS before {rss_before} KiB): output is being buffered",
                consumed.peak_rss_kib
            );
        });
    });
}
