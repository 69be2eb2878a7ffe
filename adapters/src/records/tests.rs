use super::*;
use proptest::prelude::*;

/// The blocks of `input` cut into chunks of the sizes in `cuts` (cycled).
fn blocks(mut records: Records, input: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut at = 0;
    for &size in cuts.iter().cycle() {
        if at >= input.len() {
            break;
        }
        let end = (at + size).min(input.len());
        records.push(&input[at..end], |block| out.push(block.to_vec()));
        at = end;
    }
    records.finish(|block| out.push(block.to_vec()));
    out
}

/// The record boundaries of the whole input, found the obvious way: from
/// left to right, each search after the last boundary.
fn boundaries(input: &[u8], end: &[u8], start: &[u8]) -> Vec<usize> {
    let mut found = Vec::new();
    if end.is_empty() {
        for at in 1..input.len() {
            if input[at..].starts_with(start) {
                found.push(at);
            }
        }
        return found;
    }
    let mut at = 0;
    while at + end.len() <= input.len() {
        let boundary = at + end.len();
        if input[at..].starts_with(end) && input[boundary..].starts_with(start) {
            found.push(boundary);
            at = boundary;
        } else {
            at += 1;
        }
    }
    found
}

#[test]
fn lines_in_blocks_of_about_a_size() {
    let got = blocks(
        Records::lines().block_size(5),
        b"ab\ncd\nefghij\nk\nl",
        &[1],
    );
    assert_eq!(got, [&b"ab\ncd\n"[..], b"efghij\n", b"k\nl"]);
}

#[test]
fn a_separator_cut_by_chunks_is_found() {
    let input = b"one--two--three";
    for cut in 1..input.len() {
        let got = blocks(
            Records::separator(b"--").records_per_block(1),
            input,
            &[cut],
        );
        assert_eq!(got, [&b"one--"[..], b"two--", b"three"], "chunks of {cut}");
    }
}

#[test]
fn a_long_record_is_scanned_once() {
    let mut records = Records::separator(b"xyz");
    let chunk = vec![b'x'; 1000];
    for _ in 0..1000 {
        records.push(&chunk, |_| panic!("no boundary"));
        assert!(records.scanned + 2 >= records.held());
    }
}

fn marker() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'\n'), Just(b'>')], 1..4)
}

/// A cutter of one of the four kinds, its markers, and its block size.
fn cutter() -> impl Strategy<Value = (Records, Vec<u8>, Vec<u8>)> {
    let kind = prop_oneof![
        Just((b"\n".to_vec(), Vec::new())),
        marker().prop_map(|end| (end, Vec::new())),
        marker().prop_map(|start| (Vec::new(), start)),
        (marker(), marker()),
    ];
    (kind, any::<bool>(), 1usize..40).prop_map(|((end, start), by_count, n)| {
        let records = Records::markers(&end, &start);
        let records = if by_count {
            records.records_per_block(n % 5 + 1)
        } else {
            records.block_size(n)
        };
        (records, end, start)
    })
}

fn input() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![4 => Just(b'a'), 2 => Just(b'\n'), 2 => Just(b'>'), 1 => any::<u8>()];
    proptest::collection::vec(byte, 0..300)
}

proptest! {
    #[test]
    fn blocks_are_whole_records_in_order_whatever_the_chunks(
        (records, end, start) in cutter(),
        input in input(),
        cuts in proptest::collection::vec(1usize..50, 1..10),
    ) {
        let block = records.block;
        let whole = blocks(records_like(&records), &input, &[input.len().max(1)]);
        let got = blocks(records, &input, &cuts);
        prop_assert_eq!(&got, &whole, "the chunks changed the blocks");
        prop_assert_eq!(got.concat(), input.clone());
        let bounds = boundaries(&input, &end, &start);
        let mut at = 0;
        for (i, piece) in got.iter().enumerate() {
            prop_assert!(!piece.is_empty());
            let (from, to) = (at, at + piece.len());
            let last = i + 1 == got.len();
            prop_assert!(last || bounds.contains(&to), "a cut at {} inside a record", to);
            let inside: Vec<usize> = bounds.iter().copied().filter(|&b| b > from && b <= to).collect();
            match block {
                Block::Records(n) => prop_assert!(
                    inside.len() == n || (last && inside.len() <= n),
                    "{} records in a block of {}", inside.len(), n
                ),
                Block::Bytes(size) => {
                    prop_assert!(last || piece.len() >= size);
                    let first_full = inside.iter().find(|&&b| b - from >= size);
                    prop_assert!(first_full.map_or(true, |&b| b == to), "a block past its size");
                }
            }
            at = to;
        }
    }
}

/// A fresh cutter with the same markers and block size.
fn records_like(records: &Records) -> Records {
    let mut fresh = Records::markers(&records.end, &records.start);
    fresh.block = records.block;
    fresh
}
