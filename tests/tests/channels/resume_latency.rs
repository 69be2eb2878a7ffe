//! A stream paused on a full chunk channel resumes promptly once the
//! consumer takes a chunk: woken by the watcher thread through the poller's
//! notify, not on a polling tick. With a channel of capacity 1, the time
//! from the consumer's taking a chunk to the next chunk's arrival is
//! measured over a few hundred chunks; the median must stay well under a
//! tick (generously: 5 ms). The precise figures come from the benchmark
//! `resume-latency` (in `benches/`).

#![allow(clippy::print_stderr)]

use std::thread;
use std::time::{Duration, Instant};

use procpump::{ChannelSink, Chunk, Job, OnDisconnect, Reactor, StreamEnd};
use procpump_tests::programs::pp_emit;
use procpump_tests::{within, PatternChecker};

const SAMPLES: usize = 300;
const SEED: u64 = 0x1A7;

/// Waits, in short naps, until the reactor has filled the channel.
fn wait_full(receiver: &crossbeam_channel::Receiver<Chunk>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !receiver.is_full() {
        assert!(Instant::now() < deadline, "the channel never filled");
        thread::sleep(Duration::from_micros(50));
    }
}

#[test]
fn a_paused_stream_resumes_promptly_when_the_consumer_takes_a_chunk() {
    within(Duration::from_secs(60), "the resume-latency run", || {
        let (sender, receiver) = crossbeam_channel::bounded::<Chunk>(1);
        let emit = pp_emit().stdout(1 << 30).seed(SEED).command();
        // When the consumer has had enough, the child is stopped by the
        // closed pipe.
        let sink = ChannelSink::new(sender).on_disconnect(OnDisconnect::Close);
        let mut reactor = Reactor::new().expect("a reactor");
        reactor.spawn(Job::new(emit).stdout(sink));
        let run = thread::spawn(move || reactor.run().expect("the run").remove(0));

        let mut checker = PatternChecker::new(SEED);
        let mut latencies = Vec::with_capacity(SAMPLES);
        for _ in 0..SAMPLES {
            // Let the reactor fill the channel and pause, a chunk in hand.
            wait_full(&receiver);
            thread::sleep(Duration::from_millis(1));
            let chunk = receiver.recv().expect("a chunk waits");
            let taken = Instant::now();
            checker.feed(&chunk);
            let next = receiver.recv().expect("the next chunk");
            latencies.push(taken.elapsed());
            checker.feed(&next);
        }
        drop(receiver);
        let report = run.join().expect("the reactor thread");
        checker
            .verify(checker.bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            report.stdout().map(|s| s.end()),
            Some(&StreamEnd::Closed),
            "{report:?}"
        );
        assert_eq!(report.code(), Some(3), "EPIPE in pp-emit: {report:?}");

        latencies.sort();
        let at = |q: f64| latencies[((SAMPLES - 1) as f64 * q) as usize];
        eprintln!(
            "consumer takes a chunk → the next one arrives: p50 {:?}, p90 {:?}, p99 {:?}, \
             max {:?}",
            at(0.5),
            at(0.9),
            at(0.99),
            at(1.0)
        );
        assert!(
            at(0.5) < Duration::from_millis(5),
            "median resume latency {:?}: resumed on a tick, not when the consumer took a chunk",
            at(0.5)
        );
    });
}
