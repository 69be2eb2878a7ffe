//! [`Utf8`]: a sink that hands the stream on as text, never splitting a
//! character between two pieces.

use std::fmt;

use procpump::{Flow, Sink, StreamContext, StreamEnd};

use crate::backlog::{Backlog, Cutter};

/// What [`Utf8`] does with bytes that are not UTF-8.
///
/// # Examples
///
/// ```
/// use procpump::{Flow, Sink, StreamEnd};
/// use procpump_adapters::{Utf8, Utf8Mode};
///
/// let mut text = String::new();
/// let mut utf8 = Utf8::new(|piece: &str| {
///     text.push_str(piece);
///     Flow::Continue
/// })
/// .mode(Utf8Mode::Strict);
/// assert_eq!(utf8.chunk(b"ok \xff no"), Flow::Close);
/// assert_eq!(utf8.invalid_at(), Some(3));
/// drop(utf8);
/// assert_eq!(text, "ok ");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Utf8Mode {
    /// Replace each invalid sequence with U+FFFD, exactly as
    /// [`String::from_utf8_lossy`] would on the whole stream. The default.
    #[default]
    Lossy,
    /// Stop at the first invalid byte: the text before it is handed over,
    /// the stream is closed ([`Flow::Close`]) and the byte's offset is kept
    /// ([`Utf8::invalid_at`]).
    Strict,
}

/// Where [`Utf8`] hands each piece of text.
///
/// Closures `FnMut(&str) -> Flow` are text handlers.
///
/// # Examples
///
/// ```
/// use procpump::{Flow, Sink};
/// use procpump_adapters::{TextHandler, Utf8};
///
/// #[derive(Default)]
/// struct CountChars(usize);
///
/// impl TextHandler for CountChars {
///     fn text(&mut self, text: &str) -> Flow {
///         self.0 += text.chars().count();
///         Flow::Continue
///     }
/// }
///
/// let mut utf8 = Utf8::with_handler(CountChars::default());
/// let _ = utf8.chunk("h\u{e9}".as_bytes());
/// assert_eq!(utf8.into_handler().0, 2);
/// ```
pub trait TextHandler {
    /// Takes the next piece of text (never empty). Returns what the reactor
    /// should do next, as [`Sink::chunk`] does.
    fn text(&mut self, text: &str) -> Flow;

    /// As [`Sink::start`]. Does nothing by default.
    fn start(&mut self, context: &StreamContext<'_>) {
        let _ = context;
    }

    /// As [`Sink::resume`]. Returns [`Flow::Continue`] by default.
    fn resume(&mut self) -> Flow {
        Flow::Continue
    }

    /// As [`Sink::end`], after the last piece. Does nothing by default.
    fn end(&mut self, end: &StreamEnd) {
        let _ = end;
    }
}

impl<F> TextHandler for F
where
    F: FnMut(&str) -> Flow,
{
    fn text(&mut self, text: &str) -> Flow {
        self(text)
    }
}

/// A text handler made of a state and a plain function, so that its type
/// can be named and taken back after the run. See [`Utf8::with_state`].
///
/// # Examples
///
/// ```
/// use procpump::{Flow, Sink};
/// use procpump_adapters::Utf8;
///
/// let mut chars = Utf8::with_state(0usize, |count: &mut usize, text: &str| {
///     *count += text.chars().count();
///     Flow::Continue
/// });
/// let _ = chars.chunk(&"\u{e9}t\u{e9}".as_bytes()[..1]);
/// let _ = chars.chunk(&"\u{e9}t\u{e9}".as_bytes()[1..]);
/// assert_eq!(chars.into_handler().into_state(), 3);
/// ```
pub struct StatefulText<T> {
    state: T,
    function: fn(&mut T, &str) -> Flow,
}

impl<T> StatefulText<T> {
    /// The state.
    pub fn state(&self) -> &T {
        &self.state
    }

    /// Takes the state out.
    pub fn into_state(self) -> T {
        self.state
    }
}

impl<T> TextHandler for StatefulText<T> {
    fn text(&mut self, text: &str) -> Flow {
        (self.function)(&mut self.state, text)
    }
}

impl<T: fmt::Debug> fmt::Debug for StatefulText<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatefulText")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// A UTF-8 view of the stream: hands on text in pieces that each hold
/// whole characters, however the stream was cut into chunks. A character
/// cut by a chunk boundary is held (at most 3 bytes) until its end arrives.
///
/// # Examples
///
/// ```
/// # fn main() -> procpump::Result<()> {
/// use procpump::{Flow, Job, Reactor, Stream};
/// use procpump_adapters::{StatefulText, Utf8};
/// use std::process::Command;
///
/// let mut reactor = Reactor::new()?;
/// let mut printf = Command::new("printf");
/// printf.arg("caf\\303\\251 \\377");
/// let utf8 = Utf8::with_state(String::new(), |text: &mut String, piece: &str| {
///     text.push_str(piece);
///     Flow::Continue
/// });
/// reactor.spawn(Job::new(printf).stdout(utf8));
/// let mut report = reactor.run()?.remove(0);
/// let utf8: Utf8<StatefulText<String>> = report.take_sink(Stream::Stdout).unwrap();
/// assert_eq!(utf8.into_handler().into_state(), "caf\u{e9} \u{fffd}");
/// # Ok(())
/// # }
/// ```
pub struct Utf8<H> {
    handler: H,
    decoder: Decoder,
    backlog: Backlog,
}

