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
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvError, TryRecvError};

use procpump::Waker;

use crate::args::batch::Batcher;
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

/// How arguments are read from the sources.
#[derive(Clone, Debug)]
pub(crate) struct Reading {
    /// What ends an argument in a file or stdin (`\n`; `-0`: NUL; `-d`).
    pub(crate) delimiter: Vec<u8>,
    /// `-E`: the argument that ends a source, it and the rest unread.
    pub(crate) eof: Option<OsString>,
    /// `-r`: blank arguments are skipped.
    pub(crate) skip_blank: bool,
    /// `--link`, `:::+`: sources linked (then all are read whole).
    pub(crate) links: crate::linked::Links,
    /// `--colsep REGEX`: each argument split into columns.
    pub(crate) colsep: Option<regex::bytes::Regex>,
}

impl Reading {
    /// Whether `arg` ends its source (`-E`).
    fn ends(&self, arg: &OsString) -> bool {
        self.eof.as_ref() == Some(arg)
    }

    /// Whether `arg` is kept (`-r` skips blank ones).
    fn keeps(&self, arg: &OsString) -> bool {
        !self.skip_blank || !arg.as_bytes().iter().all(u8::is_ascii_whitespace)
    }

    /// `args` up to the `-E` argument, without the blank ones of `-r`.
    fn filter(&self, args: Vec<OsString>) -> Vec<OsString> {
        args.into_iter()
            .take_while(|arg| !self.ends(arg))
            .filter(|arg| self.keeps(arg))
            .collect()
    }
}

/// The first source, handed out as it comes.
enum First {
    Args(std::vec::IntoIter<OsString>),
    /// Linked sources: every job's arguments, made at the start.
    Rows(std::vec::IntoIter<Vec<OsString>>),
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
    /// `-n`, `-X`…: several combinations a job.
    batcher: Option<Batcher>,
    /// How many input sources there are.
    sources: usize,
    /// `--colsep`.
    colsep: Option<regex::bytes::Regex>,
}

impl Inputs {
    /// Opens the sources (stdin when there is none), read as `reading`
    /// says.
    ///
    /// # Errors
    ///
    /// A file that cannot be opened or read, named.
    pub(crate) fn open(
        sources: Vec<Source>,
        reading: &Reading,
        waker: Waker,
    ) -> io::Result<Inputs> {
        if reading.links.any() {
            return Inputs::linked(sources, reading);
        }
        let mut sources = sources.into_iter();
        let first = match sources.next().unwrap_or(Source::Stdin) {
            Source::Args(args) => First::Args(reading.filter(args).into_iter()),
            Source::File(path) => First::reader(Box::new(open(&path)?), reading.clone(), waker),
            Source::Stdin => First::reader(Box::new(io::stdin()), reading.clone(), waker),
        };
        let mut rest = Vec::new();
        for source in sources {
            let args = match source {
                Source::Args(args) => args,
                Source::File(path) => read_all(BufReader::new(open(&path)?), reading)?,
                Source::Stdin => read_all(io::stdin().lock(), reading)?,
            };
            rest.push(reading.filter(args));
        }
        let mut inputs = Inputs::of(first, rest);
        inputs.colsep = reading.colsep.clone();
        Ok(inputs)
    }

    fn of(first: First, rest: Vec<Vec<OsString>>) -> Inputs {
        let first_len = match &first {
            First::Args(args) => Some(args.len() as u64),
            First::Rows(rows) => Some(rows.len() as u64),
            First::Reader { .. } => None,
        };
        Inputs {
            first,
            odometer: vec![0; rest.len()],
            sources: 1 + rest.len(),
            rest,
            current: None,
            first_len,
            blocks: None,
            block: None,
            batcher: None,
            colsep: None,
        }
    }

    /// Linked sources (`--link`, `:::+`), each read whole.
    fn linked(sources: Vec<Source>, reading: &Reading) -> io::Result<Inputs> {
        let mut whole = Vec::new();
        for source in sources {
            let args = match source {
                Source::Args(args) => args,
                Source::File(path) => read_all(BufReader::new(open(&path)?), reading)?,
                Source::Stdin => read_all(io::stdin().lock(), reading)?,
            };
            whole.push(reading.filter(args));
        }
        let sources = whole.len();
        let rows = crate::linked::rows(whole, &reading.links);
        let mut inputs = Inputs::of(First::Rows(rows.into_iter()), Vec::new());
        inputs.sources = sources;
        inputs.colsep = reading.colsep.clone();
        Ok(inputs)
    }

    /// Groups the combinations into jobs with `batcher` (`-n`, `-X`…).
    pub(crate) fn group(&mut self, batcher: Option<Batcher>) {
        self.batcher = batcher;
    }

    /// Why the input stopped early: a record too long for the command
    /// line's limit.
    pub(crate) fn error(&self) -> Option<&str> {
        self.batcher.as_ref().and_then(Batcher::error)
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
            batcher: None,
            sources: 1,
            colsep: None,
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
        self.sources
    }

