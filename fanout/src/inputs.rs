//! The input sources (`:::` arguments, `::::` files, stdin) and their
//! combinations: every combination of one argument per source, the last
//! source varying fastest, as GNU parallel does.
//!
//! The first source is streamed (a file or stdin is read by a thread into
//! a bounded channel, so a slow producer never stalls the reactor and
//! memory stays bounded); the others are read whole at the start, since
//! each of their arguments is used once per argument of the first.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvError, TryRecvError};

use procpump::Waker;

use crate::pipe::{Block, Blocks};

/// Arguments read ahead from a streamed file or stdin, at most.
pub(crate) const READ_AHEAD: usize = 256;

/// Where one input source's arguments come from.
#[derive(Debug)]
pub(crate) enum Source {
    /// `::: A B C`.
    Args(Vec<OsString>),
    /// `:::: FILE` or `-a FILE`: a line each.
    File(PathBuf),
    /// stdin (no source given, or `:::: -`): a line each.
    Stdin,
}

/// The first source, handed out as it comes.
enum First {
    Args(std::vec::IntoIter<OsString>),
    Reader {
        lines: Receiver<OsString>,
        ahead: VecDeque<OsString>,
        read: u64,
        ended: bool,
    },
}

/// The combinations still to run.
pub(crate) struct Inputs {
    first: First,
    /// The other sources, whole.
    rest: Vec<Vec<OsString>>,
    /// The first source's argument being combined with the others.
    current: Option<OsString>,
    /// For each of `rest`, the index of its argument in the next
    /// combination.
    odometer: Vec<usize>,
    /// How many arguments the first source has, once known.
    first_len: Option<u64>,
    /// `--pipe`: stdin's blocks instead of arguments, and the block of
    /// the job [`next`](Inputs::next) gave last.
    blocks: Option<Blocks>,
    block: Option<Block>,
}

impl Inputs {
    /// Opens the sources (stdin when there is none); `null`: arguments end
    /// with NUL instead of a newline.
    ///
    /// # Errors
    ///
    /// A file that cannot be opened or read, named.
    pub(crate) fn open(sources: Vec<Source>, null: bool, waker: Waker) -> io::Result<Inputs> {
        let delimiter = if null { b'\0' } else { b'\n' };
        let mut sources = sources.into_iter();
        let first = match sources.next().unwrap_or(Source::Stdin) {
            Source::Args(args) => First::Args(args.into_iter()),
            Source::File(path) => First::reader(Box::new(open(&path)?), delimiter, waker),
            Source::Stdin => First::reader(Box::new(io::stdin()), delimiter, waker),
        };
        let mut rest = Vec::new();
        for source in sources {
            rest.push(match source {
                Source::Args(args) => args,
                Source::File(path) => read_all(BufReader::new(open(&path)?), delimiter)?,
                Source::Stdin => read_all(io::stdin().lock(), delimiter)?,
            });
        }
        let first_len = match &first {
            First::Args(args) => Some(args.len() as u64),
            First::Reader { .. } => None,
        };
        Ok(Inputs {
            first,
            odometer: vec![0; rest.len()],
            rest,
            current: None,
            first_len,
            blocks: None,
            block: None,
        })
    }

    /// `--pipe`: a job per block of `blocks`, with no argument.
    pub(crate) fn pipe(blocks: Blocks) -> Inputs {
        Inputs {
            first: First::Args(Vec::new().into_iter()),
            rest: Vec::new(),
            current: None,
            odometer: Vec::new(),
            first_len: None,
            blocks: Some(blocks),
            block: None,
        }
    }

    /// `--pipe`: the block of the job [`next`](Inputs::next) gave last.
    pub(crate) fn take_block(&mut self) -> Option<Block> {
        self.block.take()
    }

    /// `--pipe`: the error stdin was read with, once.
    pub(crate) fn take_error(&mut self) -> Option<io::Error> {
        self.blocks.as_mut().and_then(Blocks::take_error)
    }

    /// How many input sources there are.
    pub(crate) fn sources(&self) -> usize {
        1 + self.rest.len()
    }

    /// The next combination if one is at hand, without waiting.
    pub(crate) fn next(&mut self) -> Option<Vec<OsString>> {
        if let Some(blocks) = &mut self.blocks {
            self.block = Some(blocks.next()?);
            return Some(Vec::new());
        }
        if self.rest.iter().any(Vec::is_empty) {
            return None;
        }
        if self.current.is_none() {
            self.current = Some(self.first.next()?);
        }
        let mut args = Vec::with_capacity(self.sources());
        args.extend(self.current.clone());
        for (source, &index) in self.rest.iter().zip(&self.odometer) {
            args.push(source[index].clone());
        }
        // Advance: the last source fastest.
        let mut wrapped = true;
        for (index, source) in self.odometer.iter_mut().zip(&self.rest).rev() {
            *index += 1;
            if *index < source.len() {
                wrapped = false;
                break;
            }
            *index = 0;
        }
        if wrapped {
            self.current = None;
        }
        Some(args)
    }

