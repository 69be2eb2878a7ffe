//! stdin from a channel ([`Input::channel`]): a bounded receiver of byte
//! buffers is a child's stdin, with backpressure the other way. A producer
//! thread's 1 GiB goes through `pp-cat` whole and in order; a child that
//! stops reading stops the producer (bounded, not buffered); a producer
//! that pauses costs nothing and is served at once when it sends again; a
//! child that closes its stdin early frees the producer with an error.

#![allow(clippy::print_stderr)]

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use procpump::{Chunk, Input, Job, Reactor, Stream, StreamEnd};
use procpump_tests::programs::{pp_cat, pp_read_some};
use procpump_tests::sinks::CheckSink;
use procpump_tests::{eventually, within, PatternChecker, PatternReader};

const GIB: u64 = 1 << 30;
const LIMIT: Duration = Duration::from_secs(60);

/// Sends the first `len` bytes of the pattern for `seed` into `sender`, in
/// buffers of assorted sizes (the reactor must not care), counting what it
/// has sent in `sent`.
fn produce(seed: u64, len: u64, sender: crossbeam_channel::Sender<Vec<u8>>, sent: &AtomicU64) {
    const SIZES: [usize; 6] = [1 << 20, 65_536, 7, 300_001, 4096, 1 << 19];
    let mut reader = PatternReader::new(seed, len);
    for size in SIZES.iter().cycle() {
        let mut buffer = vec![0; *size];
        let n = reader.read(&mut buffer).expect("the pattern");
        if n == 0 {
            return;
        }
        buffer.truncate(n);
        if sender.send(buffer).is_err() {
            return;
        }
        sent.fetch_add(n as u64, Ordering::Relaxed);
    }
}

#[test]
fn a_gib_through_cat_from_a_channel() {
    const SEED: u64 = 0x5_7D1;
    within(LIMIT, "1 GiB through a stdin channel", || {
        let (sender, receiver) = crossbeam_channel::bounded::<Vec<u8>>(4);
        let producer = thread::spawn(move || {
            let sent = AtomicU64::new(0);
            produce(SEED, GIB, sender, &sent);
            sent.into_inner()
        });
        let begin = Instant::now();
        let mut reactor = Reactor::new().expect("a reactor");
        reactor.spawn(
            Job::new(pp_cat())
                .stdin(Input::channel(receiver))
                .stdout(CheckSink::new(SEED)),
        );
        let mut report = reactor.run().expect("the run").remove(0);
        let took = begin.elapsed();
        assert_eq!(producer.join().expect("the producer"), GIB);
        eprintln!(
            "1 GiB from a channel through pp-cat in {took:?} ({:.2} GB/s)",
            GIB as f64 / took.as_secs_f64() / 1e9
        );
        assert!(report.success(), "{report:?}");
        let stdin = report.stdin().expect("stdin handled");
        assert_eq!(
            (stdin.written(), stdin.unsent(), stdin.end()),
            (GIB, 0, &StreamEnd::Eof)
        );
        let stdout: CheckSink = report.take_sink(Stream::Stdout).expect("the sink");
        stdout
            .verify(GIB, &StreamEnd::Eof)
            .unwrap_or_else(|e| panic!("the copy of the channel: {e}"));
    });
}

/// A child that stops reading (here `pp-cat`, blocked writing into a full
/// chunk channel nobody reads for a while) stops the producer: what it
/// manages to send meanwhile is bounded by the channels' and pipes'
/// capacities, and it resumes when the consumer does.
#[test]
fn a_child_that_stops_reading_stops_the_producer() {
    const SEED: u64 = 0x5_7D2;
    const LEN: u64 = 256 << 20;
    /// Channels, pipes (enlarged to 1 MiB) and buffers on the way hold
    /// a few MiB at most.
    const IN_FLIGHT: u64 = 16 << 20;
    within(LIMIT, "a stalled stdin channel", || {
        let (sender, receiver) = crossbeam_channel::bounded::<Vec<u8>>(2);
        let sent = Arc::new(AtomicU64::new(0));
        let producer = {
            let sent = Arc::clone(&sent);
            thread::spawn(move || produce(SEED, LEN, sender, &sent))
        };
        let (chunks, chunk_receiver) = crossbeam_channel::bounded::<Chunk>(1);
        let mut reactor = Reactor::new().expect("a reactor");
        reactor.spawn(
            Job::new(pp_cat())
                .stdin(Input::channel(receiver))
                .stdout(chunks),
        );
        let run = thread::spawn(move || reactor.run().expect("the run").remove(0));

        // The consumer does not read yet: the producer soon stops.
        assert!(eventually(Duration::from_secs(10), || chunk_receiver.is_full()));
        thread::sleep(Duration::from_millis(500));
        let stalled = sent.load(Ordering::Relaxed);
        thread::sleep(Duration::from_millis(500));
        let still = sent.load(Ordering::Relaxed);
        eprintln!("the producer stalled after {stalled} bytes");
        assert_eq!(
            stalled, still,
            "the producer went on while nothing was read"
        );
        assert!(
            stalled <= IN_FLIGHT,
            "{stalled} bytes sent while nothing was read: buffered, not pushed back"
        );

        // The consumer comes: everything flows, in order.
        let mut checker = PatternChecker::new(SEED);
        for chunk in chunk_receiver.iter() {
            checker.feed(&chunk);
        }
        checker.verify(LEN).unwrap_or_else(|e| panic!("{e}"));
        producer.join().expect("the producer");
        let report = run.join().expect("the reactor thread");
        assert!(report.success(), "{report:?}");
        assert_eq!(report.stdin().map(|s| s.written()), Some(LEN));
    });
}

