//! What a child reads on stdin: the [`Source`] trait and [`Input`], with
//! every source it can be made from (bytes, a file, a reader, a channel).

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::process::Stdio;

use crossbeam_channel::Receiver;

use crate::{Resumer, StreamContext};

/// What a [`Source`] put in the buffer it was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fill {
    /// `n` bytes (at least one) are ready at the start of the buffer.
    Data(usize),
    /// Nothing now: the source will call the [`Resumer`](crate::Resumer)
    /// it was given in [`Source::start`] when it has more.
    Pending,
    /// The source is exhausted: the reactor closes the child's stdin.
    End,
}

/// Bytes for a child's stdin.
///
/// The reactor asks for more only when the pipe has room, so a child that
/// reads slowly makes the source wait, and a source that has nothing yet
/// ([`Fill::Pending`]) costs nothing until it resumes the stream.
pub trait Source {
    /// Puts the next bytes at the start of `buf` (never empty) and says how
    /// many, or that there are none for now, or none ever again.
    ///
    /// # Errors
    ///
    /// An error ends the child's run: the child is killed and the error is
    /// in its [`Report`](crate::Report).
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<Fill>;

    /// Called once when the child has started, with a context that hands
    /// out a [`Resumer`](crate::Resumer). Does nothing by default.
    fn start(&mut self, context: &StreamContext<'_>) {
        let _ = context;
    }

    /// How many bytes the source still holds, if it knows; used to report
    /// what was left unsent when the child stopped reading.
    fn remaining(&self) -> Option<u64> {
        None
    }
}

/// A child's stdin, as given to [`Job::stdin`](crate::Job::stdin).
///
/// A job given none reads `/dev/null` ([`Input::null`]), as with
/// [`Command::output`](std::process::Command::output): a child never reads
/// the caller's own stdin by accident. [`Input::inherit`] shares it,
/// explicitly.
///
/// # Examples
///
/// ```
/// use procpump::Input;
/// # fn main() -> std::io::Result<()> {
/// let from_bytes = Input::bytes("hello\n");
/// let from_reader = Input::reader(std::io::repeat(b'x').take(1 << 20));
/// # use std::io::Read;
/// # Ok(())
/// # }
/// ```
pub struct Input {
    kind: Kind,
}

/// What an [`Input`] is.
enum Kind {
    /// Bytes through a pipe, from a source.
    Source(Box<dyn Source + Send>),
    /// A descriptor given to the child as it is; no pipe.
    Stdio(Stdio),
}

impl Input {
    /// The child reads these bytes, then end of file.
    pub fn bytes(bytes: impl Into<Vec<u8>>) -> Input {
        Input::source(Bytes {
            bytes: bytes.into(),
            offset: 0,
        })
    }

    /// The child reads everything `reader` yields, then end of file.
    ///
    /// The reader is read on the reactor's thread, only when the pipe has
    /// room: it should not block for long (a file is fine; for a socket or
    /// another process, use a channel source).
    pub fn reader(reader: impl Read + Send + 'static) -> Input {
        Input::source(Reader(reader))
    }

    /// The child reads the file from its current position to its end.
    pub fn file(file: File) -> Input {
        Input::reader(file)
    }

    /// The child reads what `source` yields.
    pub fn source(source: impl Source + Send + 'static) -> Input {
        Input {
            kind: Kind::Source(Box::new(source)),
        }
    }

