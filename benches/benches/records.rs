//! `Records` and `Ordered` fed from memory: no pipe and no child, so what
//! cutting a stream into blocks of whole records, and holding outputs in
//! order, cost per byte is measured alone. Chunks are 256 KiB, the
//! reactor's default read size; the text is 80-byte lines.
//!
//! `cargo bench -p procpump-benches --bench records`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use procpump::{Sink, StreamEnd};
use procpump_adapters::{Ordered, Records};

/// Bytes fed per iteration.
const TOTAL: usize = 16 << 20;
/// The reactor's default read size.
const CHUNK: usize = 256 << 10;
/// Line length, newline included.
const WIDTH: usize = 80;

/// `TOTAL` bytes of `WIDTH`-byte lines, every tenth starting with `>`.
fn text() -> Vec<u8> {
    let mut data = Vec::with_capacity(TOTAL);
    while data.len() < TOTAL {
        let line = data.len() / WIDTH;
        let first = if line.is_multiple_of(10) { b'>' } else { b'a' };
        data.push(first);
        data.extend((1..WIDTH - 1).map(|i| b'a' + ((line + i) % 26) as u8));
        data.push(b'\n');
    }
    data.truncate(TOTAL);
    data
}

/// Cuts `data` with `records`; returns the blocks' total length.
fn cut(mut records: Records, data: &[u8]) -> usize {
    let mut bytes = 0;
    for chunk in data.chunks(CHUNK) {
        records.push(black_box(chunk), |block| bytes += block.len());
    }
    records.finish(|block| bytes += block.len());
    bytes
}

/// Makes a fresh cutter for each iteration.
type MakeRecords = fn() -> Records;

fn records(c: &mut Criterion) {
    let data = text();
    let mut group = c.benchmark_group("records");
    group.throughput(Throughput::Bytes(TOTAL as u64));
    let cutters: [(&str, MakeRecords); 4] = [
        ("lines, 1 MiB blocks", || Records::lines()),
        ("lines, 1000 per block", || {
            Records::lines().records_per_block(1000)
        }),
        ("separator \"a\\n\", 1 MiB blocks", || {
            Records::separator(b"a\n")
        }),
        ("record start \">\", 1 MiB blocks", || {
            Records::record_start(b">")
        }),
    ];
    for (name, make) in cutters {
        group.bench_function(name, |b| b.iter(|| assert_eq!(cut(make(), &data), TOTAL)));
    }
    group.finish();
}

/// 16 jobs of 1 MiB each, the first ending last: all but the first held.
fn ordered(c: &mut Criterion) {
    let data = text();
    let mut group = c.benchmark_group("ordered");
    group.throughput(Throughput::Bytes(TOTAL as u64));
    group.bench_function("16 jobs, held in memory then files", |b| {
        b.iter(|| {
            let out = Ordered::writer(std::io::sink());
            let mut sinks: Vec<_> = (0..16).map(|_| out.sink()).collect();
            for (sink, job) in sinks.iter_mut().zip(data.chunks(TOTAL / 16)).rev() {
                for chunk in job.chunks(CHUNK) {
                    let _ = sink.chunk(black_box(chunk));
                }
                sink.end(&StreamEnd::Eof);
            }
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).sample_size(10);
    targets = records, ordered
}
criterion_main!(benches);