/// The decoding itself: a character cut by a chunk's end, and where the
/// stream stands.
struct Decoder {
    mode: Utf8Mode,
    /// The start of a character cut by the end of the last chunk.
    carry: [u8; 4],
    carried: usize,
    /// Bytes decoded so far (not counting `carry`), for the offset of an
    /// invalid one.
    offset: u64,
    invalid_at: Option<u64>,
}

impl<F> Utf8<F>
where
    F: FnMut(&str) -> Flow,
{
    /// Text handed to the closure `handler`.
    pub fn new(handler: F) -> Utf8<F> {
        Utf8::with_handler(handler)
    }
}

impl<T> Utf8<StatefulText<T>> {
    /// Text handed to `function` along with `state`, which can be taken back
    /// after the run (as `Utf8<StatefulText<T>>`). `function` is a plain
    /// function or a closure that captures nothing.
    pub fn with_state(state: T, function: fn(&mut T, &str) -> Flow) -> Utf8<StatefulText<T>> {
        Utf8::with_handler(StatefulText { state, function })
    }
}

impl<H: TextHandler> Utf8<H> {
    /// Text handed to `handler`, a [`TextHandler`] of any type.
    pub fn with_handler(handler: H) -> Utf8<H> {
        let decoder = Decoder {
            mode: Utf8Mode::Lossy,
            carry: [0; 4],
            carried: 0,
            offset: 0,
            invalid_at: None,
        };
        Utf8 {
            handler,
            decoder,
            backlog: Backlog::default(),
        }
    }

    /// Lossy (the default) or strict.
    pub fn mode(mut self, mode: Utf8Mode) -> Utf8<H> {
        self.decoder.mode = mode;
        self
    }

    /// [`Utf8Mode::Strict`]: the stream offset of the first byte that is
    /// not UTF-8 (a sequence cut by the end of the stream counts), if one
    /// was met.
    pub fn invalid_at(&self) -> Option<u64> {
        self.decoder.invalid_at
    }

    /// The handler.
    pub fn handler(&self) -> &H {
        &self.handler
    }

    /// Takes the handler out (after the run, to read its results).
    pub fn into_handler(self) -> H {
        self.handler
    }
}

impl Decoder {
    /// Decodes `bytes`; returns the flow and how many bytes were used.
    fn decode(&mut self, bytes: &[u8], handler: &mut impl TextHandler) -> (Flow, usize) {
        if self.invalid_at.is_some() {
            return (Flow::Close, bytes.len());
        }
        let mut at = 0;
        if self.carried > 0 {
            let (flow, used) = self.complete_carry(bytes, handler);
            at = used;
            if flow != Flow::Continue {
                return (flow, at);
            }
        }
        while at < bytes.len() {
            let (flow, used) = self.decode_run(&bytes[at..], handler);
            at += used;
            if flow != Flow::Continue {
                return (flow, at);
            }
        }
        (Flow::Continue, bytes.len())
    }

    /// Completes the carried character with the first bytes of `bytes`.
    fn complete_carry(&mut self, bytes: &[u8], handler: &mut impl TextHandler) -> (Flow, usize) {
        let width = char_width(self.carry[0]);
        let take = (width - self.carried).min(bytes.len());
        self.carry[self.carried..self.carried + take].copy_from_slice(&bytes[..take]);
        let have = self.carried + take;
        let held = self.carried;
        let carry = self.carry;
        match std::str::from_utf8(&carry[..have]) {
            Ok(text) => {
                self.carried = 0;
                (self.emit(text, handler), take)
            }
            Err(err) => match err.error_len() {
                // Still cut short: the chunk ended too.
                None => {
                    self.carried = have;
                    (Flow::Continue, take)
                }
                Some(invalid) => {
                    // The invalid sequence is the carried bytes and perhaps
                    // some of the new ones; what follows is decoded afresh.
                    self.carried = 0;
                    let flow = self.invalid(invalid, handler);
                    (flow, invalid.saturating_sub(held))
                }
            },
        }
    }

