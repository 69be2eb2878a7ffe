//! Several input lines (records) a job, as GNU parallel groups them: up to
//! `-n`/`-N`/`-L` records, or with `-m`/`-X`/`--xargs` as many as keep
//! the command line below the length limit; at the end of the input `-m`
//! and `-X` spread the last records over the job slots. The command's
//! length is measured as records are added (`Measure`), never expanded
//! again, so that a job of 30,000 arguments costs no more than them.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use crate::context::words;
use crate::template::{apply, Part, Template, Transform};

/// The length of a template's expansion, as arguments are added.
#[derive(Clone, Debug, Default)]
pub(crate) struct Measure {
    /// What does not depend on the arguments.
    base: usize,
    /// The places that take all the arguments, space-separated: one
    /// space fewer than arguments each.
    groups: usize,
    /// Bytes each argument adds besides itself (its space, a repeated
    /// word's text).
    per_arg: usize,
    /// How each argument is put in, once per place.
    each: Vec<Transform>,
    /// `{N}`: one argument, once.
    positional: Vec<(usize, Transform)>,
    /// Arguments are quoted (false: they are commands themselves).
    quote: bool,
}

impl Measure {
    /// The measure of `template`'s commands; `None`: each argument is a
    /// command line, the arguments joined by spaces.
    pub(crate) fn of(template: Option<&Template>) -> Measure {
        let Some(template) = template else {
            return Measure {
                groups: 1,
                per_arg: 1,
                each: vec![Transform::Whole],
                ..Measure::default()
            };
        };
        let mut measure = Measure {
            quote: true,
            ..Measure::default()
        };
        if !template.is_context() {
            template.parts().iter().for_each(|p| measure.add(p, false));
            return measure;
        }
        for (word, repeated) in words(template.parts()) {
            measure.groups += usize::from(repeated);
            measure.per_arg += usize::from(repeated);
            word.iter().for_each(|p| measure.add(p, repeated));
        }
        measure
    }

    fn add(&mut self, part: &Part, repeated: bool) {
        let fixed = match part {
            Part::Literal(bytes) | Part::Blank(bytes) => bytes.len(),
            Part::Seq | Part::Slot => 1,
            Part::Argument(None, transform) => {
                self.each.push(*transform);
                if !repeated {
                    self.groups += 1;
                    self.per_arg += 1;
                }
                0
            }
            Part::Argument(Some(n), transform) => {
                self.positional.push((*n, *transform));
                0
            }
        };
        if repeated {
            self.per_arg += fixed;
        } else {
            self.base += fixed;
        }
    }

    /// The bytes argument number `index` (from 0), `arg`, adds.
    fn cost(&self, index: usize, arg: &[u8]) -> usize {
        let put = |transform: &Transform| {
            let value = apply(*transform, arg);
            match self.quote {
                true => crate::shell::quote(value).len(),
                false => value.len(),
            }
        };
        let positional: usize = self
            .positional
            .iter()
            .filter(|(n, _)| *n == index)
            .map(|(_, t)| put(t))
            .sum();
        self.per_arg + self.each.iter().map(put).sum::<usize>() + positional
    }
}

/// How records are grouped into jobs.
#[derive(Clone, Debug)]
pub(crate) struct Grouping {
    /// The most records a job (`usize::MAX`: the length decides).
    pub(crate) most: usize,
    /// `-N 0`: a job per record, none of it put in.
    pub(crate) drop_args: bool,
    /// `-m`, `-X`: spread the last records over this many job slots.
    pub(crate) spread_over: Option<usize>,
    /// A command line must be shorter than this.
    pub(crate) limit: usize,
    /// Whether the limit is `-s`'s (for the message).
    pub(crate) from_option: bool,
}

/// Records grouped into jobs as they come.
#[derive(Debug)]
pub(crate) struct Batcher {
    grouping: Grouping,
    measure: Measure,
    /// Records read but put back (after a spread, or one that did not
    /// fit), first in line.
    queue: VecDeque<Vec<OsString>>,
    /// The job being filled.
    rows: Vec<Vec<OsString>>,
    args: usize,
    length: usize,
    /// Records read so far.
    read: u64,
    error: Option<String>,
}

impl Batcher {
    pub(crate) fn new(grouping: Grouping, measure: Measure) -> Batcher {
        Batcher {
            grouping,
            measure,
            queue: VecDeque::new(),
            rows: Vec::new(),
            args: 0,
            length: 0,
            read: 0,
            error: None,
        }
    }

    /// Why grouping stopped: a record too long for the limit.
    pub(crate) fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Whether records wait to be handed out.
    pub(crate) fn is_holding(&self) -> bool {
        !self.rows.is_empty() || !self.queue.is_empty()
    }

    /// The next job's arguments, if at hand: records from `source` (none
    /// at hand for now: `None`), `ended` telling whether it has no more.
    pub(crate) fn next(
        &mut self,
        source: &mut dyn FnMut() -> Option<Vec<OsString>>,
        ended: &mut dyn FnMut() -> bool,
    ) -> Option<Vec<OsString>> {
        let mut job = self.fill(source, ended)?;
        if self.grouping.drop_args {
            job.clear();
        }
        Some(job)
    }

