//! Benchmark helpers shared by the binaries of this package: byte-size
//! parsing, the one-line report that every drain reader prints, and small
//! statistics (here); the peer runners' command line and result line
//! ([`peer`]); delivery latency across processes ([`latency`]); and
//! measuring a process from outside ([`measure`]).
//!
//! The binaries: `emit` and `tick` are the children; `drain-threads` and
//! `compare-drain` compare procpump's `drain` example with a
//! thread-per-pipe reader; `peer-*` run one peer on one scenario and
//! `bench-peers` runs them all, alternately, and prints the tables of
//! `docs/BENCHMARKS.md`.

use std::ffi::OsStr;
use std::fmt;

pub mod latency;
pub mod measure;
pub mod peer;

/// One MiB, the chunk size `emit` writes with and the unit RSS is shown in.
pub const MIB: u64 = 1 << 20;

/// Parses a byte count such as `4096`, `64K`, `1M` or `4G`.
///
/// Suffixes `K`, `M`, `G` and `T` (either case) are powers of 1024. An
/// optional trailing `B` or `iB` is accepted (`4GiB`, `4GB`, both mean
/// 4 × 1024³).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let upper = trimmed.to_ascii_uppercase();
    let body = upper
        .strip_suffix("IB")
        .or_else(|| upper.strip_suffix('B'))
        .unwrap_or(&upper);
    let (digits, shift) = match body.chars().last() {
        Some('K') => (&body[..body.len() - 1], 10),
        Some('M') => (&body[..body.len() - 1], 20),
        Some('G') => (&body[..body.len() - 1], 30),
        Some('T') => (&body[..body.len() - 1], 40),
        _ => (body, 0),
    };
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("invalid size {text:?}: expected e.g. 4096, 64K, 1M or 4G"))?;
    number
        .checked_mul(1u64 << shift)
        .ok_or_else(|| format!("size {text:?} does not fit in 64 bits"))
}

/// How the measured program's child ended, as printed in `status=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChildStatus {
    /// The child exited with this code.
    Code(i32),
    /// The child was killed by this signal.
    Signal(i32),
}

impl ChildStatus {
    /// Converts a std exit status; `None` if it is neither a code nor a signal.
    pub fn from_exit_status(status: std::process::ExitStatus) -> Option<Self> {
        use std::os::unix::process::ExitStatusExt;
        status
            .code()
            .map(Self::Code)
            .or_else(|| status.signal().map(Self::Signal))
    }

    /// Parses `0`, `1`, … or `signal:9`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parsed = match text.strip_prefix("signal:") {
            Some(sig) => sig.parse().map(Self::Signal),
            None => text.parse().map(Self::Code),
        };
        parsed.map_err(|_| format!("invalid status {text:?}: expected a code or signal:N"))
    }

    /// True for a clean `exit(0)`.
    pub fn is_success(&self) -> bool {
        *self == Self::Code(0)
    }
}

impl fmt::Display for ChildStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Code(code) => write!(f, "{code}"),
            Self::Signal(sig) => write!(f, "signal:{sig}"),
        }
    }
}

/// The single line a drain reader prints:
/// `stdout_bytes=N stderr_bytes=N stdin_bytes=N status=S seconds=F`.
#[derive(Debug, Clone, PartialEq)]
pub struct DrainReport {
    /// Bytes read from the child's stdout.
    pub stdout_bytes: u64,
    /// Bytes read from the child's stderr.
    pub stderr_bytes: u64,
    /// Bytes written into the child's stdin.
    pub stdin_bytes: u64,
    /// How the child ended.
    pub status: ChildStatus,
    /// Wall seconds from spawn to the end, as measured by the reader.
    pub seconds: f64,
}

impl DrainReport {
    /// Parses the report line; the five keys may come in any order, other
    /// `key=value` tokens are ignored, and every one of the five is required.
    pub fn parse(line: &str) -> Result<Self, String> {
        let field = |key: &str| -> Result<&str, String> {
            line.split_whitespace()
                .find_map(|token| token.strip_prefix(key)?.strip_prefix('='))
                .ok_or_else(|| format!("report line lacks `{key}=`: {line:?}"))
        };
        let number = |key: &str| -> Result<u64, String> {
            let value = field(key)?;
            value
                .parse()
                .map_err(|_| format!("`{key}={value}` is not a byte count in {line:?}"))
        };
        let seconds_text = field("seconds")?;
        let seconds = seconds_text
            .parse()
            .map_err(|_| format!("`seconds={seconds_text}` is not a number in {line:?}"))?;
        Ok(Self {
            stdout_bytes: number("stdout_bytes")?,
            stderr_bytes: number("stderr_bytes")?,
            stdin_bytes: number("stdin_bytes")?,
            status: ChildStatus::parse(field("status")?)?,
            seconds,
        })
    }
}

impl fmt::Display for DrainReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "stdout_bytes={} stderr_bytes={} stdin_bytes={} status={} seconds={:.3}",
            self.stdout_bytes, self.stderr_bytes, self.stdin_bytes, self.status, self.seconds
        )
    }
}

/// Median of the values (mean of the middle two for an even count);
/// `None` for an empty slice.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// Smallest and largest value; `None` for an empty slice.
pub fn min_max(values: &[f64]) -> Option<(f64, f64)> {
    let first = *values.first()?;
    Some(
        values
            .iter()
            .fold((first, first), |(lo, hi), &v| (lo.min(v), hi.max(v))),
    )
}

/// Quotes `arg` for a POSIX shell when it needs it (for the command lines
/// that reproduce a run).
pub fn shell_quote(arg: &OsStr) -> String {
    let text = arg.to_string_lossy();
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("1m"), Ok(1 << 20));
        assert_eq!(parse_size("4G"), Ok(4 << 30));
        assert_eq!(parse_size("4GiB"), Ok(4 << 30));
        assert_eq!(parse_size("2GB"), Ok(2 << 30));
        assert!(parse_size("").is_err());
        assert!(parse_size("G").is_err());
        assert!(parse_size("1.5G").is_err());
        assert!(parse_size("99999999999T").is_err());
    }

    #[test]
    fn report_round_trip() {
        let line = "stdout_bytes=10 stderr_bytes=2 stdin_bytes=0 status=signal:9 seconds=1.250";
        let report = DrainReport::parse(line).unwrap();
        assert_eq!(report.stdout_bytes, 10);
        assert_eq!(report.status, ChildStatus::Signal(9));
        assert_eq!(report.to_string(), line);
        assert!(DrainReport::parse("stdout_bytes=1 status=0 seconds=1").is_err());
    }

    #[test]
    fn statistics() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(min_max(&[3.0, 1.0, 2.0]), Some((1.0, 3.0)));
    }
}
