//! `not_before` / `not_after` of a trusted sender (spec/key-management.md §3): TOML offset
//! date-times, turned into Unix seconds.

use toml::value::{Datetime, Offset};

/// Seconds since the Unix epoch of a TOML offset date-time (`2027-01-31T00:00:00Z`).
///
/// # Errors
/// A message when the value is a local date or time (no offset: ambiguous), or before 1970.
pub(crate) fn unix_secs(value: &Datetime) -> Result<u64, String> {
    let (Some(date), Some(time), Some(offset)) = (value.date, value.time, value.offset) else {
        return Err(format!(
            "{value}: give a full date-time with its offset, e.g. 2027-01-31T00:00:00Z"
        ));
    };
    let days = days_from_civil(i64::from(date.year), date.month, date.day);
    let offset_secs = match offset {
        Offset::Z => 0,
        Offset::Custom { minutes } => i64::from(minutes) * 60,
    };
    let secs = days * 86_400
        + i64::from(time.hour) * 3_600
        + i64::from(time.minute) * 60
        + i64::from(time.second.unwrap_or(0))
        - offset_secs;
    u64::try_from(secs).map_err(|_| format!("{value}: before 1970"))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let (month, day) = (i64::from(month), i64::from(day));
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn converts_offset_date_times() {
        let at = |s: &str| unix_secs(&s.parse::<Datetime>().unwrap());
        assert_eq!(at("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(at("2023-11-14T22:13:20Z"), Ok(1_700_000_000));
        assert_eq!(at("2023-11-14T23:13:20+01:00"), Ok(1_700_000_000));
        assert_eq!(at("2024-03-01T00:00:00Z"), Ok(1_709_251_200));
        assert!(at("2023-11-14T22:13:20").is_err());
        assert!(at("2023-11-14").is_err());
        assert!(at("1969-12-31T23:59:59Z").is_err());
    }
}