    /// The next job's arguments if at hand, without waiting: a
    /// combination, or several ([`group`](Inputs::group)).
    pub(crate) fn next(&mut self) -> Option<Vec<OsString>> {
        if let Some(blocks) = &mut self.blocks {
            self.block = Some(blocks.next()?);
            return Some(Vec::new());
        }
        let Some(mut batcher) = self.batcher.take() else {
            return self.combination();
        };
        let job = {
            let this = std::cell::RefCell::new(&mut *self);
            batcher.next(&mut || this.borrow_mut().combination(), &mut || {
                this.borrow_mut().rows_exhausted()
            })
        };
        self.batcher = Some(batcher);
        job
    }

    /// The next combination if one is at hand, without waiting, each
    /// argument split into columns with `--colsep`.
    fn combination(&mut self) -> Option<Vec<OsString>> {
        let row = self.row()?;
        let Some(colsep) = &self.colsep else {
            return Some(row);
        };
        let columns = row.iter().flat_map(|arg| {
            colsep
                .split(arg.as_bytes())
                .map(|column| OsString::from_vec(column.to_vec()))
        });
        Some(columns.collect())
    }

    /// The next combination if one is at hand, without waiting.
    fn row(&mut self) -> Option<Vec<OsString>> {
        if let First::Rows(rows) = &mut self.first {
            return rows.next();
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

    /// True when every job was handed out (or the input stopped on an
    /// error).
    pub(crate) fn is_exhausted(&mut self) -> bool {
        if let Some(blocks) = &mut self.blocks {
            return blocks.is_exhausted();
        }
        match &self.batcher {
            Some(batcher) if batcher.error().is_some() => true,
            Some(batcher) if batcher.is_holding() => false,
            _ => self.rows_exhausted(),
        }
    }

    /// True when every combination was read.
    fn rows_exhausted(&mut self) -> bool {
        if self.rest.iter().any(Vec::is_empty) {
            return true;
        }
        self.current.is_none() && self.first.is_exhausted(&mut self.first_len)
    }

    /// How many jobs there are in all, once known.
    pub(crate) fn total(&self) -> Option<u64> {
        if let Some(blocks) = &self.blocks {
            return blocks.total();
        }
        let product: u64 = self.rest.iter().map(|r| r.len() as u64).product();
        let combinations = self.first_len.map(|first| first * product)?;
        match &self.batcher {
            Some(batcher) => batcher.total(combinations),
            None => Some(combinations),
        }
    }
}

impl First {
    /// Reads `input` on a thread of its own, waking the reactor at each
    /// argument and at the end.
    fn reader(input: Box<dyn Read + Send>, reading: Reading, waker: Waker) -> First {
        let (sender, lines) = mpsc::sync_channel(READ_AHEAD);
        std::thread::spawn(move || {
            let mut input = BufReader::new(input);
            while let Some(Ok(line)) = record(&mut input, &reading.delimiter) {
                if reading.ends(&line) {
                    break;
                }
                if !reading.keeps(&line) {
                    continue;
                }
                if sender.send(line).is_err() {
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
            First::Rows(_) => unreachable!("linked rows are taken whole"),
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
            First::Rows(rows) => rows.len() == 0,
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

fn read_all(mut input: impl BufRead, reading: &Reading) -> io::Result<Vec<OsString>> {
    let mut all = Vec::new();
    while let Some(line) = record(&mut input, &reading.delimiter) {
        let line = line?;
        if reading.ends(&line) {
            break;
        }
        all.push(line);
    }
    Ok(all)
}

/// The next record of `input`, without its `delimiter` (one byte or
/// more); `None` at the end.
fn record(input: &mut impl BufRead, delimiter: &[u8]) -> Option<io::Result<OsString>> {
    let last = *delimiter.last()?;
    let mut record = Vec::new();
    loop {
        match input.read_until(last, &mut record) {
            Err(err) => return Some(Err(err)),
            Ok(0) if record.is_empty() => return None,
            Ok(0) => return Some(Ok(OsString::from_vec(record))),
            Ok(_) => {}
        }
        if record.ends_with(delimiter) {
            record.truncate(record.len() - delimiter.len());
            return Some(Ok(OsString::from_vec(record)));
        }
        if !record.ends_with(&[last]) {
            return Some(Ok(OsString::from_vec(record)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A waker of a reactor that is gone: waking it does nothing.
    fn waker() -> Waker {
        procpump::Reactor::new().unwrap().waker()
    }

    fn lines() -> Reading {
        Reading {
            delimiter: b"\n".to_vec(),
            eof: None,
            skip_blank: false,
            links: crate::linked::Links::default(),
            colsep: None,
        }
    }

    fn args(words: &[&str]) -> Source {
        Source::Args(words.iter().map(OsString::from).collect())
    }

    #[test]
    fn the_last_source_varies_fastest() {
        let sources = vec![args(&["a", "b"]), args(&["1", "2", "3"]), args(&["x"])];
        let mut inputs = Inputs::open(sources, &lines(), waker()).unwrap();
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
        let mut inputs = Inputs::open(vec![args(&["a"]), args(&[])], &lines(), waker()).unwrap();
        assert_eq!(inputs.next(), None);
        assert!(inputs.is_exhausted());
        assert_eq!(inputs.total(), Some(0));
    }
}
