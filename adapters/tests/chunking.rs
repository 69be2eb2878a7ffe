//! Property tests: for any byte stream and any way of cutting it into
//! chunks (and, for the splitters, any pattern of pauses), each adapter
//! gives exactly what a simple reference computes on the whole stream.

use procpump::{Flow, Sink, StreamEnd};
use procpump_adapters::{
    Head, HeadTail, Limited, Line, Lines, LongLines, OnLimit, Tail, Utf8, Utf8Mode,
};
use proptest::prelude::*;

/// A stream rich in what the splitters care about: newlines, carriage
/// returns, UTF-8 lead and continuation bytes, invalid bytes.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => b'a'..=b'c',
        2 => Just(b'\n'),
        2 => Just(b'\r'),
        1 => Just(0xE2u8),
        1 => Just(0x82u8),
        1 => Just(0xACu8),
        1 => Just(0xF0u8),
        1 => Just(0x9Fu8),
        1 => any::<u8>(),
    ];
    proptest::collection::vec(byte, 0..300)
}

/// Chunk sizes to cut the stream with (cycled; each at least 1).
fn cuts() -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(1usize..40, 1..20)
}

/// Cuts `stream` into chunks of the sizes in `cuts`, cycled.
fn chunked<'a>(stream: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut chunks = Vec::new();
    let mut at = 0;
    for &size in cuts.iter().cycle() {
        if at >= stream.len() {
            break;
        }
        let end = (at + size).min(stream.len());
        chunks.push(&stream[at..end]);
        at = end;
    }
    chunks
}

/// A line as the tests compare it: bytes, terminator, partial, truncated,
/// number.
type Got = (Vec<u8>, Vec<u8>, bool, u64, u64);

/// The lines of the whole stream, computed the obvious way.
fn reference_lines(stream: &[u8], max: usize, policy: LongLines) -> Vec<Got> {
    let mut out = Vec::new();
    let mut rest = stream;
    let mut number = 0;
    while !rest.is_empty() {
        let (line, terminated) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                let line = &rest[..i];
                rest = &rest[i + 1..];
                (line, true)
            }
            None => (std::mem::take(&mut rest), false),
        };
        let (content, terminator): (&[u8], &[u8]) = match (terminated, line.strip_suffix(b"\r")) {
            (true, Some(content)) => (content, b"\r\n"),
            (true, None) => (line, b"\n"),
            (false, _) => (line, b""),
        };
        match policy {
            LongLines::Split => {
                let pieces: Vec<&[u8]> = if content.is_empty() {
                    vec![content]
                } else {
                    content.chunks(max).collect()
                };
                let last = pieces.len() - 1;
                for (i, piece) in pieces.into_iter().enumerate() {
                    let term = if i == last { terminator } else { b"" };
                    out.push((piece.to_vec(), term.to_vec(), i != last, 0, number));
                }
            }
            LongLines::Truncate => {
                let kept = &content[..content.len().min(max)];
                let dropped = (content.len() - kept.len()) as u64;
                out.push((kept.to_vec(), terminator.to_vec(), false, dropped, number));
            }
        }
        number += 1;
    }
    out
}

/// Feeds the chunks to `lines`, pausing where `pauses` says (by the line
/// count), resuming until it goes on, as the reactor would.
fn split_lines(chunks: &[&[u8]], max: usize, policy: LongLines, pauses: u64) -> Vec<Got> {
    let mut got = Vec::new();
    let mut lines = Lines::new(|line: Line<'_>| {
        got.push((
            line.bytes().to_vec(),
            line.terminator().to_vec(),
            line.is_partial(),
            line.truncated(),
            line.number(),
        ));
        // Pause on the lines whose bit is set in `pauses`.
        if pauses >> (got.len() % 64) & 1 == 1 {
            Flow::Pause
        } else {
            Flow::Continue
        }
    })
    .max_line(max)
    .long_lines(policy);
    for chunk in chunks {
        let mut flow = lines.chunk(chunk);
        while flow == Flow::Pause {
            flow = lines.resume();
        }
        assert_eq!(flow, Flow::Continue);
        assert!(lines.held() <= max + 1);
    }
    lines.end(&StreamEnd::Eof);
    drop(lines);
    got
}

/// Feeds the chunks to the UTF-8 view; returns the text, the invalid
/// offset, and whether every piece was non-empty.
fn decode(chunks: &[&[u8]], mode: Utf8Mode, pauses: u64) -> (String, Option<u64>) {
    let mut text = String::new();
    let mut pieces = 0u32;
    let mut utf8 = Utf8::new(|piece: &str| {
        assert!(!piece.is_empty());
        text.push_str(piece);
        pieces += 1;
        if pauses >> (pieces % 64) & 1 == 1 {
            Flow::Pause
        } else {
            Flow::Continue
        }
    })
    .mode(mode);
    for chunk in chunks {
        let mut flow = utf8.chunk(chunk);
        while flow == Flow::Pause {
            flow = utf8.resume();
        }
        if flow == Flow::Close {
            break;
        }
    }
    utf8.end(&StreamEnd::Eof);
    let invalid = utf8.invalid_at();
    drop(utf8);
    (text, invalid)
}

