//! The matching behind [`Ready`](crate::Ready): the first line of a stream
//! that holds a literal pattern, found however the stream is cut into
//! chunks, in bounded memory.

use memchr::memmem::Finder;

use crate::waiter::ReadyLine;

/// When [`Ready`](crate::Ready) signals, once it has found its pattern.
///
/// # Examples
///
/// ```
/// use procpump::{Discard, Sink};
/// use procpump_adapters::{Ready, ReadyAt};
///
/// // A prompt: no newline follows it until the user answers.
/// let mut line_end = Ready::new("Password:", Discard);
/// let mut at_match = Ready::new("Password:", Discard).ready_at(ReadyAt::Match);
/// for ready in [&mut line_end, &mut at_match] {
///     let _ = ready.chunk(b"Password: ");
/// }
/// assert!(line_end.readiness().is_none()); // waits for the line's end
/// let line = at_match.readiness().unwrap().line().unwrap().clone();
/// assert_eq!(line.bytes(), b"Password: ");
/// assert!(!line.is_terminated());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReadyAt {
    /// When the line that holds the pattern ends (with a newline, or with
    /// the stream), or as soon as it passes
    /// [`max_line`](crate::Ready::max_line): the whole line is told, so
    /// what follows the pattern on it (a port, an address) is there even
    /// when the child's writes, or its stdio buffer, split the line. The
    /// default.
    #[default]
    LineEnd,
    /// In the chunk where the pattern is found, with the line as far as it
    /// has arrived: for prompts, which no newline follows until they are
    /// answered.
    Match,
}

/// Looks for the first line of a stream that holds a pattern (which has
/// no newline in it, so no match can span lines).
///
/// Holds at most `max_line` bytes of the current line's start (to tell the
/// line) and the pattern's length less one of the stream's last bytes (a
/// match that began in an earlier chunk), twice that while searching the
/// seam between two chunks. Each byte is searched once, plus a backwards
/// scan for the last newline of each chunk. Once the line is told, nothing
/// is held or scanned any more.
pub(crate) struct Watch {
    finder: Finder<'static>,
    at: ReadyAt,
    max_line: usize,
    /// The current line's bytes from earlier chunks, up to `max_line`.
    head: Vec<u8>,
    /// The current line was longer than `head` holds.
    truncated: bool,
    /// The stream's last bytes, fewer than the pattern.
    carry: Vec<u8>,
    /// `carry` and the next chunk's first bytes: where a match may span
    /// two chunks.
    seam: Vec<u8>,
    state: State,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Watching,
    /// The pattern is in the current line; its end has not come yet.
    Found,
    Done,
}

impl Watch {
    /// # Panics
    ///
    /// If `pattern` holds a newline.
    pub(crate) fn new(pattern: &[u8], at: ReadyAt, max_line: usize) -> Watch {
        assert!(
            memchr::memchr(b'\n', pattern).is_none(),
            "a readiness pattern is matched within a line: it cannot hold a newline"
        );
        Watch {
            finder: Finder::new(pattern).into_owned(),
            at,
            max_line,
            head: Vec::new(),
            truncated: false,
            carry: Vec::new(),
            seam: Vec::new(),
            state: State::Watching,
        }
    }

    pub(crate) fn set_at(&mut self, at: ReadyAt) {
        self.at = at;
    }

    pub(crate) fn set_max_line(&mut self, max_line: usize) {
        self.max_line = max_line;
    }

    pub(crate) fn at(&self) -> ReadyAt {
        self.at
    }

    pub(crate) fn max_line(&self) -> usize {
        self.max_line
    }

    pub(crate) fn pattern(&self) -> &[u8] {
        self.finder.needle()
    }

    /// True once the line was told: nothing more is looked at.
    pub(crate) fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Bytes held: of the current line, and of the stream's end.
    pub(crate) fn held(&self) -> usize {
        self.head.len() + self.carry.len()
    }