    /// Waits for a streamed source to give an argument (kept for
    /// [`next`](Inputs::next)) or to end.
    pub(crate) fn wait(&mut self) {
        if let Some(blocks) = &mut self.blocks {
            return blocks.wait();
        }
        if let First::Reader {
            lines,
            ahead,
            read,
            ended: ended @ false,
        } = &mut self.first
        {
            match lines.recv() {
                Ok(line) => {
                    *read += 1;
                    ahead.push_back(line);
                }
                Err(RecvError) => {
                    *ended = true;
                    self.first_len = Some(*read);
                }
            }
        }
    }

    /// True when every combination was handed out.
    pub(crate) fn is_exhausted(&mut self) -> bool {
        if let Some(blocks) = &mut self.blocks {
            return blocks.is_exhausted();
        }
        if self.rest.iter().any(Vec::is_empty) {
            return true;
        }
        self.current.is_none() && self.first.is_exhausted(&mut self.first_len)
    }

    /// How many combinations there are in all, once known.
    pub(crate) fn total(&self) -> Option<u64> {
        if let Some(blocks) = &self.blocks {
            return blocks.total();
        }
        let product: u64 = self.rest.iter().map(|r| r.len() as u64).product();
        self.first_len.map(|first| first * product)
    }
}

impl First {
    /// Reads `input` on a thread of its own, waking the reactor at each
    /// argument and at the end.
    fn reader(input: Box<dyn Read + Send>, delimiter: u8, waker: Waker) -> First {
        let (sender, lines) = mpsc::sync_channel(READ_AHEAD);
        std::thread::spawn(move || {
            for line in BufReader::new(input).split(delimiter) {
                let Ok(line) = line else { break };
                if sender.send(OsString::from_vec(line)).is_err() {
                    break;
                }
                waker.wake();
            }
            drop(sender);
            waker.wake();
        });
        First::Reader {
            lines,
            ahead: VecDeque::new(),
            read: 0,
            ended: false,
        }
    }

    fn next(&mut self) -> Option<OsString> {
        match self {
            First::Args(args) => args.next(),
            First::Reader {
                lines,
                ahead,
                read,
                ended,
            } => ahead.pop_front().or_else(|| match lines.try_recv() {
                Ok(line) => {
                    *read += 1;
                    Some(line)
                }
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => {
                    *ended = true;
                    None
                }
            }),
        }
    }

    fn is_exhausted(&mut self, len: &mut Option<u64>) -> bool {
        match self {
            First::Args(args) => args.len() == 0,
            First::Reader {
                lines,
                ahead,
                read,
                ended,
            } => {
                if !*ended && ahead.is_empty() {
                    match lines.try_recv() {
                        Ok(line) => {
                            *read += 1;
                            ahead.push_back(line);
                        }
                        Err(TryRecvError::Empty) => {}
                        Err(TryRecvError::Disconnected) => *ended = true,
                    }
                }
                if *ended {
                    *len = Some(*read);
                }
                *ended && ahead.is_empty()
            }
        }
    }
}

fn open(path: &PathBuf) -> io::Result<File> {
    File::open(path).map_err(|err| {
        io::Error::new(
            err.kind(),
            format!("cannot open input file {}: {err}", path.display()),
        )
    })
}

fn read_all(input: impl BufRead, delimiter: u8) -> io::Result<Vec<OsString>> {
    input
        .split(delimiter)
        .map(|line| line.map(OsString::from_vec))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A waker of a reactor that is gone: waking it does nothing.
    fn waker() -> Waker {
        procpump::Reactor::new().unwrap().waker()
    }

    fn args(words: &[&str]) -> Source {
        Source::Args(words.iter().map(OsString::from).collect())
    }

    #[test]
    fn the_last_source_varies_fastest() {
        let sources = vec![args(&["a", "b"]), args(&["1", "2", "3"]), args(&["x"])];
        let mut inputs = Inputs::open(sources, false, waker()).unwrap();
        assert_eq!(inputs.total(), Some(6));
        let mut all = Vec::new();
        while let Some(combination) = inputs.next() {
            all.push(combination.join(OsString::from("").as_os_str()));
        }
        assert_eq!(all, ["a1x", "a2x", "a3x", "b1x", "b2x", "b3x"]);
        assert!(inputs.is_exhausted());
    }

    #[test]
    fn an_empty_source_gives_nothing() {
        let mut inputs = Inputs::open(vec![args(&["a"]), args(&[])], false, waker()).unwrap();
        assert_eq!(inputs.next(), None);
        assert!(inputs.is_exhausted());
        assert_eq!(inputs.total(), Some(0));
    }
}
