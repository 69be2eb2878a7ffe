//! Option values that are numbers: counts and seconds, with messages that
//! name the option.

use std::time::Duration;

/// A whole number of at least `least`, for `option`.
///
/// # Errors
///
/// A message naming the option and the value.
pub(crate) fn number(option: &str, value: &str, least: usize) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if n >= least => Ok(n),
        _ => Err(format!(
            "{option} needs a whole number of at least {least}, not {value:?}"
        )),
    }
}

/// A number of seconds (a fraction allowed), for `option`.
///
/// # Errors
///
/// A message naming the option and the value.
pub(crate) fn seconds(option: &str, value: &str) -> Result<Duration, String> {
    value
        .parse::<f64>()
        .ok()
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .ok_or_else(|| format!("{option} needs a number of seconds, not {value:?}"))
}
