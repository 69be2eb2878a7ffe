//! The command line's length limit, as GNU parallel computes it: the
//! longest command the system runs as GNU parallel's search finds it (it
//! stops within 1%, so on Linux 130329 bytes), less 3000 bytes for
//! wrapping, halved (`Global::usable_command_line_length`: 63664); `-s N`
//! below that is the limit instead. A job's command is one argument of
//! `sh -c`, which Linux caps at 128 KiB (`MAX_ARG_STRLEN`, its NUL
//! included), and all arguments and the environment together at a quarter
//! of the stack's limit (`ARG_MAX`).

use rustix::process::{getrlimit, Resource};

/// Linux's cap on one argument, its NUL included.
const MAX_ARG_STRLEN: usize = 128 * 1024;

/// The longest command the system runs: one argument of `sh -c`, in the
/// room the environment leaves.
pub(crate) fn system_max() -> usize {
    let stack = getrlimit(Resource::Stack).current.unwrap_or(u64::MAX);
    let arg_max = usize::try_from(stack / 4)
        .unwrap_or(usize::MAX)
        .max(MAX_ARG_STRLEN);
    let environment: usize = std::env::vars_os()
        .map(|(name, value)| name.len() + value.len() + 2 + size_of::<usize>())
        .sum();
    let room = arg_max.saturating_sub(environment + 2048);
    room.min(MAX_ARG_STRLEN - 1)
}

/// What GNU parallel's search (`Limits::Command::find_max`) finds when
/// the longest command the system runs is `max` bytes: from 324, ×16
/// while it runs, then halving until within 1%.
pub(crate) fn found_max(max: usize) -> usize {
    let runs = |len: usize| len <= max;
    let mut len = 324;
    while runs(len * 16) {
        len *= 16;
    }
    let (mut lower, mut upper) = (len, len * 16);
    while lower + 1 < upper && (lower as f64 / upper as f64) <= 0.99 {
        let middle = lower + (upper - lower) / 2;
        match runs(middle) {
            true => lower = middle,
            false => upper = middle,
        }
    }
    lower
}

/// GNU parallel's usable length: room for its wrapping (3000 bytes),
/// halved for quoting.
pub(crate) fn usable(max: usize) -> usize {
    max.saturating_sub(3000) / 2
}

/// The limit in force: `-s` when given and below the usable length (else
/// the usable length and a warning, as GNU parallel's).
pub(crate) fn limit(max_chars: Option<usize>) -> (usize, Option<String>) {
    let usable = usable(found_max(system_max()));
    match max_chars {
        Some(chars) if chars <= usable => (chars, None),
        Some(_) => (
            usable,
            Some(format!("value for option -s should be < {usable}")),
        ),
        None => (usable, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usable_length_is_gnu_parallels() {
        // GNU parallel 20221122 here: 130329 and 63664.
        assert_eq!(found_max(MAX_ARG_STRLEN - 1), 130_329);
        assert_eq!(usable(130_329), 63_664);
        let max = system_max();
        assert!((100_000..MAX_ARG_STRLEN).contains(&max), "{max}");
    }

    #[test]
    fn a_small_max_chars_is_the_limit() {
        assert_eq!(limit(Some(12)), (12, None));
        let (usable, warning) = limit(Some(10_000_000));
        assert!(usable < 70_000 && warning.is_some());
    }
}