/// Between a producer's sends, the stdin stream waits without cost; each
/// send is written at once (the watcher wakes the reactor), so a ping
/// comes back through `pp-cat` in well under a polling tick.
#[test]
fn a_producer_that_pauses_is_served_at_once_when_it_sends() {
    const PINGS: usize = 30;
    within(LIMIT, "ping-pong through a stdin channel", || {
        let (sender, receiver) = crossbeam_channel::bounded::<Vec<u8>>(1);
        let (chunks, chunk_receiver) = crossbeam_channel::bounded::<Chunk>(4);
        let mut reactor = Reactor::new().expect("a reactor");
        reactor.spawn(
            Job::new(pp_cat())
                .stdin(Input::channel(receiver))
                .stdout(chunks),
        );
        let run = thread::spawn(move || reactor.run().expect("the run").remove(0));
        let mut round_trips = Vec::new();
        for i in 0..PINGS {
            thread::sleep(Duration::from_millis(20));
            let ping = format!("ping {i}\n").into_bytes();
            let sent = Instant::now();
            sender.send(ping.clone()).expect("the child reads");
            let mut pong = Vec::new();
            while pong.len() < ping.len() {
                pong.extend_from_slice(&chunk_receiver.recv().expect("the echo"));
            }
            round_trips.push(sent.elapsed());
            assert_eq!(pong, ping);
        }
        drop(sender);
        assert!(chunk_receiver.iter().next().is_none(), "nothing more");
        let report = run.join().expect("the reactor thread");
        assert!(report.success(), "{report:?}");
        round_trips.sort();
        let median = round_trips[PINGS / 2];
        eprintln!(
            "stdin channel → pp-cat → chunk channel round trip: median {median:?}, max {:?}",
            round_trips[PINGS - 1]
        );
        assert!(
            median < Duration::from_millis(10),
            "median round trip {median:?}: the stdin stream is not woken when data arrives"
        );
    });
}

#[test]
fn a_child_that_closes_stdin_frees_the_producer() {
    within(LIMIT, "a child that stops reading early", || {
        let (sender, receiver) = crossbeam_channel::bounded::<Vec<u8>>(2);
        // Sends until the channel is closed under it.
        let producer = thread::spawn(move || {
            let mut sent = 0u64;
            while sender.send(vec![b'x'; 65_536]).is_ok() {
                sent += 65_536;
            }
            sent
        });
        let some = pp_read_some(100 << 10, 0);
        let mut reactor = Reactor::new().expect("a reactor");
        reactor.spawn(
            Job::new(some)
                .stdin(Input::channel(receiver))
                .stdout(procpump::Discard),
        );
        let report = reactor.run().expect("the run").remove(0);
        let sent = producer.join().expect("the producer");
        assert!(report.success(), "{report:?}");
        let stdin = report.stdin().expect("stdin handled");
        assert_eq!(stdin.end(), &StreamEnd::ChildClosed, "{report:?}");
        assert!(stdin.written() >= 100 << 10, "{report:?}");
        assert!(sent >= stdin.written(), "sent {sent}: {report:?}");
    });
}

#[test]
fn senders_gone_without_a_byte_is_an_empty_stdin() {
    within(LIMIT, "an empty stdin channel", || {
        let (sender, receiver) = crossbeam_channel::bounded::<Vec<u8>>(2);
        drop(sender);
        let mut reactor = Reactor::new().expect("a reactor");
        reactor.spawn(Job::new(pp_cat()).stdin(receiver).stdout(CheckSink::new(0)));
        let report = reactor.run().expect("the run").remove(0);
        assert!(report.success(), "{report:?}");
        let stdin = report.stdin().expect("stdin handled");
        assert_eq!((stdin.written(), stdin.end()), (0, &StreamEnd::Eof));
        assert_eq!(report.stdout().map(|s| s.bytes()), Some(0));
    });
}