    /// The child reads `/dev/null`: end of file at once. What a job given
    /// no input gets.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> procpump::Result<()> {
    /// use procpump::{Discard, Input, Job, Reactor};
    /// use std::process::Command;
    ///
    /// let mut reactor = Reactor::new()?;
    /// reactor.spawn(Job::new(Command::new("cat")).stdin(Input::null()).stdout(Discard));
    /// reactor.spawn(Job::new(Command::new("cat")).stdout(Discard)); // the same
    /// for report in reactor.run()? {
    ///     assert_eq!(report.stdout().unwrap().bytes(), 0);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn null() -> Input {
        Input::stdio(Stdio::null())
    }

    /// The child shares this process's own stdin (a terminal, say), as
    /// with [`Command::spawn`](std::process::Command::spawn). The reactor
    /// does not see it: the report has no stdin.
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump::{Input, Job};
    /// use std::process::Command;
    ///
    /// // An interactive child reads the terminal, if there is one.
    /// let job = Job::new(Command::new("cat")).stdin(Input::inherit());
    /// ```
    pub fn inherit() -> Input {
        Input::stdio(Stdio::inherit())
    }

    /// The child's stdin is `stdio` as it is (a file, one end of a pipe
    /// made elsewhere), with no pipe through the reactor: the report has
    /// no stdin.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> procpump::Result<()> {
    /// use procpump::{Input, Job, Reactor};
    /// use std::process::Command;
    ///
    /// // The output of one child is the input of the next, directly.
    /// let mut echo = Command::new("echo");
    /// echo.arg("through a pipe");
    /// let mut echo = echo.stdout(std::process::Stdio::piped()).spawn().unwrap();
    /// let pipe = echo.stdout.take().unwrap();
    /// let mut reactor = Reactor::new()?;
    /// reactor.spawn(Job::new(Command::new("cat")).stdin(Input::stdio(pipe)).stdout(procpump::Discard));
    /// let report = reactor.run()?.remove(0);
    /// echo.wait().unwrap();
    /// assert_eq!(report.stdout().unwrap().bytes(), 15);
    /// assert!(report.stdin().is_none());
    /// # Ok(())
    /// # }
    /// ```
    pub fn stdio(stdio: impl Into<Stdio>) -> Input {
        Input {
            kind: Kind::Stdio(stdio.into()),
        }
    }

    /// The source to write through a pipe, or the descriptor to give the
    /// child as it is.
    pub(crate) fn into_parts(self) -> Result<Box<dyn Source + Send>, Stdio> {
        match self.kind {
            Kind::Source(source) => Ok(source),
            Kind::Stdio(stdio) => Err(stdio),
        }
    }
}

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            Kind::Source(_) => "source",
            Kind::Stdio(_) => "stdio",
        };
        f.debug_struct("Input").field("kind", &kind).finish()
    }
}

impl From<Vec<u8>> for Input {
    fn from(bytes: Vec<u8>) -> Input {
        Input::bytes(bytes)
    }
}

impl From<&'static [u8]> for Input {
    fn from(bytes: &'static [u8]) -> Input {
        Input::bytes(bytes)
    }
}

impl From<&'static str> for Input {
    fn from(text: &'static str) -> Input {
        Input::bytes(text)
    }
}

impl From<String> for Input {
    fn from(text: String) -> Input {
        Input::bytes(text)
    }
}

impl From<File> for Input {
    fn from(file: File) -> Input {
        Input::file(file)
    }
}

struct Bytes {
    bytes: Vec<u8>,
    offset: usize,
}

/// Copies what fits of `bytes[*offset..]` into `buf`, advancing `offset`;
/// returns how many bytes.
pub(super) fn copy_out(bytes: &[u8], offset: &mut usize, buf: &mut [u8]) -> usize {
    let rest = &bytes[*offset..];
    let n = rest.len().min(buf.len());
    buf[..n].copy_from_slice(&rest[..n]);
    *offset += n;
    n
}

impl Source for Bytes {
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<Fill> {
        if self.offset == self.bytes.len() {
            return Ok(Fill::End);
        }
        Ok(Fill::Data(copy_out(&self.bytes, &mut self.offset, buf)))
    }

    fn remaining(&self) -> Option<u64> {
        Some((self.bytes.len() - self.offset) as u64)
    }
}

struct Reader<R>(R);

