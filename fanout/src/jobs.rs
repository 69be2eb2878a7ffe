//! `-j`, `--jobs`: how many jobs run at once, in GNU parallel's forms: `N`,
//! `N%` of the CPUs, `+N` and `-N` (the CPUs plus or minus N), `0` (as many
//! as fanout can keep open), or a FILE holding one of these, read again
//! when a job ends.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::values::number;

/// What `-j` was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Jobs {
    /// A number of job slots (at least 1).
    Count(usize),
    /// A file holding a `-j` value, read again when a job ends.
    File(PathBuf),
}

/// The slots of `-j 0` per open file fanout may have: each job holds two
/// pipes, and held output may need a file more.
const FILES_PER_JOB: usize = 4;

/// The most slots `-j 0` gives, whatever the open-file limit.
const MOST_FOR_ZERO: usize = 1 << 16;

/// Parses a `-j` value for `option`, with `cpus` CPUs: a number form, else
/// an existing file.
///
/// # Errors
///
/// Neither a number form nor a file: a message naming the option and the
/// value.
pub(crate) fn parse(option: &str, value: &str, cpus: usize) -> Result<Jobs, String> {
    match count(value, cpus) {
        Some(n) => Ok(Jobs::Count(n)),
        None if Path::new(value).is_file() => Ok(Jobs::File(value.into())),
        None => Err(format!(
            "{option} needs N, N%, +N, -N, 0 or a file holding one of them, not {value:?}"
        )),
    }
}

/// The number a `-j` number form gives with `cpus` CPUs; `None` if `value`
/// is no number form.
pub(crate) fn count(value: &str, cpus: usize) -> Option<usize> {
    let value = value.trim();
    if let Some(percent) = value.strip_suffix('%') {
        let percent: f64 = percent.parse().ok().filter(|p: &f64| *p > 0.0)?;
        return Some(((cpus as f64 * percent / 100.0) as usize).max(1));
    }
    if let Some(more) = value.strip_prefix('+') {
        return Some(cpus + number("", more, 0).ok()?);
    }
    if let Some(fewer) = value.strip_prefix('-') {
        return Some(cpus.saturating_sub(number("", fewer, 0).ok()?).max(1));
    }
    match number("", value, 0).ok()? {
        0 => Some(as_many_as_possible()),
        n => Some(n),
    }
}

/// `-j 0`: as many jobs as the open-file limit (which fanout raises to its
/// hard limit) leaves room for.
fn as_many_as_possible() -> usize {
    use rustix::process::{getrlimit, Resource};
    let limit = getrlimit(Resource::Nofile).maximum.unwrap_or(u64::MAX);
    let jobs = usize::try_from(limit).unwrap_or(usize::MAX) / FILES_PER_JOB;
    jobs.clamp(1, MOST_FOR_ZERO)
}

/// This machine's CPUs, as `-j N%`, `+N` and `-N` count them.
pub(crate) fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `-j FILE`: the file and what it last said.
#[derive(Debug)]
pub(crate) struct JobsFile {
    path: PathBuf,
    modified: Option<SystemTime>,
    cpus: usize,
}

impl JobsFile {
    /// Follows `path`, whose value is relative to this machine's CPUs.
    pub(crate) fn new(path: PathBuf) -> JobsFile {
        JobsFile::with_cpus(path, cpus())
    }

    fn with_cpus(path: PathBuf, cpus: usize) -> JobsFile {
        JobsFile {
            path,
            modified: None,
            cpus,
        }
    }

    /// The file's value if it changed since the last look (and reads as a
    /// `-j` number form); `None` otherwise: the last value stays.
    pub(crate) fn changed(&mut self) -> Option<usize> {
        let modified = std::fs::metadata(&self.path).ok()?.modified().ok();
        if modified.is_some() && modified == self.modified {
            return None;
        }
        self.modified = modified;
        count(&std::fs::read_to_string(&self.path).ok()?, self.cpus)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_number_forms_as_gnu_parallel() {
        assert_eq!(count("3", 4), Some(3));
        assert_eq!(count("50%", 4), Some(2));
        assert_eq!(count("1%", 4), Some(1));
        assert_eq!(count("250%", 4), Some(10));
        assert_eq!(count("+2", 4), Some(6));
        assert_eq!(count("-1", 4), Some(3));
        assert_eq!(count("-9", 4), Some(1));
        assert_eq!(count(" 7\n", 4), Some(7));
        assert!(count("0", 4).unwrap() >= 1);
        for bad in ["", "x", "0%", "-x", "+", "1.5"] {
            assert_eq!(count(bad, 4), None, "{bad:?}");
        }
    }

    #[test]
    fn a_file_is_read_again_when_it_changed() {
        let path = std::env::temp_dir().join(format!("fanout-jobs-{}", std::process::id()));
        std::fs::write(&path, "+1\n").unwrap();
        assert_eq!(
            parse("-j", path.to_str().unwrap(), 2),
            Ok(Jobs::File(path.clone()))
        );
        let mut file = JobsFile::with_cpus(path.clone(), 2);
        assert_eq!(file.changed(), Some(3));
        assert_eq!(file.changed(), None);
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&path, "5").unwrap();
        assert_eq!(file.changed(), Some(5));
        std::fs::remove_file(&path).unwrap();
        assert!(parse("-j", "no-such-file", 2)
            .unwrap_err()
            .contains("\"no-such-file\""));
    }
}
