//! The stdin stream's state machine, driven through a real pipe (no child
//! process).

use std::collections::VecDeque;
use std::fs::File;
use std::io::Read;
use std::sync::Arc;

use super::*;
use crate::base::{Key, Target};
use crate::mailbox::PipeBudget;
use crate::mailbox::Shared;
use crate::sys::Poller;

/// Yields scripted fills: `Some(bytes)` is data, `None` is pending; then
/// the end.
struct Script(VecDeque<Option<&'static [u8]>>);

impl Source for Script {
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<Fill> {
        Ok(match self.0.pop_front() {
            Some(Some(bytes)) => {
                buf[..bytes.len()].copy_from_slice(bytes);
                Fill::Data(bytes.len())
            }
            Some(None) => Fill::Pending,
            None => Fill::End,
        })
    }

    fn remaining(&self) -> Option<u64> {
        Some(
            self.0
                .iter()
                .flatten()
                .map(|bytes| bytes.len() as u64)
                .sum(),
        )
    }
}

const SIZES: PipeSizes = PipeSizes {
    near: 1 << 16,
    far: 1 << 16,
};

fn stream(script: &[Option<&'static [u8]>]) -> (StdinStream, File) {
    let poller = Poller::new().unwrap();
    let shared = Arc::new(Shared::new(poller, PipeBudget::new(Some(0))));
    let (read, write) = crate::sys::pipe().unwrap();
    let pipe = Pipe::new(
        write,
        Key::new(0, Target::Stdin),
        Interest::Write,
        0,
        shared,
    )
    .unwrap();
    let source = Script(script.iter().copied().collect());
    (StdinStream::new(pipe, Box::new(source)), File::from(read))
}

fn read_all(reader: &mut File) -> Vec<u8> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).unwrap();
    bytes
}

#[test]
fn a_pending_source_waits_until_resumed_then_the_end_closes_the_pipe() {
    let (mut stdin, mut reader) = stream(&[Some(b"ab"), None, Some(b"cd")]);
    stdin.on_writable(SIZES).unwrap();
    assert!(stdin.is_waiting());
    // Waiting: a writable pipe is not written.
    stdin.on_writable(SIZES).unwrap();
    assert!(stdin.resume().unwrap());
    assert!(!stdin.resume().unwrap(), "resumed twice");
    stdin.on_writable(SIZES).unwrap();
    assert!(stdin.is_done());
    assert_eq!(read_all(&mut reader), b"abcd");
    let report = stdin.into_report();
    assert_eq!(report, InputReport::new(4, 0, StreamEnd::Eof));
}

#[test]
fn a_reader_gone_ends_the_stream_with_what_was_left_unsent() {
    let (mut stdin, reader) = stream(&[Some(b"abc"), Some(b"defg")]);
    drop(reader);
    stdin.on_writable(SIZES).unwrap();
    assert!(stdin.is_done());
    let report = stdin.into_report();
    assert_eq!(report, InputReport::new(0, 7, StreamEnd::ChildClosed));
}

#[test]
fn an_open_stream_is_reported_killed() {
    let (mut stdin, _reader) = stream(&[None]);
    stdin.on_writable(SIZES).unwrap();
    stdin.end(StreamEnd::Killed);
    assert_eq!(stdin.into_report().end(), &StreamEnd::Killed);
}
