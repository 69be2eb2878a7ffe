//! `--joblog FILE`, GNU parallel's job log: a header, then one
//! tab-separated line per job (its last run, with `--retries`), written
//! when it ends (`--joblog -`: on stdout, among the jobs' lines); and
//! `--resume`/`--resume-failed`, which read it back.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::console::Console;

/// The `--joblog` path that means fanout's stdout.
pub(crate) const STDOUT: &str = "-";

/// `--resume` and `--resume-failed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Resume {
    No,
    /// Skip every job the log lists.
    All,
    /// Skip the jobs the log lists as succeeded.
    Failed,
}

/// The header, GNU parallel's.
pub(crate) const HEADER: &str =
    "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n";

/// One job's line.
#[derive(Debug)]
pub(crate) struct Entry<'a> {
    pub(crate) seq: u64,
    /// Where it ran (`:`: here).
    pub(crate) host: &'a str,
    pub(crate) start: SystemTime,
    pub(crate) runtime: Duration,
    /// Bytes the job wrote to stdout.
    pub(crate) received: u64,
    /// The exit code; 0 when killed by a signal; -1 when fanout stopped it
    /// (timeout, halt, Ctrl-C) or it could not start.
    pub(crate) exitval: i32,
    pub(crate) signal: i32,
    /// The command after substitution.
    pub(crate) command: &'a OsStr,
}

/// The open job log: a file, or fanout's stdout (`--joblog -`).
pub(crate) struct JobLog {
    out: Box<dyn Write + Send>,
}

impl JobLog {
    /// Opens `path` (`-`: the log goes to `stdout`, after its header).
    /// With `resume`, an existing log is read (returning the numbers of
    /// the jobs to skip) and appended to; otherwise it is created anew,
    /// with the header.
    ///
    /// # Errors
    ///
    /// The log cannot be read, created or written; the path is named.
    pub(crate) fn open(
        path: &Path,
        resume: Resume,
        stdout: &Console,
    ) -> io::Result<(JobLog, HashSet<u64>)> {
        if path == Path::new(STDOUT) {
            let mut out = stdout.clone();
            out.write_all(HEADER.as_bytes())?;
            let log = JobLog { out: Box::new(out) };
            return Ok((log, HashSet::new()));
        }
        if let Some(path) = path.as_os_str().as_bytes().strip_prefix(b"+") {
            return JobLog::append(Path::new(OsStr::from_bytes(path)), resume);
        }
        let named = |err: io::Error| {
            io::Error::new(err.kind(), format!("joblog {}: {err}", path.display()))
        };
        let mut skip = HashSet::new();
        let existing = resume != Resume::No && path.exists();
        if existing {
            let reader = BufReader::new(File::open(path).map_err(named)?);
            skip = done(reader, resume).map_err(named)?;
        }
        let mut options = OpenOptions::new();
        if existing {
            options.append(true);
        } else {
            options.write(true).create(true).truncate(true);
        }
        let mut file = options.open(path).map_err(named)?;
        if !existing {
            file.write_all(HEADER.as_bytes()).map_err(named)?;
        }
        Ok((
            JobLog {
                out: Box::new(file),
            },
            skip,
        ))
    }

    /// `--joblog +FILE`: the lines appended to FILE, made if need be, with
    /// no header (as GNU parallel); with `resume`, FILE is read first.
    fn append(path: &Path, resume: Resume) -> io::Result<(JobLog, HashSet<u64>)> {
        let named = |err: io::Error| {
            io::Error::new(err.kind(), format!("joblog +{}: {err}", path.display()))
        };
        let mut skip = HashSet::new();
        if resume != Resume::No && path.exists() {
            let reader = BufReader::new(File::open(path).map_err(named)?);
            skip = done(reader, resume).map_err(named)?;
        }
        let file = OpenOptions::new().append(true).create(true).open(path);
        let out = Box::new(file.map_err(named)?);
        Ok((JobLog { out }, skip))
    }

    /// Appends one job's line (one write, so that a killed fanout leaves
    /// whole lines only).
    ///
    /// # Errors
    ///
    /// Writing failed.
    pub(crate) fn write(&mut self, entry: &Entry<'_>) -> io::Result<()> {
        self.out.write_all(&line(entry))
    }
}