/// Feeds chunks to a sink until it stops taking them.
fn feed(sink: &mut impl Sink, chunks: &[&[u8]]) {
    for chunk in chunks {
        if sink.chunk(chunk) != Flow::Continue {
            break;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn lines_split(stream in stream(), cuts in cuts(), max in 1usize..12, pauses in any::<u64>()) {
        let chunks = chunked(&stream, &cuts);
        let expected = reference_lines(&stream, max, LongLines::Split);
        prop_assert_eq!(split_lines(&chunks, max, LongLines::Split, pauses), expected);
    }

    #[test]
    fn lines_truncate(stream in stream(), cuts in cuts(), max in 1usize..12, pauses in any::<u64>()) {
        let chunks = chunked(&stream, &cuts);
        let expected = reference_lines(&stream, max, LongLines::Truncate);
        prop_assert_eq!(split_lines(&chunks, max, LongLines::Truncate, pauses), expected);
    }

    #[test]
    fn utf8_lossy(stream in stream(), cuts in cuts(), pauses in any::<u64>()) {
        let chunks = chunked(&stream, &cuts);
        let expected = String::from_utf8_lossy(&stream).into_owned();
        prop_assert_eq!(decode(&chunks, Utf8Mode::Lossy, pauses), (expected, None));
    }

    #[test]
    fn utf8_strict(stream in stream(), cuts in cuts(), pauses in any::<u64>()) {
        let chunks = chunked(&stream, &cuts);
        let expected = match std::str::from_utf8(&stream) {
            Ok(text) => (text.to_owned(), None),
            Err(err) => {
                let valid = err.valid_up_to();
                let text = String::from_utf8_lossy(&stream[..valid]).into_owned();
                (text, Some(valid as u64))
            }
        };
        prop_assert_eq!(decode(&chunks, Utf8Mode::Strict, pauses), expected);
    }

    #[test]
    fn tail(stream in stream(), cuts in cuts(), n in 0usize..50) {
        let mut tail = Tail::new(n);
        feed(&mut tail, &chunked(&stream, &cuts));
        let start = stream.len().saturating_sub(n);
        prop_assert_eq!(tail.bytes(), &stream[start..]);
        prop_assert_eq!(tail.dropped(), start as u64);
        let (older, newer) = tail.as_slices();
        prop_assert_eq!([older, newer].concat(), &stream[start..]);
        prop_assert_eq!(tail.into_bytes(), &stream[start..]);
    }

    #[test]
    fn head(stream in stream(), cuts in cuts(), n in 0usize..50) {
        let mut head = Head::new(n);
        feed(&mut head, &chunked(&stream, &cuts));
        let end = stream.len().min(n);
        prop_assert_eq!(head.bytes(), &stream[..end]);
        prop_assert_eq!(head.dropped(), (stream.len() - end) as u64);
    }

    #[test]
    fn head_tail(stream in stream(), cuts in cuts(), h in 0usize..40, t in 0usize..40) {
        let mut ends = HeadTail::new(h, t);
        feed(&mut ends, &chunked(&stream, &cuts));
        let head_end = stream.len().min(h);
        let tail_start = stream.len().saturating_sub(t).max(head_end);
        prop_assert_eq!(ends.head(), &stream[..head_end]);
        prop_assert_eq!(ends.tail(), &stream[tail_start..]);
        prop_assert_eq!(ends.dropped(), (tail_start - head_end) as u64);
        prop_assert_eq!(ends.is_truncated(), tail_start > head_end);
    }

    #[test]
    fn limited(stream in stream(), cuts in cuts(), n in 0usize..50, mode in 0u8..3) {
        let on_limit = [OnLimit::Truncate, OnLimit::Close, OnLimit::Kill][mode as usize];
        let mut limited = Limited::new(n).on_limit(on_limit);
        let chunks = chunked(&stream, &cuts);
        let mut flows = Vec::new();
        for chunk in &chunks {
            let flow = limited.chunk(chunk);
            flows.push(flow);
            if flow != Flow::Continue {
                break;
            }
        }
        let end = stream.len().min(n);
        prop_assert_eq!(limited.bytes(), &stream[..end]);
        prop_assert_eq!(limited.is_truncated(), stream.len() > n);
        // The breaker trips on the chunk that crosses the limit, not before.
        let tripped = flows.iter().position(|&flow| flow != Flow::Continue);
        let crossing = chunks
            .iter()
            .scan(0, |seen, chunk| { *seen += chunk.len(); Some(*seen) })
            .position(|seen| seen > n);
        if on_limit == OnLimit::Truncate {
            prop_assert_eq!(tripped, None);
            prop_assert_eq!(limited.total(), stream.len() as u64);
        } else {
            prop_assert_eq!(tripped, crossing);
        }
    }
}