impl<R: Read> Source for Reader<R> {
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<Fill> {
        loop {
            match self.0.read(buf) {
                Ok(0) => return Ok(Fill::End),
                Ok(n) => return Ok(Fill::Data(n)),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            }
        }
    }
}

/// The source a `Receiver<Vec<u8>>` becomes: the child's stdin is what
/// producer threads send, until every sender is dropped.
struct ChannelSource {
    receiver: Receiver<Vec<u8>>,
    current: Vec<u8>,
    offset: usize,
    resumer: Option<Resumer>,
}

impl Source for ChannelSource {
    fn start(&mut self, context: &StreamContext<'_>) {
        self.resumer = Some(context.resumer());
    }

    fn fill(&mut self, buf: &mut [u8]) -> io::Result<Fill> {
        while self.offset == self.current.len() {
            match self.receiver.try_recv() {
                Ok(bytes) => {
                    self.current = bytes;
                    self.offset = 0;
                }
                Err(crossbeam_channel::TryRecvError::Empty) => {
                    if let Some(resumer) = &self.resumer {
                        resumer.resume_when_receivable(&self.receiver);
                    }
                    return Ok(Fill::Pending);
                }
                Err(crossbeam_channel::TryRecvError::Disconnected) => return Ok(Fill::End),
            }
        }
        Ok(Fill::Data(copy_out(&self.current, &mut self.offset, buf)))
    }

    fn remaining(&self) -> Option<u64> {
        Some((self.current.len() - self.offset) as u64)
    }
}

impl Input {
    /// The child's stdin is what producer threads send into the channel
    /// of `receiver`, until every sender is dropped. A bounded channel
    /// pushes back: when the child reads slowly, the channel fills and the
    /// producers block in `send`.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> procpump::Result<()> {
    /// use procpump::{Discard, Input, Job, Reactor};
    /// use std::process::Command;
    ///
    /// let (sender, receiver) = crossbeam_channel::bounded(2);
    /// let producer = std::thread::spawn(move || {
    ///     for _ in 0..100 {
    ///         sender.send(vec![b'x'; 1000]).unwrap();
    ///     }
    /// });
    /// let mut reactor = Reactor::new()?;
    /// reactor.spawn(Job::new(Command::new("cat")).stdin(Input::channel(receiver)).stdout(Discard));
    /// let reports = reactor.run()?;
    /// producer.join().unwrap();
    /// assert_eq!(reports[0].stdout().unwrap().bytes(), 100_000);
    /// # Ok(())
    /// # }
    /// ```
    pub fn channel(receiver: Receiver<Vec<u8>>) -> Input {
        Input::source(ChannelSource {
            receiver,
            current: Vec::new(),
            offset: 0,
            resumer: None,
        })
    }
}

impl From<Receiver<Vec<u8>>> for Input {
    fn from(receiver: Receiver<Vec<u8>>) -> Input {
        Input::channel(receiver)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(source: &mut dyn Source, size: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = vec![0; size];
        while let Fill::Data(n) = source.fill(&mut buf).unwrap() {
            out.extend_from_slice(&buf[..n]);
        }
        out
    }

    fn source(input: Input) -> Box<dyn Source + Send> {
        let Ok(source) = input.into_parts() else {
            panic!("not a source")
        };
        source
    }

    #[test]
    fn bytes_are_yielded_whole_across_small_buffers() {
        let mut source = source(Input::bytes((0..=255u8).collect::<Vec<_>>()));
        assert_eq!(source.remaining(), Some(256));
        assert_eq!(drain(&mut *source, 7), (0..=255u8).collect::<Vec<_>>());
        assert_eq!(source.remaining(), Some(0));
    }

    #[test]
    fn reader_ends_at_eof() {
        let mut source = source(Input::reader(&b"abc"[..]));
        assert_eq!(drain(&mut *source, 2), b"abc");
    }

    #[test]
    fn null_and_inherit_are_no_source() {
        assert!(Input::null().into_parts().is_err());
        assert!(Input::inherit().into_parts().is_err());
    }
}