    fn fill(
        &mut self,
        source: &mut dyn FnMut() -> Option<Vec<OsString>>,
        ended: &mut dyn FnMut() -> bool,
    ) -> Option<Vec<OsString>> {
        loop {
            if self.error.is_some() {
                return None;
            }
            if self.rows.len() >= self.grouping.most {
                return Some(self.take());
            }
            let row = match self.queue.pop_front() {
                Some(row) => row,
                None => match source() {
                    Some(row) => {
                        self.read += 1;
                        row
                    }
                    None if self.rows.is_empty() || !ended() => return None,
                    None if self.spread() => continue,
                    None => return Some(self.take()),
                },
            };
            if let Some(job) = self.push(row) {
                return Some(job);
            }
        }
    }

    /// Adds `row` to the job; the job when `row` does not fit (it waits
    /// for the next one).
    fn push(&mut self, row: Vec<OsString>) -> Option<Vec<OsString>> {
        let cost: usize = row
            .iter()
            .enumerate()
            .map(|(i, arg)| self.measure.cost(self.args + i, arg.as_bytes()))
            .sum();
        let length = self.measure.base + self.length + cost - self.measure.groups;
        if length >= self.grouping.limit {
            if !self.rows.is_empty() {
                self.queue.push_front(row);
                return Some(self.take());
            }
            self.error = Some(self.too_long(length, &row));
            return None;
        }
        self.length += cost;
        self.args += row.len();
        self.rows.push(row);
        None
    }

    fn too_long(&self, length: usize, row: &[OsString]) -> String {
        let limit = self.grouping.limit;
        let whose = match self.grouping.from_option {
            true => "-s",
            false => "the system's",
        };
        let args: Vec<_> = row.iter().map(|a| a.to_string_lossy()).collect();
        let mut args = args.join(" ");
        if args.len() > 50 {
            let cut = (0..=50)
                .rev()
                .find(|&i| args.is_char_boundary(i))
                .unwrap_or(0);
            args = format!("{}...", &args[..cut]);
        }
        format!(
            "command line too long ({length} >= {limit}, {whose} limit) at input {}: {args}",
            self.read
        )
    }

    /// At the end of the input, `-m` and `-X` spread the records of the
    /// job being filled over the job slots, once.
    fn spread(&mut self) -> bool {
        let Some(slots) = self.grouping.spread_over.take() else {
            return false;
        };
        if self.rows.len() < 2 {
            return false;
        }
        self.grouping.most = self.rows.len().div_ceil(slots.max(1));
        for row in self.rows.drain(..).rev() {
            self.queue.push_front(row);
        }
        (self.args, self.length) = (0, 0);
        true
    }

    fn take(&mut self) -> Vec<OsString> {
        (self.args, self.length) = (0, 0);
        self.rows.drain(..).flatten().collect()
    }

    /// How many jobs `records` records make, when known.
    pub(crate) fn total(&self, records: u64) -> Option<u64> {
        let most = self.grouping.most;
        let fixed = self.grouping.spread_over.is_none() && most != usize::MAX;
        fixed.then(|| records.div_ceil(most as u64))
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use crate::template::{Syntax, Template};

    use super::*;

    fn groups(template: &str, context: bool, limit: usize, args: &[&str]) -> Vec<String> {
        let syntax = Syntax {
            context,
            ..Syntax::new(usize::MAX, true)
        };
        let template = Template::parse_with(OsStr::new(template), &syntax);
        let grouping = Grouping {
            most: usize::MAX,
            drop_args: false,
            spread_over: None,
            limit,
            from_option: true,
        };
        let mut batcher = Batcher::new(grouping, Measure::of(Some(&template)));
        let mut rows = args.iter().map(|a| vec![OsString::from(a)]);
        let mut jobs = Vec::new();
        while let Some(job) = batcher.next(&mut || rows.next(), &mut || true) {
            let job = crate::template::Job {
                args: &job,
                seq: 1,
                slot: 1,
            };
            jobs.push(template.expand(job, true).into_string().unwrap());
        }
        if let Some(error) = batcher.error() {
            jobs.push(error.to_owned());
        }
        jobs
    }

    #[test]
    fn lines_stay_below_the_limit_as_gnu_parallel() {
        // `parallel -j1 -s 12 -m --dry-run echo ::: 1 2 ... 12`.
        let args: Vec<String> = (1..=12).map(|n| n.to_string()).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(
            groups("echo", false, 12, &args),
            [
                "echo 1 2 3",
                "echo 4 5 6",
                "echo 7 8 9",
                "echo 10 11",
                "echo 12"
            ]
        );
        // `-X echo a{}b`: `echo a1b a2b` is 12 bytes, too long.
        assert_eq!(
            groups("echo a{}b", true, 12, &args[..2]),
            ["echo a1b", "echo a2b"]
        );
        assert_eq!(groups("echo a{}b", true, 13, &args[..2]), ["echo a1b a2b"]);
    }

    #[test]
    fn the_measure_is_the_expansions_length() {
        let args = ["a b", "it's", "x", "", "y.tar"];
        for (template, context) in [
            ("echo {} {.} z", false),
            ("echo a{}b {//}c {1} d", true),
            ("echo {2}{}", false),
        ] {
            for limit in 1..60 {
                for job in groups(template, context, limit, &args) {
                    assert!(
                        job.len() < limit || job.starts_with("command line too long"),
                        "{template} {limit}: {job}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_record_too_long_is_an_error() {
        assert_eq!(
            groups("echo", false, 8, &["a b", "c"]),
            ["command line too long (10 >= 8, -s limit) at input 1: a b"]
        );
    }
}
