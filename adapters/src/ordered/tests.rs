use super::*;
use proptest::prelude::*;

/// A writer that takes `room` bytes, then fails as a full disk does.
struct Full {
    taken: Vec<u8>,
    room: usize,
}

impl Write for Full {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.taken.len() >= self.room {
            return Err(io::Error::from_raw_os_error(28));
        }
        let n = buf.len().min(self.room - self.taken.len());
        self.taken.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn written(out: &Ordered<Vec<u8>>) -> Vec<u8> {
    out.with(|text| text.clone())
}

#[test]
fn the_oldest_is_live_and_the_others_wait_their_turn() {
    let out = Ordered::writer(Vec::new());
    let mut sinks: Vec<_> = (0..3).map(|_| out.sink()).collect();
    assert_eq!(sinks[2].chunk(b"c"), Flow::Continue);
    assert_eq!(sinks[1].chunk(b"b"), Flow::Continue);
    assert_eq!(sinks[0].chunk(b"a"), Flow::Continue);
    assert_eq!(written(&out), b"a");
    sinks[2].end(&StreamEnd::Eof);
    assert_eq!(written(&out), b"a");
    sinks[0].end(&StreamEnd::Eof);
    // The second became live: what it held went out, and it goes on live.
    assert_eq!(written(&out), b"ab");
    let _ = sinks[1].chunk(b"B");
    assert_eq!(written(&out), b"abB");
    sinks[1].end(&StreamEnd::Eof);
    assert_eq!(written(&out), b"abBc");
    for sink in &mut sinks {
        assert_eq!(sink.flush(), Flow::Continue);
        assert!(Sink::error(sink).is_none());
    }
}

#[test]
fn line_mode_writes_whole_lines_and_ends_the_last_one() {
    let out = Ordered::writer(Vec::new()).mode(OrderedMode::Lines);
    let (mut a, mut b) = (out.sink(), out.sink());
    let _ = b.chunk(b"b1\nb2");
    let _ = a.chunk(b"a1\na");
    assert_eq!(written(&out), b"a1\n");
    let _ = a.chunk(b"2\n");
    assert_eq!(written(&out), b"a1\na2\n");
    a.end(&StreamEnd::Eof);
    assert_eq!(written(&out), b"a1\na2\nb1\n");
    let _ = b.chunk(b"b\n");
    b.end(&StreamEnd::Eof);
    assert_eq!(written(&out), b"a1\na2\nb1\nb2b\n");
}

#[test]
fn a_dropped_sink_holds_the_order_up_no_longer() {
    let out = Ordered::writer(Vec::new());
    let (first, mut second) = (out.sink(), out.sink());
    let _ = second.chunk(b"second");
    drop(first);
    assert_eq!(written(&out), b"second");
    second.end(&StreamEnd::Eof);
    drop(second);
    assert_eq!(out.into_inner().unwrap(), b"second");
}

#[test]
fn past_the_memory_bound_held_output_goes_to_files() {
    let out = Ordered::writer(Vec::new()).memory(10).memory_per_job(8);
    let mut sinks: Vec<_> = (0..4).map(|_| out.sink()).collect();
    let mut expected = Vec::new();
    for (n, sink) in sinks.iter_mut().enumerate().skip(1) {
        let bytes = vec![b'0' + n as u8; 6];
        let _ = sink.chunk(&bytes);
        let _ = sink.chunk(&bytes);
        sink.end(&StreamEnd::Eof);
        expected.extend_from_slice(&bytes);
        expected.extend_from_slice(&bytes);
        assert!(out.resident() <= 10);
    }
    assert!(out.peak_resident() <= 10, "{}", out.peak_resident());
    assert!(written(&out).is_empty());
    sinks[0].end(&StreamEnd::Eof);
    assert_eq!(written(&out), expected);
    assert_eq!(out.resident(), 0);
}

#[test]
fn a_write_error_is_the_error_of_the_job_whose_output_failed() {
    let out = Ordered::writer(Full {
        taken: Vec::new(),
        room: 5,
    });
    let (mut a, mut b, mut c) = (out.sink(), out.sink(), out.sink());
    let _ = b.chunk(b"bbb");
    b.end(&StreamEnd::Eof);
    assert_eq!(a.chunk(b"aaa"), Flow::Continue);
    a.end(&StreamEnd::Eof);
    // "aaa" and "bb" fit; the rest of b's output did not.
    assert_eq!(
        (a.flush(), Sink::error(&a).is_none()),
        (Flow::Continue, true)
    );
    assert_eq!(b.flush(), Flow::Continue);
    let err = Sink::error(&b).expect("b's output failed");
    assert_eq!(err.raw_os_error(), None);
    assert_eq!(err.kind(), io::ErrorKind::StorageFull);
    assert!(err
        .to_string()
        .starts_with("cannot write the output in order"));
    // The live job's own write fails: its stream closes.
    assert_eq!(c.chunk(b"c"), Flow::Close);
    assert!(c.error().is_some());
    out.with(|full| assert_eq!(full.taken, b"aaabb"));
}

#[test]
fn reported_when_held_a_later_write_error_waits_for_take_error() {
    let out = Ordered::writer(Full {
        taken: Vec::new(),
        room: 2,
    })
    .report_when_held();
    let (mut a, mut b) = (out.sink(), out.sink());
    let _ = b.chunk(b"bbb");
    b.end(&StreamEnd::Eof);
    assert_eq!(b.flush(), Flow::Continue);
    assert!(b.error().is_none());
    drop(b);
    let _ = a.chunk(b"a");
    a.end(&StreamEnd::Eof);
    assert_eq!((a.flush(), a.error().is_none()), (Flow::Continue, true));
    assert!(out.take_error(0).is_none());
    assert_eq!(
        out.take_error(1).unwrap().kind(),
        io::ErrorKind::StorageFull
    );
    assert!(out.take_error(1).is_none());
    out.with(|full| assert_eq!(full.taken, b"ab"));
}

#[test]
fn a_vanished_temporary_directory_fails_the_held_job_only() {
    let dir = std::env::temp_dir().join(format!("procpump-ordered-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = Ordered::writer(Vec::new()).memory_per_job(4).temp_dir(&dir);
    let (mut a, mut b) = (out.sink(), out.sink());
    assert_eq!(b.chunk(b"kept"), Flow::Continue);
    std::fs::remove_dir(&dir).unwrap();
    assert_eq!(b.chunk(b"lost"), Flow::Close);
    let message = b.error().unwrap().to_string();
    assert!(message.contains(&*dir.to_string_lossy()), "{message}");
    b.end(&StreamEnd::Closed);
    let _ = a.chunk(b"live ");
    a.end(&StreamEnd::Eof);
    assert!(a.error().is_none());
    assert_eq!(written(&out), b"live kept");
}

/// What happens next in a property run: a chunk of a job, or its end.
#[derive(Clone, Debug)]
enum Step {
    Chunk(usize, Vec<u8>),
    End(usize),
}

/// Jobs' outputs as chunks, and an interleaving of them that keeps each
/// job's own order.
fn run() -> impl Strategy<Value = (Vec<Vec<Vec<u8>>>, Vec<Step>)> {
    let chunk = proptest::collection::vec(prop_oneof![4 => b'a'..=b'c', 1 => Just(b'\n')], 1..20);
    let job = proptest::collection::vec(chunk, 0..6);
    proptest::collection::vec(job, 1..7).prop_flat_map(|jobs| {
        let events: usize = jobs.iter().map(|job| job.len() + 1).sum();
        let picks = proptest::collection::vec(any::<proptest::sample::Index>(), events);
        (Just(jobs), picks).prop_map(|(jobs, picks)| {
            let mut next: Vec<usize> = vec![0; jobs.len()];
            let mut steps = Vec::new();
            for pick in picks {
                let open: Vec<usize> = (0..jobs.len())
                    .filter(|&j| next[j] <= jobs[j].len())
                    .collect();
                let j = open[pick.index(open.len())];
                steps.push(match jobs[j].get(next[j]) {
                    Some(chunk) => Step::Chunk(j, chunk.clone()),
                    None => Step::End(j),
                });
                next[j] += 1;
            }
            (jobs, steps)
        })
    })
}

/// The output in order, as it must come out.
fn expected(jobs: &[Vec<Vec<u8>>], mode: OrderedMode) -> Vec<u8> {
    let mut all = Vec::new();
    for job in jobs {
        let output = job.concat();
        all.extend_from_slice(&output);
        if mode == OrderedMode::Lines && output.last().is_some_and(|&b| b != b'\n') {
            all.push(b'\n');
        }
    }
    all
}

proptest! {
    #[test]
    fn any_completion_order_gives_the_outputs_in_order(
        (jobs, steps) in run(),
        lines in any::<bool>(),
        memory in 0usize..80,
        per_job in 0usize..40,
    ) {
        let mode = if lines { OrderedMode::Lines } else { OrderedMode::Bytes };
        let out = Ordered::writer(Vec::new()).mode(mode).memory(memory).memory_per_job(per_job);
        let mut sinks: Vec<_> = jobs.iter().map(|_| out.sink()).collect();
        for step in steps {
            match step {
                Step::Chunk(j, chunk) => prop_assert_eq!(sinks[j].chunk(&chunk), Flow::Continue),
                Step::End(j) => sinks[j].end(&StreamEnd::Eof),
            }
            prop_assert!(out.resident() <= memory + per_job);
            // What is written is always a prefix of the whole.
            let whole = expected(&jobs, mode);
            let now = written(&out);
            prop_assert!(whole.starts_with(&now));
            if mode == OrderedMode::Lines {
                prop_assert!(now.is_empty() || now.ends_with(b"\n"));
            }
        }
        for sink in &mut sinks {
            prop_assert_eq!(sink.flush(), Flow::Continue);
            prop_assert!(sink.error().is_none());
        }
        prop_assert_eq!(written(&out), expected(&jobs, mode));
        prop_assert_eq!(out.resident(), 0);
    }
}
