//! `Tagged`: 200 children, 1,000 lines each, onto one writer (a shared
//! `Vec`, and a real pipe): every line intact, tagged, in order per child.

use std::fs::File;
use std::io::{Read, Write};

use procpump::{Job, Reactor};
use procpump_adapters::Tagged;
use procpump_tests::line_text;
use procpump_tests::programs::pp_lines;

const CHILDREN: usize = 200;
const LINES: u64 = 1000;

/// Child `i` prints lines this wide (some longer than a pipe's atomic
/// write, none longer than the line limit).
fn width(child: usize) -> usize {
    10 + child * 37 % 5000
}

/// Runs the children with their stdout tagged onto `writer`.
fn run<W: Write + Send + 'static>(writer: Tagged<W>) {
    let mut reactor = Reactor::new().unwrap();
    for child in 0..CHILDREN {
        let lines = pp_lines(LINES, width(child));
        reactor.spawn(Job::new(lines).stdout(writer.sink(format!("{child}\t"))));
    }
    for report in reactor.run().unwrap() {
        assert!(report.success(), "{report:?}");
    }
}

/// Checks that `out` holds every child's lines, whole, tagged and in order.
fn check(out: &[u8]) {
    let text = std::str::from_utf8(out).expect("UTF-8 output");
    let mut next = vec![0u64; CHILDREN];
    for line in text.split_inclusive('\n') {
        let (tag, rest) = line.split_once('\t').expect("a tagged line");
        let child: usize = tag.parse().expect("a child number as tag");
        assert_eq!(rest, line_text(next[child], width(child)), "child {child}");
        next[child] += 1;
    }
    assert!(next.iter().all(|&count| count == LINES), "{next:?}");
}

#[test]
fn two_hundred_children_onto_a_shared_vec() {
    let writer = Tagged::writer(Vec::new());
    run(writer.clone());
    check(&writer.into_inner().unwrap());
}

#[test]
fn two_hundred_children_onto_a_pipe() {
    let (reader, writer) = rustix::pipe::pipe().unwrap();
    let drain = std::thread::spawn(move || {
        let mut out = Vec::new();
        File::from(reader).read_to_end(&mut out).unwrap();
        out
    });
    run(Tagged::writer(File::from(writer)));
    check(&drain.join().unwrap());
}
