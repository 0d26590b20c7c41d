//! Timestamps for humans.

use std::time::{Duration, UNIX_EPOCH};

/// `1700000000` as `2023-11-14T22:13:20Z`; far-future values that `SystemTime` cannot hold are
/// shown as a plain number.
pub(crate) fn utc(unix_secs: u64) -> String {
    UNIX_EPOCH
        .checked_add(Duration::from_secs(unix_secs))
        .filter(|_| unix_secs < 253_402_300_800) // year 10000: humantime's limit
        .map_or_else(
            || format!("{unix_secs} (out of range)"),
            |t| humantime::format_rfc3339_seconds(t).to_string(),
        )
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_utc_and_survives_huge_values() {
        assert_eq!(super::utc(1_700_000_000), "2023-11-14T22:13:20Z");
        assert!(super::utc(u64::MAX).contains("out of range"));
    }
}