    /// Looks at the next chunk; returns the line when it is to be told.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Option<ReadyLine> {
        match self.state {
            State::Done => None,
            State::Found => self.complete(chunk),
            State::Watching => match self.find(chunk) {
                Some(start) => self.found(chunk, start),
                None => {
                    self.keep_line(chunk);
                    self.keep_carry(chunk);
                    None
                }
            },
        }
    }

    /// The stream ended: a line whose pattern was found and whose end had
    /// not come is told now.
    pub(crate) fn finish(&mut self) -> Option<ReadyLine> {
        match self.state {
            State::Found => Some(self.tell(false)),
            State::Watching | State::Done => {
                self.done();
                None
            }
        }
    }

    /// Where the first match in `chunk` starts: 0 for one that began in an
    /// earlier chunk.
    fn find(&mut self, chunk: &[u8]) -> Option<usize> {
        if !self.carry.is_empty() {
            let reach = chunk.len().min(self.pattern().len() - 1);
            self.seam.clear();
            self.seam.extend_from_slice(&self.carry);
            self.seam.extend_from_slice(&chunk[..reach]);
            // A match starting in the carry spans the seam; one starting
            // later lies in the chunk, and is found there.
            match self.finder.find(&self.seam) {
                Some(start) if start < self.carry.len() => return Some(0),
                _ => {}
            }
        }
        self.finder.find(chunk)
    }

    /// The pattern starts at `start` in `chunk` (no newline between the
    /// line's held head and `start` when it is 0).
    fn found(&mut self, chunk: &[u8], start: usize) -> Option<ReadyLine> {
        let line = match memchr::memrchr(b'\n', &chunk[..start]) {
            Some(newline) => {
                self.next_line();
                newline + 1
            }
            None => 0,
        };
        self.state = State::Found;
        self.carry = Vec::new();
        self.seam = Vec::new();
        self.complete(&chunk[line..])
    }

    /// More of the line that holds the pattern: keeps it, and tells the
    /// line if it ended, passed the maximum, or is to be told at once.
    fn complete(&mut self, bytes: &[u8]) -> Option<ReadyLine> {
        let newline = memchr::memchr(b'\n', bytes);
        self.keep(&bytes[..newline.unwrap_or(bytes.len())]);
        if newline.is_some() || self.truncated || self.at == ReadyAt::Match {
            Some(self.tell(newline.is_some()))
        } else {
            None
        }
    }

    /// Keeps the start of the line that runs on past `chunk`.
    fn keep_line(&mut self, chunk: &[u8]) {
        match memchr::memrchr(b'\n', chunk) {
            Some(newline) => {
                self.next_line();
                self.keep(&chunk[newline + 1..]);
            }
            None => self.keep(chunk),
        }
    }

    /// Keeps the stream's last bytes, as many as a match could still need.
    fn keep_carry(&mut self, chunk: &[u8]) {
        let need = self.pattern().len().saturating_sub(1);
        if chunk.len() >= need {
            self.carry.clear();
            self.carry.extend_from_slice(&chunk[chunk.len() - need..]);
        } else {
            let excess = (self.carry.len() + chunk.len()).saturating_sub(need);
            self.carry.drain(..excess);
            self.carry.extend_from_slice(chunk);
        }
    }

    /// Adds to the line's head, up to the maximum, growing it no further.
    fn keep(&mut self, bytes: &[u8]) {
        let take = bytes
            .len()
            .min(self.max_line.saturating_sub(self.head.len()));
        if take < bytes.len() {
            self.truncated = true;
        }
        if take == 0 {
            return;
        }
        let needed = self.head.len() + take;
        if needed > self.head.capacity() {
            let target = (self.head.capacity() * 2).clamp(needed, self.max_line);
            self.head.reserve_exact(target - self.head.len());
        }
        self.head.extend_from_slice(&bytes[..take]);
    }

    fn next_line(&mut self) {
        self.head.clear();
        self.truncated = false;
    }

    /// The line to tell, `newline` when one ended it; nothing is looked at
    /// after this.
    fn tell(&mut self, newline: bool) -> ReadyLine {
        let mut bytes = std::mem::take(&mut self.head);
        let terminated = newline && !self.truncated;
        if terminated && bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        let line = ReadyLine::new(bytes, terminated, self.truncated);
        self.done();
        line
    }

    fn done(&mut self) {
        self.state = State::Done;
        self.head = Vec::new();
        self.carry = Vec::new();
        self.seam = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A told line as the tests compare it: text, terminated, truncated.
    type Told = (Vec<u8>, bool, bool);

    fn told(line: ReadyLine) -> Told {
        let (terminated, truncated) = (line.is_terminated(), line.is_truncated());
        (line.into_bytes(), terminated, truncated)
    }

    /// Feeds `chunks`, then ends the stream: the line told, and at which
    /// chunk (`chunks.len()` for the end).
    fn watch(pattern: &[u8], at: ReadyAt, max: usize, chunks: &[&[u8]]) -> Option<(Told, usize)> {
        let mut watch = Watch::new(pattern, at, max);
        for (i, chunk) in chunks.iter().enumerate() {
            if let Some(line) = watch.feed(chunk) {
                assert!(watch.is_done());
                for later in &chunks[i + 1..] {
                    assert!(watch.feed(later).is_none());
                }
                assert!(watch.finish().is_none());
                return Some((told(line), i));
            }
            assert!(watch.head.capacity() <= max);
            assert!(watch.carry.len() < pattern.len().max(1));
        }
        watch.finish().map(|line| (told(line), chunks.len()))
    }

    /// What the watch must tell for `stream`, found the obvious way, and
    /// at which chunk; `ends` are where the chunks end.
    fn reference(
        stream: &[u8],
        pattern: &[u8],
        at: ReadyAt,
        max: usize,
        ends: &[usize],
    ) -> Option<(Told, usize)> {
        if stream.is_empty() {
            return None;
        }
        let start = (0..=stream.len() - pattern.len().min(stream.len()))
            .find(|&i| stream[i..].starts_with(pattern))?;
        let line = stream[..start]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |newline| newline + 1);
        let newline = stream[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| start + i);
        // The chunk where the match is complete (an empty one: the first).
        let matched = ends
            .iter()
            .position(|&end| end >= (start + pattern.len()).max(1))
            .unwrap();
        let (stop, terminated, chunk) = match (at, newline) {
            (ReadyAt::Match, Some(n)) if n < ends[matched] => (n, true, matched),
            (ReadyAt::Match, _) => (ends[matched], false, matched),
            (ReadyAt::LineEnd, Some(n)) => (n, true, ends.iter().position(|&end| end > n).unwrap()),
            (ReadyAt::LineEnd, None) => (stream.len(), false, ends.len()),
        };
        let raw = &stream[line..stop];
        let told = if raw.len() > max {
            // Told as soon as the held head overflowed.
            let overflow = line + max + 1;
            let chunk = ends.iter().position(|&end| end >= overflow).unwrap();
            return Some(((raw[..max].to_vec(), false, true), chunk.max(matched)));
        } else if terminated {
            (raw.strip_suffix(b"\r").unwrap_or(raw).to_vec(), true, false)
        } else {
            (raw.to_vec(), false, false)
        };
        Some((told, chunk))
    }

    /// Cuts `stream` at `cuts` (sorted, inside it).
    fn cut<'a>(stream: &'a [u8], cuts: &[usize]) -> (Vec<&'a [u8]>, Vec<usize>) {
        let mut chunks = Vec::new();
        let mut ends = Vec::new();
        let mut at = 0;
        for &end in cuts.iter().chain([&stream.len()]) {
            if end > at {
                chunks.push(&stream[at..end]);
                ends.push(end);
                at = end;
            }
        }
        (chunks, ends)
    }

    fn check(stream: &[u8], pattern: &[u8], at: ReadyAt, max: usize, cuts: &[usize]) {
        let (chunks, ends) = cut(stream, cuts);
        assert_eq!(
            watch(pattern, at, max, &chunks),
            reference(stream, pattern, at, max, &ends),
            "{:?} in {:?} cut at {cuts:?}, {at:?}, max {max}",
            String::from_utf8_lossy(pattern),
            String::from_utf8_lossy(stream),
        );
    }

    #[test]
    fn finds_the_pattern_cut_at_every_place() {
        let stream = b"boot\nlistenin\nlistening on :80\r\nmore listening on\n";
        let first = b"listening on :80".to_vec();
        for at in [ReadyAt::LineEnd, ReadyAt::Match] {
            for i in 0..=stream.len() {
                for j in i..=stream.len() {
                    check(stream, b"listening on", at, 64, &[i, j]);
                }
            }
            let chunks: Vec<&[u8]> = stream.chunks(1).collect();
            let (line, _) = watch(b"listening on", at, 64, &chunks).unwrap();
            let expected = match at {
                ReadyAt::LineEnd => (first.clone(), true, false),
                ReadyAt::Match => (b"listening on".to_vec(), false, false),
            };
            assert_eq!(line, expected);
        }
    }

    #[test]
    fn tells_the_line_when_it_ends() {
        let chunks: [&[u8]; 3] = [b"x\nlisten", b"ing on 127.0.0.1", b":8080\nnext\n"];
        let got = watch(b"listening on", ReadyAt::LineEnd, 100, &chunks);
        assert_eq!(
            got,
            Some(((b"listening on 127.0.0.1:8080".to_vec(), true, false), 2))
        );
        let got = watch(b"listening on", ReadyAt::Match, 100, &chunks);
        assert_eq!(
            got,
            Some(((b"listening on 127.0.0.1".to_vec(), false, false), 1))
        );
    }

    #[test]
    fn a_stream_that_ends_first_tells_nothing_or_its_last_line() {
        assert_eq!(
            watch(b"ready", ReadyAt::LineEnd, 100, &[b"rea", b"dy?"])
                .unwrap()
                .1,
            2
        );
        assert_eq!(
            watch(b"ready", ReadyAt::LineEnd, 100, &[b"rea\n", b"dy\n"]),
            None
        );
        assert_eq!(watch(b"ready", ReadyAt::LineEnd, 100, &[]), None);
    }

    #[test]
    fn an_empty_pattern_is_found_in_the_first_line() {
        let got = watch(b"", ReadyAt::LineEnd, 100, &[b"a", b"b\nc\n"]);
        assert_eq!(got, Some(((b"ab".to_vec(), true, false), 1)));
    }

    #[test]
    fn a_long_line_is_told_as_soon_as_it_passes_the_maximum() {
        let got = watch(b"ready", ReadyAt::LineEnd, 4, &[b"ready", b"!!!\n"]);
        assert_eq!(got, Some(((b"read".to_vec(), false, true), 0)));
        // The pattern after the maximum: the line's start is told.
        let got = watch(b"ready", ReadyAt::LineEnd, 4, &[b"0123456", b"ready\n"]);
        assert_eq!(got, Some(((b"0123".to_vec(), false, true), 1)));
    }

    #[test]
    #[should_panic(expected = "cannot hold a newline")]
    fn a_pattern_with_a_newline_is_refused() {
        let _ = Watch::new(b"ready\n", ReadyAt::LineEnd, 100);
    }

    #[test]
    fn memory_stays_bounded_for_an_endless_line() {
        let mut watch = Watch::new(b"never printed", ReadyAt::LineEnd, 1000);
        let chunk = vec![b'x'; 64 * 1024];
        for _ in 0..100 {
            assert!(watch.feed(&chunk).is_none());
            assert!(watch.head.capacity() <= 1000);
            assert!(watch.carry.capacity() <= 64 * 1024);
            assert_eq!(watch.held(), 1000 + 12);
        }
        // Bytes one at a time: the carry never grows past the pattern.
        for _ in 0..1000 {
            assert!(watch.feed(b"y").is_none());
            assert!(watch.carry.len() <= 12 && watch.seam.len() <= 24);
        }
        assert!(watch.finish().is_none());
        assert_eq!(watch.held(), 0);
    }

    /// A stream made mostly of the pattern's pieces, newlines and `\r`.
    fn stream() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            3 => Just(&b"ab"[..]),
            2 => Just(&b"a"[..]),
            2 => Just(&b"b"[..]),
            2 => Just(&b"\n"[..]),
            1 => Just(&b"\r"[..]),
            1 => Just(&b"c"[..]),
        ];
        proptest::collection::vec(piece, 0..80).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #[test]
        fn any_cut_finds_what_the_whole_stream_holds(
            stream in stream(),
            pattern in prop_oneof![Just(&b"aba"[..]), Just(&b"abab"[..]), Just(&b"b\rb"[..]), Just(&b"a"[..])],
            match_at in prop_oneof![Just(ReadyAt::LineEnd), Just(ReadyAt::Match)],
            max in 0usize..12,
            mut cuts in proptest::collection::vec(0usize..200, 0..12),
        ) {
            cuts.iter_mut().for_each(|cut| *cut %= stream.len() + 1);
            cuts.sort_unstable();
            check(&stream, pattern, match_at, max, &cuts);
        }
    }
}
