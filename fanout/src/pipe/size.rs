//! `--block SIZE`: a number of bytes with an optional K, M, G, T or P
//! suffix (powers of 1024, as GNU parallel's), a fraction allowed.

/// The bytes `value` names, for `option`.
///
/// # Errors
///
/// A message naming the option and the value: not a number, negative
/// (GNU parallel's negative sizes, counted from the end of a file, are
/// not supported), or zero.
pub(crate) fn size(option: &str, value: &str) -> Result<usize, String> {
    let trimmed = value.trim();
    let (number, unit) = match trimmed.char_indices().last() {
        Some((at, c)) if c.is_ascii_alphabetic() => (&trimmed[..at], unit(c)),
        _ => (trimmed, Some(1)),
    };
    let bad = || format!("{option} needs a size such as 1M or 512K, not {value:?}");
    let (Some(unit), Ok(number)) = (unit, number.parse::<f64>()) else {
        return Err(bad());
    };
    if number < 0.0 {
        return Err(format!(
            "{option}: a negative size ({value}) is not supported"
        ));
    }
    let bytes = (number * unit as f64).round();
    if !bytes.is_finite() || bytes < 1.0 || bytes > usize::MAX as f64 {
        return Err(bad());
    }
    Ok(bytes as usize)
}

/// The factor of a suffix.
fn unit(c: char) -> Option<u64> {
    let power = match c.to_ascii_lowercase() {
        'b' => 0,
        'k' => 1,
        'm' => 2,
        'g' => 3,
        't' => 4,
        'p' => 5,
        _ => return None,
    };
    Some(1u64 << (10 * power))
}

#[cfg(test)]
mod tests {
    use super::size;

    #[test]
    fn suffixes_are_powers_of_1024() {
        assert_eq!(size("--block", "10"), Ok(10));
        assert_eq!(size("--block", "1k"), Ok(1024));
        assert_eq!(size("--block", "1M"), Ok(1 << 20));
        assert_eq!(size("--block", "1.5M"), Ok(3 << 19));
        assert_eq!(size("--block", "2G"), Ok(2 << 30));
    }

    #[test]
    fn bad_sizes_are_errors() {
        for value in ["", "M", "1X", "0", "abc"] {
            assert!(size("--block", value).is_err(), "{value:?}");
        }
        let negative = size("--block", "-1M").unwrap_err();
        assert!(negative.contains("negative"), "{negative}");
    }
}