    /// Decodes from the start of `bytes` up to and including the first
    /// invalid sequence, or to the end (carrying a cut character).
    fn decode_run(&mut self, bytes: &[u8], handler: &mut impl TextHandler) -> (Flow, usize) {
        let (valid, rest) = match std::str::from_utf8(bytes) {
            Ok(text) => return (self.emit(text, handler), bytes.len()),
            Err(err) => (err.valid_up_to(), err.error_len()),
        };
        // `from_utf8` vouched for the prefix: this cannot fail.
        let text = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
        let flow = if text.is_empty() {
            Flow::Continue
        } else {
            self.emit(text, handler)
        };
        if flow != Flow::Continue {
            return (flow, valid);
        }
        match rest {
            None => {
                let cut = bytes.len() - valid;
                self.carry[..cut].copy_from_slice(&bytes[valid..]);
                self.carried = cut;
                (Flow::Continue, bytes.len())
            }
            Some(invalid) => (self.invalid(invalid, handler), valid + invalid),
        }
    }

    /// Hands `text` on.
    fn emit(&mut self, text: &str, handler: &mut impl TextHandler) -> Flow {
        self.offset += text.len() as u64;
        handler.text(text)
    }

    /// Meets an invalid sequence of `len` bytes at the current offset.
    fn invalid(&mut self, len: usize, handler: &mut impl TextHandler) -> Flow {
        match self.mode {
            Utf8Mode::Lossy => {
                self.offset += len as u64;
                handler.text("\u{fffd}")
            }
            Utf8Mode::Strict => {
                self.invalid_at = Some(self.offset);
                Flow::Close
            }
        }
    }
}

/// The length of the character that `first` starts (1 for a byte that
/// starts none: the decoder then reports it invalid).
fn char_width(first: u8) -> usize {
    match first {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 1,
    }
}

impl<H: TextHandler> Cutter<H> for Decoder {
    fn cut(&mut self, bytes: &[u8], handler: &mut H) -> (Flow, usize) {
        self.decode(bytes, handler)
    }

    fn finish(&mut self, handler: &mut H) {
        if self.carried > 0 && self.invalid_at.is_none() {
            // A character cut by the end of the stream.
            let len = self.carried;
            self.carried = 0;
            let _ = self.invalid(len, handler);
        }
    }
}

impl<H: TextHandler> Sink for Utf8<H> {
    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        let (decoder, handler) = (&mut self.decoder, &mut self.handler);
        self.backlog.chunk(chunk, decoder, handler)
    }

    fn start(&mut self, context: &StreamContext<'_>) {
        self.handler.start(context);
    }

    fn resume(&mut self) -> Flow {
        let resumed = self.handler.resume();
        let (decoder, handler) = (&mut self.decoder, &mut self.handler);
        self.backlog.resume(resumed, decoder, handler)
    }

    fn end(&mut self, end: &StreamEnd) {
        let (decoder, handler) = (&mut self.decoder, &mut self.handler);
        self.backlog.end(decoder, handler);
        handler.end(end);
    }
}

impl<H> fmt::Debug for Utf8<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Utf8")
            .field("mode", &self.decoder.mode)
            .field("carried", &self.decoder.carried)
            .field("invalid_at", &self.decoder.invalid_at)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(mode: Utf8Mode, chunks: &[&[u8]]) -> (String, Option<u64>) {
        let mut text = String::new();
        let mut utf8 = Utf8::new(|piece: &str| {
            assert!(!piece.is_empty());
            text.push_str(piece);
            Flow::Continue
        })
        .mode(mode);
        for chunk in chunks {
            let _ = utf8.chunk(chunk);
        }
        utf8.end(&StreamEnd::Eof);
        let invalid = utf8.invalid_at();
        drop(utf8);
        (text, invalid)
    }

    #[test]
    fn characters_cut_by_chunks_are_joined() {
        let euro = "\u{20ac}".as_bytes();
        let got = decode(
            Utf8Mode::Strict,
            &[b"a", &euro[..1], &euro[1..2], &euro[2..], b"b"],
        );
        assert_eq!(got, ("a\u{20ac}b".to_owned(), None));
    }

    #[test]
    fn lossy_matches_from_utf8_lossy() {
        let stream: &[u8] = b"a\xe2\x82x\xf0\x9f\x98\x80\xff\xe2";
        for cut in 0..stream.len() {
            let got = decode(Utf8Mode::Lossy, &[&stream[..cut], &stream[cut..]]);
            assert_eq!(got.0, String::from_utf8_lossy(stream), "cut at {cut}");
        }
    }

    #[test]
    fn strict_stops_at_the_first_invalid_byte() {
        let stream: &[u8] = b"ab\xe2\x82x";
        for cut in 0..stream.len() {
            let got = decode(Utf8Mode::Strict, &[&stream[..cut], &stream[cut..]]);
            assert_eq!(got, ("ab".to_owned(), Some(2)), "cut at {cut}");
        }
        assert_eq!(
            decode(Utf8Mode::Strict, &[b"ab\xe2\x82"]),
            ("ab".to_owned(), Some(2))
        );
    }
}
