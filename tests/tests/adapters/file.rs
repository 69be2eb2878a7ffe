//! `FileSink`: 4 GiB into a file, by splice and by read+write: both files
//! are exactly the child's pattern. Appending works (without splice), and a
//! full disk is an error that names the path and closes the stream.

use std::fs::{File, OpenOptions};
use std::io::Read;

use crate::support::TempPath;
use procpump::{Job, Reactor, Stream, StreamEnd};
use procpump_adapters::FileSink;
use procpump_tests::programs::pp_emit;
use procpump_tests::PatternChecker;

const SIZE: u64 = 4 << 30;
const SEED: u64 = 0xF11E;

/// Runs `pp-emit` into `sink` and returns the sink.
fn write(sink: FileSink, size: u64, seed: u64) -> FileSink {
    let mut reactor = Reactor::new().unwrap();
    reactor.spawn(Job::new(pp_emit().stdout(size).seed(seed).command()).stdout(sink));
    let mut report = reactor.run().unwrap().remove(0);
    assert!(report.success(), "{report:?}");
    assert_eq!(report.stdout().unwrap().bytes(), size);
    report.take_sink(Stream::Stdout).unwrap()
}

/// Checks that the file holds the pattern of `seed`, `len` bytes long.
fn check(path: &std::path::Path, seed: u64, len: u64) {
    let mut file = File::open(path).unwrap();
    let mut checker = PatternChecker::new(seed);
    let mut buf = vec![0; 1 << 20];
    loop {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        checker.feed(&buf[..n]);
    }
    checker.verify(len).unwrap();
}

#[test]
fn four_gib_by_splice_and_by_copy_give_the_same_file() {
    let spliced = TempPath::new("file-splice");
    let sink = FileSink::create(&spliced.0).unwrap().zero_copy(true);
    let sink = write(sink.sync(true), SIZE, SEED);
    assert!(sink.error().is_none(), "{:?}", sink.error());
    assert_eq!(sink.bytes(), SIZE);
    assert!(sink.spliced_bytes() > SIZE / 2, "{sink:?}");
    check(&spliced.0, SEED, SIZE);
    drop(spliced);

    let copied = TempPath::new("file-copy");
    let sink = write(FileSink::create(&copied.0).unwrap(), SIZE, SEED);
    assert!(sink.error().is_none(), "{:?}", sink.error());
    assert_eq!((sink.bytes(), sink.spliced_bytes()), (SIZE, 0));
    check(&copied.0, SEED, SIZE);
}

#[test]
fn appending_adds_to_the_file_without_splicing() {
    let path = TempPath::new("file-append");
    std::fs::write(&path.0, b"first line\n").unwrap();
    let sink = write(
        FileSink::append(&path.0).unwrap().zero_copy(true),
        1 << 20,
        3,
    );
    assert_eq!((sink.bytes(), sink.spliced_bytes()), (1 << 20, 0));
    let content = std::fs::read(&path.0).unwrap();
    assert_eq!(&content[..11], b"first line\n");
    let mut checker = PatternChecker::new(3);
    checker.feed(&content[11..]);
    checker.verify(1 << 20).unwrap();
}

#[test]
fn a_full_disk_fails_the_stream_in_the_report_and_closes_it() {
    let full = OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let mut reactor = Reactor::new().unwrap();
    let sink = FileSink::from_file(full, "/dev/full");
    let emit = pp_emit().stdout(64 << 20).seed(1).command();
    reactor.spawn(Job::new(emit).stdout(sink));
    let mut report = reactor.run().unwrap().remove(0);
    let end = StreamEnd::Error(std::io::ErrorKind::StorageFull);
    assert_eq!(report.stdout().unwrap().end(), &end);
    // The report names the child, the program and the stream.
    let Some(procpump::Error::Sink { stream, source, .. }) = report.error() else {
        panic!("no sink error: {report:?}");
    };
    assert_eq!(*stream, Stream::Stdout);
    assert!(source.to_string().contains("/dev/full"), "{source}");
    let message = report.error().unwrap().to_string();
    assert!(
        message.contains("pp-emit") && message.contains("stdout"),
        "{message}"
    );
    // The child's next write failed: pp-emit exits 3 on EPIPE.
    assert_eq!(report.code(), Some(3), "{report:?}");
    let sink: FileSink = report.take_sink(Stream::Stdout).unwrap();
    let err = sink.finish().unwrap_err();
    assert_eq!(err.raw_os_error(), None);
    assert!(err.to_string().contains("/dev/full"), "{err}");
    assert!(err.to_string().contains("No space left"), "{err}");
}
