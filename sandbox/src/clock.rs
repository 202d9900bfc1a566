//! Wall-clock time and the date formats the API uses, without a date crate.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Days since 1970-01-01 to a civil (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A civil date to days since 1970-01-01.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD HH:MM:SS` (UTC), the MySQL-style format of WordPress.com records.
pub fn datetime(ts: i64) -> String {
    let (y, m, d) = civil_from_days(ts.div_euclid(86_400));
    let s = ts.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// `YYYY-MM-DD` (UTC).
pub fn date(ts: i64) -> String {
    let (y, m, d) = civil_from_days(ts.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// The civil parts of a timestamp.
pub fn ymd(ts: i64) -> (i64, u32, u32) {
    civil_from_days(ts.div_euclid(86_400))
}

/// The same instant `years` later (Feb 29 becomes Feb 28 when needed).
pub fn add_years(ts: i64, years: i64) -> i64 {
    let (y, m, d) = ymd(ts);
    let ny = y + years;
    let leap = (ny % 4 == 0 && ny % 100 != 0) || ny % 400 == 0;
    let d = if m == 2 && d == 29 && !leap { 28 } else { d };
    days_from_civil(ny, m, d) * 86_400 + ts.rem_euclid(86_400)
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DDTHH:MM:SS[Z]` or a Unix timestamp.
pub fn parse(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && s.len() > 8 {
        return s.parse().ok();
    }
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i64 = s.get(0..4)?.parse().ok()?;
    let m: u32 = s.get(5..7)?.parse().ok()?;
    let d: u32 = s.get(8..10)?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut secs = 0i64;
    if b.len() >= 19 && (b[10] == b' ' || b[10] == b'T') {
        let h: i64 = s.get(11..13)?.parse().ok()?;
        let mi: i64 = s.get(14..16)?.parse().ok()?;
        let se: i64 = s.get(17..19)?.parse().ok()?;
        secs = h * 3600 + mi * 60 + se;
    } else if b.len() != 10 {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400 + secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        assert_eq!(datetime(0), "1970-01-01 00:00:00");
        assert_eq!(datetime(1_700_000_000), "2023-11-14 22:13:20");
        assert_eq!(parse("2023-11-14 22:13:20"), Some(1_700_000_000));
        assert_eq!(parse("2023-11-14"), Some(1_699_920_000));
        assert_eq!(parse("nonsense"), None);
        assert_eq!(date(add_years(1_700_000_000, 100)), "2123-11-14");
        assert_eq!(
            date(add_years(parse("2024-02-29").unwrap(), 100)),
            "2124-02-29"
        );
        assert_eq!(
            date(add_years(parse("2024-02-29").unwrap(), 1)),
            "2025-02-28"
        );
    }
}