/// An entry as GNU parallel writes it.
pub(crate) fn line(entry: &Entry<'_>) -> Vec<u8> {
    let start = entry
        .start
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let mut line = format!(
        "{}\t{}\t{start:.3}\t{:10.3}\t0\t{}\t{}\t{}\t",
        entry.seq,
        entry.host,
        entry.runtime.as_secs_f64(),
        entry.received,
        entry.exitval,
        entry.signal,
    )
    .into_bytes();
    line.extend_from_slice(entry.command.as_bytes());
    line.push(b'\n');
    line
}

/// `--retry-failed`: the commands of the log at `path` (`+` in front:
/// the same file), by job number from 1 (the last line of a number
/// wins; a number the log does not list gets an empty command).
///
/// # Errors
///
/// The log cannot be read; the path is named.
pub(crate) fn commands(path: &Path) -> io::Result<Vec<std::ffi::OsString>> {
    let bytes = path.as_os_str().as_bytes();
    let path = Path::new(OsStr::from_bytes(bytes.strip_prefix(b"+").unwrap_or(bytes)));
    let named =
        |err: io::Error| io::Error::new(err.kind(), format!("joblog {}: {err}", path.display()));
    let reader = BufReader::new(File::open(path).map_err(named)?);
    let mut commands = Vec::new();
    for line in reader.split(b'\n') {
        let line = line.map_err(named)?;
        let fields: Vec<&[u8]> = line.splitn(9, |&b| b == b'\t').collect();
        let seq = std::str::from_utf8(fields[0])
            .ok()
            .and_then(|s| s.trim().parse().ok());
        let (Some(seq @ 1..), Some(command)) = (seq, fields.get(8)) else {
            continue; // the header, or a line cut short
        };
        let index = usize::try_from(seq - 1).unwrap_or(usize::MAX);
        if index >= commands.len() {
            commands.resize(index + 1, std::ffi::OsString::new());
        }
        commands[index] = OsStr::from_bytes(command).to_owned();
    }
    Ok(commands)
}

/// The jobs a log shows as done: all it lists (`--resume`), or those that
/// succeeded (`--resume-failed`).
fn done(reader: impl BufRead, resume: Resume) -> io::Result<HashSet<u64>> {
    let mut done = HashSet::new();
    for line in reader.split(b'\n') {
        let line = line?;
        let fields: Vec<&[u8]> = line.splitn(9, |&b| b == b'\t').collect();
        let number = |i: usize| -> Option<i64> {
            std::str::from_utf8(fields.get(i)?)
                .ok()?
                .trim()
                .parse()
                .ok()
        };
        let (Some(seq), Some(exitval), Some(signal)) = (number(0), number(6), number(7)) else {
            continue; // the header, or a line cut short
        };
        if resume == Resume::All || (exitval == 0 && signal == 0) {
            done.insert(seq as u64);
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_as_gnu_parallel_writes_it() {
        let entry = Entry {
            seq: 3,
            host: ":",
            start: UNIX_EPOCH + Duration::from_millis(1_795_982_747_141),
            runtime: Duration::from_millis(1894),
            received: 2,
            exitval: -1,
            signal: 15,
            command: OsStr::new("sleep 3"),
        };
        assert_eq!(
            String::from_utf8(line(&entry)).unwrap(),
            "3\t:\t1795982747.141\t     1.894\t0\t2\t-1\t15\tsleep 3\n"
        );
    }

    #[test]
    fn resume_reads_what_was_done() {
        let log = format!(
            "{HEADER}1\t:\t1.0\t 0.1\t0\t0\t0\t0\ttrue\n\
             2\t:\t1.0\t 0.1\t0\t0\t1\t0\tfalse\n\
             3\t:\t1.0\t 0.1\t0\t0\t0\t9\tkill\n4\t:\t1."
        );
        let all = done(log.as_bytes(), Resume::All).unwrap();
        assert_eq!(all, HashSet::from([1, 2, 3]));
        let ok = done(log.as_bytes(), Resume::Failed).unwrap();
        assert_eq!(ok, HashSet::from([1]));
    }
}
