//! `payseal trust check`: see [`crate::lint`].

use std::path::Path;

use crate::Failure;
use crate::commands::setup::read_config;

pub(crate) fn check(file: &Path, expiry_days: u32) -> Result<(), Failure> {
    let config = read_config(file)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let report = crate::lint::check(&config, now, u64::from(expiry_days) * 86_400);
    // Certificate subjects are whoever made the certificate's text: escaped, as a topic is.
    let warnings = report.warnings.iter().map(|w| format!("warning: {w}"));
    for line in report.listing.iter().cloned().chain(warnings) {
        println!("{}", payseal_rumqttc::escape_text(&line));
    }
    if report.warnings.is_empty() {
        Ok(())
    } else {
        Err(Failure::Warnings(report.warnings.len()))
    }
}
