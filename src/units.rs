//! Human-readable sizes and durations (`64MiB`, `1.5KB`, `500ms`, `2s`) for flags and config.

use std::fmt;
use std::time::Duration;

/// A size or duration that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read {input:?} as a {what}: {reason} (examples: {examples})")]
pub struct UnitParseError {
    input: String,
    what: &'static str,
    reason: String,
    examples: &'static str,
}

const SIZE_EXAMPLES: &str = "4096, 64KiB, 64MiB, 1GiB, 10MB";
const DURATION_EXAMPLES: &str = "500ms, 2s, 1m, 1m30s";

/// Parses a byte size: a number followed by an optional unit.
///
/// Binary units (`KiB`, `MiB`, `GiB`, also written `K`, `M`, `G`) are powers of
/// 1024; decimal units (`KB`, `MB`, `GB`) are powers of 1000. Case is ignored,
/// blanks between number and unit are allowed, and fractions are rounded down to
/// whole bytes.
pub fn parse_size(input: &str) -> Result<u64, UnitParseError> {
    let error = |reason: &str| UnitParseError {
        input: input.to_owned(),
        what: "size",
        reason: reason.to_owned(),
        examples: SIZE_EXAMPLES,
    };
    let text = input.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return Err(error("it does not start with a number"));
    }
    let number: f64 = number.parse().map_err(|_| error("the number is malformed"))?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => return Err(error("the unit is not one of B, KiB, MiB, GiB, TiB, KB, MB, GB, TB")),
    };
    let bytes = number * multiplier as f64;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(error("it is too large"));
    }
    Ok(bytes as u64)
}

/// Parses a duration such as `500ms`, `2s`, `1m30s` or `1h`. A bare number is
/// rejected because it is ambiguous.
pub fn parse_duration(input: &str) -> Result<Duration, UnitParseError> {
    let error = |reason: String| UnitParseError {
        input: input.to_owned(),
        what: "duration",
        reason,
        examples: DURATION_EXAMPLES,
    };
    let text = input.trim();
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        return Err(error("it has no unit".to_owned()));
    }
    humantime::parse_duration(text).map_err(|e| error(e.to_string()))
}

/// Parses a duration as [`parse_duration`] does, or `off` (none).
pub fn parse_duration_or_off(input: &str) -> Result<Option<Duration>, UnitParseError> {
    if input.trim().eq_ignore_ascii_case("off") { Ok(None) } else { parse_duration(input).map(Some) }
}

/// Displays a byte count compactly with a binary unit: `512 B`, `1.5 KiB`, `64.0 MiB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bytes(pub u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
        if self.0 < 1024 {
            return write!(f, "{} B", self.0);
        }
        let mut value = self.0 as f64 / 1024.0;
        let mut unit = 0;
        while value >= 1024.0 && unit + 1 < UNITS.len() {
            value /= 1024.0;
            unit += 1;
        }
        write!(f, "{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_accept_binary_and_decimal_units() {
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert_eq!(parse_size("64MiB").unwrap(), 64 << 20);
        assert_eq!(parse_size("64 mib").unwrap(), 64 << 20);
        assert_eq!(parse_size("2G").unwrap(), 2 << 30);
        assert_eq!(parse_size("10MB").unwrap(), 10_000_000);
        assert_eq!(parse_size("1.5KiB").unwrap(), 1536);
    }

    #[test]
    fn bad_sizes_say_what_is_wrong_and_show_examples() {
        let message = parse_size("64 parsecs").unwrap_err().to_string();
        assert!(message.contains("unit"), "{message}");
        assert!(message.contains("64MiB"), "{message}");
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("1e400").is_err());
    }

    #[test]
    fn durations_need_a_unit() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration_or_off("off").unwrap(), None);
        assert_eq!(parse_duration_or_off("250ms").unwrap(), Some(Duration::from_millis(250)));
        assert!(parse_duration_or_off("never").is_err());
        let message = parse_duration("30").unwrap_err().to_string();
        assert!(message.contains("no unit"), "{message}");
    }

    #[test]
    fn byte_counts_display_compactly() {
        assert_eq!(Bytes(512).to_string(), "512 B");
        assert_eq!(Bytes(1536).to_string(), "1.5 KiB");
        assert_eq!(Bytes(64 << 20).to_string(), "64.0 MiB");
    }
}
