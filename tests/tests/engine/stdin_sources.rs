//! Every kind of stdin source reaches the child byte for byte: bytes, a
//! file, a reader, a channel-fed source that is sometimes empty; and a
//! reader that fails midway ends only its own child's run, with an error
//! naming stdin and the program.

use crossbeam_channel::{unbounded, Receiver, TryRecvError};
use procpump::{
    Error, Fill, Input, Job, Reactor, Report, Resumer, Source, Stream, StreamContext, StreamEnd,
};
use procpump_tests::programs::{pp_check, pp_read_some};
use procpump_tests::sinks::Collect;
use procpump_tests::{bin, fill_pattern, PatternReader};
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

fn pattern(seed: u64, len: u64) -> Vec<u8> {
    let mut data = vec![0; len as usize];
    fill_pattern(seed, 0, &mut data);
    data
}

/// Asserts that `pp-check` accepted exactly `len` bytes, all written.
fn assert_checked(mut report: Report, len: u64) {
    let out: Collect = report.take_sink(Stream::Stdout).unwrap();
    let err: Collect = report.take_sink(Stream::Stderr).unwrap();
    assert!(
        report.success(),
        "{report:?}: {}",
        String::from_utf8_lossy(&err.bytes)
    );
    assert_eq!(String::from_utf8_lossy(&out.bytes), format!("{len}\n"));
    let stdin = report.stdin().expect("stdin handled");
    assert_eq!(
        (stdin.written(), stdin.unsent(), stdin.end()),
        (len, 0, &StreamEnd::Eof),
        "{report:?}"
    );
}

/// A file in the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn with(contents: &[u8]) -> TempFile {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let path = std::env::temp_dir().join(format!(
            "procpump-stdin-sources-{}-{nanos}",
            std::process::id()
        ));
        let mut file = std::fs::File::create_new(&path).unwrap();
        file.write_all(contents).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Yields `good` bytes of a pattern, then fails.
struct FailingReader {
    good: PatternReader,
}

impl Read for FailingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.good.remaining() == 0 {
            return Err(io::Error::other("disk on fire"));
        }
        self.good.read(buf)
    }
}

/// A source fed through a channel by another thread, which it wakes with
/// the [`Resumer`] it hands over in `start`. Says `Pending` when the
/// channel is empty, `End` once it is closed and drained.
struct ChannelSource {
    chunks: Receiver<Vec<u8>>,
    resumer_to: Option<crossbeam_channel::Sender<Resumer>>,
    current: Vec<u8>,
    at: usize,
    pendings: u64,
}

impl Source for ChannelSource {
    fn start(&mut self, context: &StreamContext<'_>) {
        assert_eq!(context.stream(), Stream::Stdin);
        self.resumer_to
            .take()
            .unwrap()
            .send(context.resumer())
            .unwrap();
    }

    fn fill(&mut self, buf: &mut [u8]) -> io::Result<Fill> {
        while self.at == self.current.len() {
            match self.chunks.try_recv() {
                Ok(chunk) => (self.current, self.at) = (chunk, 0),
                Err(TryRecvError::Empty) => {
                    self.pendings += 1;
                    return Ok(Fill::Pending);
                }
                Err(TryRecvError::Disconnected) => return Ok(Fill::End),
            }
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(Fill::Data(n))
    }
}

#[test]
fn bytes_file_reader_and_channel_sources_and_a_failing_reader() {
    const BYTES_LEN: u64 = (2 << 20) + 11;
    const FILE_LEN: u64 = (3 << 20) + 3;
    const READER_LEN: u64 = 5 << 20;
    const GOOD: u64 = 200_000;

    let file = TempFile::with(&pattern(2, FILE_LEN));
    let (chunk_to, chunks) = unbounded::<Vec<u8>>();
    let (resumer_to, resumer_from) = unbounded::<Resumer>();
    let producer = std::thread::spawn(move || {
        let resumer = resumer_from.recv().unwrap();
        let mut offset = 0u64;
        for k in 0..300u64 {
            let len = (k * 7919) % 20_000;
            let mut chunk = vec![0; len as usize];
            fill_pattern(4, offset, &mut chunk);
            offset += len;
            chunk_to.send(chunk).unwrap();
            resumer.resume();
            if k % 50 == 0 {
                std::thread::yield_now();
            }
        }
        drop(chunk_to);
        resumer.resume();
        offset
    });

    let mut reactor = Reactor::new().unwrap();
    let with = |job: Job| job.stdout(Collect::new()).stderr(Collect::new());
    let bytes = reactor.spawn(with(
        Job::new(pp_check(1, Some(BYTES_LEN))).stdin(Input::bytes(pattern(1, BYTES_LEN))),
    ));
    let empty = reactor.spawn(with(Job::new(pp_check(1, Some(0))).stdin(Input::bytes(""))));
    let from_file = reactor.spawn(with(
        Job::new(pp_check(2, Some(FILE_LEN)))
            .stdin(Input::file(std::fs::File::open(&file.0).unwrap())),
    ));
    let reader = reactor.spawn(with(
        Job::new(pp_check(3, Some(READER_LEN)))
            .stdin(Input::reader(PatternReader::new(3, READER_LEN))),
    ));
    // Its length is known only at the end: pp-check counts what it got.
    let channel = reactor.spawn(with(Job::new(pp_check(4, None)).stdin(Input::source(
        ChannelSource {
            chunks,
            resumer_to: Some(resumer_to),
            current: Vec::new(),
            at: 0,
            pendings: 0,
        },
    ))));
    // Reads to its end of file, then sleeps for 30 s: it can only end this
    // soon by being killed.
    let some = pp_read_some(1 << 30, 30_000);
    let failing = reactor.spawn(Job::new(some).stdout(Collect::new()).stdin(Input::reader(
        FailingReader {
            good: PatternReader::new(5, GOOD),
        },
    )));

    let mut reports = reactor.run().unwrap();
    let channel_len = producer.join().unwrap();
    drop(file);
    let mut take = |id| {
        let at = reports.iter().position(|r: &Report| r.id() == id).unwrap();
        reports.remove(at)
    };

    // The failing reader: its child was killed, with an error naming stdin
    // and the program.
    let report = take(failing);
    assert_eq!(report.signal(), Some(9), "killed: {report:?}");
    let stdin = report.stdin().expect("stdin handled");
    assert_eq!(
        stdin.end(),
        &StreamEnd::Error(io::ErrorKind::Other),
        "{report:?}"
    );
    // The source is asked for more only once everything before was written.
    assert_eq!(stdin.written(), GOOD, "{report:?}");
    match report.error() {
        Some(Error::Io {
            child,
            program,
            stream,
            source,
        }) => {
            assert_eq!(*child, failing);
            assert_eq!(program, &bin("pp-read-some").to_string_lossy());
            assert_eq!(*stream, Stream::Stdin);
            assert_eq!(source.to_string(), "disk on fire");
        }
        other => panic!("expected Error::Io on stdin, got {other:?}"),
    }
    let message = report.error().unwrap().to_string();
    for part in ["stdin", "pp-read-some", "disk on fire"] {
        assert!(message.contains(part), "{part:?} not in {message:?}");
    }

    // Everyone else finished normally.
    assert_checked(take(bytes), BYTES_LEN);
    assert_checked(take(empty), 0);
    assert_checked(take(from_file), FILE_LEN);
    assert_checked(take(reader), READER_LEN);
    assert_checked(take(channel), channel_len);
    assert!(reports.is_empty(), "{reports:?}");
}
