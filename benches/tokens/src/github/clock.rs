//! Civil-calendar arithmetic for the fake GitHub: unix seconds to and from
//! RFC 3339 (`2026-11-01T00:00:00Z`) and plain dates (`2026-11-01`), in UTC.
//!
//! The days/civil conversions are Howard Hinnant's public-domain algorithms for the
//! proleptic Gregorian calendar, written out here so that no clock or locale is consulted.

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// A string that is neither a `YYYY-MM-DD` date nor an RFC 3339 timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a date (YYYY-MM-DD) or an RFC 3339 timestamp: {0:?}")]
pub struct BadTimestamp(pub String);

/// Days since 1970-01-01 of the civil date `year-month-day` (month and day 1-based).
pub const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of a count of days since 1970-01-01.
pub const fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

/// Unix seconds as GitHub writes timestamps: `2026-11-01T00:00:00Z`.
pub fn rfc3339(secs: i64) -> String {
    let (year, month, day) = civil_from_days(secs.div_euclid(DAY));
    let rem = secs.rem_euclid(DAY);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The date part of [`rfc3339`]: `2026-11-01`.
pub fn date(secs: i64) -> String {
    rfc3339(secs)[..10].to_string()
}

/// Unix seconds of a `YYYY-MM-DD` date (its midnight, UTC) or of an RFC 3339
/// timestamp (`2024-01-01T00:00:00Z`, with optional fraction and `±HH:MM` offset;
/// a missing zone is read as UTC, as GitHub's search does).
pub fn parse_timestamp(text: &str) -> Result<i64, BadTimestamp> {
    parse(text.trim()).ok_or_else(|| BadTimestamp(text.to_string()))
}

fn parse(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])? as u32;
    let day = digits(&b[8..10])? as u32;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let midnight = days_from_civil(year, month, day) * DAY;
    if b.len() == 10 {
        return Some(midnight);
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 16 || b[13] != b':' {
        return None;
    }
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let mut rest = &b[16..];
    let mut second = 0;
    if rest.first() == Some(&b':') {
        second = digits(rest.get(1..3)?)?;
        rest = &rest[3..];
    }
    if rest.first() == Some(&b'.') {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        rest = &rest[1 + n..];
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let offset = match rest {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let mins = digits(&[*h1, *h2])? * 60 + digits(&[*m1, *m2])?;
            if *sign == b'+' { mins * 60 } else { -mins * 60 }
        }
        _ => return None,
    };
    Some(midnight + hour * 3600 + minute * 60 + second - offset)
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn rfc3339_agrees_with_humantime_across_four_centuries() {
        let mut secs: i64 = 0;
        while secs < 13_000_000_000 {
            let theirs = humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs as u64));
            assert_eq!(rfc3339(secs), theirs.to_string());
            secs += 7_777_777;
        }
    }

    #[test]
    fn parse_timestamp_inverts_rfc3339_and_reads_dates_offsets_and_fractions() {
        for secs in [0, 951_782_400, 1_793_491_200, 1_700_000_123] {
            assert_eq!(parse_timestamp(&rfc3339(secs)), Ok(secs));
        }
        assert_eq!(parse_timestamp("2026-11-01"), Ok(days_from_civil(2026, 11, 1) * DAY));
        assert_eq!(parse_timestamp("2026-11-01T02:00:00+02:00"), parse_timestamp("2026-11-01T00:00:00Z"));
        assert_eq!(parse_timestamp("2024-01-01T00:00:00.250Z"), parse_timestamp("2024-01-01"));
        assert_eq!(parse_timestamp("2024-02-29T10:20"), Ok(days_from_civil(2024, 2, 29) * DAY + 37_200));
        for bad in ["2023-02-29", "2024-13-01", "yesterday", "2024-01-01T25:00:00Z", "2024-1-1"] {
            assert_eq!(parse_timestamp(bad), Err(BadTimestamp(bad.to_string())), "{bad}");
        }
    }

    #[test]
    fn civil_and_days_round_trip() {
        for days in -800_000..800_000i64 {
            if days % 997 != 0 {
                continue;
            }
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
