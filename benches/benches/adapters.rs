//! Micro-benchmarks of the adapters, fed from memory: no pipe and no child,
//! so what each costs per byte is measured alone, the ceiling it leaves a
//! reactor that reads faster. Chunks are 256 KiB, the reactor's default
//! read size; the text is 80-byte lines, as in `bench-peers` case 5.
//!
//! `cargo bench -p procpump-benches --bench adapters` (figures in
//! docs/BENCHMARKS.md, "Finding newlines").

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use procpump::{Flow, Sink};
use procpump_adapters::{Line, Lines, Tail, Utf8};

/// Bytes fed per iteration.
const TOTAL: usize = 16 << 20;
/// The reactor's default read size, and so its largest chunk.
const CHUNK: usize = 256 << 10;
/// Line length, newline included.
const WIDTH: usize = 80;

/// `TOTAL` bytes of `WIDTH`-byte lines of printable ASCII.
fn text() -> Vec<u8> {
    let mut data = Vec::with_capacity(TOTAL);
    while data.len() < TOTAL {
        let line = data.len() / WIDTH;
        data.extend((0..WIDTH - 1).map(|i| b'a' + ((line + i) % 26) as u8));
        data.push(b'\n');
    }
    data.truncate(TOTAL);
    data
}

/// Hands `data` to `sink` in `CHUNK`-byte chunks, as the reactor would;
/// every chunk must be taken.
fn feed(sink: &mut impl Sink, data: &[u8]) {
    for chunk in data.chunks(CHUNK) {
        assert_eq!(sink.chunk(black_box(chunk)), Flow::Continue);
    }
}

fn count_line(lines: &mut u64, _line: Line<'_>) -> Flow {
    *lines += 1;
    Flow::Continue
}

fn count_text(bytes: &mut usize, text: &str) -> Flow {
    *bytes += text.len();
    Flow::Continue
}

/// Newlines in `data`, found by each scanner `Lines` could use.
fn scanners(c: &mut Criterion) {
    let data = text();
    let expected = TOTAL / WIDTH;
    let mut group = c.benchmark_group("newlines");
    group.throughput(Throughput::Bytes(TOTAL as u64));
    group.bench_function("iter().position, one call per line", |b| {
        b.iter(|| {
            let mut lines = 0;
            for chunk in data.chunks(CHUNK) {
                let mut rest = chunk;
                while let Some(at) = rest.iter().position(|&byte| byte == b'\n') {
                    lines += 1;
                    rest = &rest[at + 1..];
                }
            }
            assert_eq!(lines, expected);
            lines
        });
    });
    group.bench_function("memchr, one call per line", |b| {
        b.iter(|| {
            let mut lines = 0;
            for chunk in data.chunks(CHUNK) {
                let mut rest = chunk;
                while let Some(at) = memchr::memchr(b'\n', rest) {
                    lines += 1;
                    rest = &rest[at + 1..];
                }
            }
            assert_eq!(lines, expected);
            lines
        });
    });
    group.bench_function("memchr_iter over each chunk", |b| {
        b.iter(|| {
            let lines: usize = data
                .chunks(CHUNK)
                .map(|chunk| memchr::memchr_iter(b'\n', chunk).count())
                .sum();
            assert_eq!(lines, expected);
            lines
        });
    });
    group.finish();
}

/// The adapters themselves, each handed the same chunks.
fn adapters(c: &mut Criterion) {
    let data = text();
    let mut group = c.benchmark_group("adapters");
    group.throughput(Throughput::Bytes(TOTAL as u64));
    group.bench_function("Lines, counting", |b| {
        b.iter(|| {
            let mut lines = Lines::with_state(0_u64, count_line);
            feed(&mut lines, &data);
            let count = lines.into_handler().into_state();
            assert_eq!(count, (TOTAL / WIDTH) as u64);
            count
        });
    });
    group.bench_function("Utf8, counting bytes", |b| {
        b.iter(|| {
            let mut text = Utf8::with_state(0_usize, count_text);
            feed(&mut text, &data);
            let bytes = text.into_handler().into_state();
            assert!(bytes > TOTAL - WIDTH, "{bytes}");
            bytes
        });
    });
    group.bench_function("Tail, last 64 KiB", |b| {
        b.iter(|| {
            let mut tail = Tail::new(64 << 10);
            feed(&mut tail, &data);
            assert_eq!(tail.total(), TOTAL as u64);
            tail.dropped()
        });
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = scanners, adapters
}
criterion_main!(benches);
