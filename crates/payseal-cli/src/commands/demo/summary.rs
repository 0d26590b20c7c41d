//! The demo's closing table and verdict.

use std::collections::BTreeSet;

use super::Watched;
use crate::Failure;

pub(super) fn report(readings: u64, dashboards: &[Watched]) -> Result<(), Failure> {
    let mut problems = Vec::new();
    let mut rows: Vec<(String, Vec<String>)> = vec![
        ("readings delivered (encrypted)".into(), vec![]),
        ("status delivered (signed only)".into(), vec![]),
        ("readings it cannot decrypt".into(), vec![]),
        ("attacks injected by the broker".into(), vec![]),
        ("attacks rejected".into(), vec![]),
        ("forgeries accepted".into(), vec![]),
    ];
    let mut reasons = BTreeSet::new();
    for d in dashboards {
        let Ok(t) = d.tally.lock() else { continue };
        let injected = d.injected.lock().map_or(0, |i| i.len() as u64);
        let not_for_me = if d.recipient { 0 } else { readings };
        let cells = [
            if d.recipient {
                format!("{} / {readings}", t.readings.len())
            } else {
                format!("{} (not a recipient)", t.readings.len())
            },
            format!("{} / {readings}", t.status.len()),
            format!("{}", t.rejected.get("not_for_me").copied().unwrap_or(0)),
            format!("{injected}"),
            format!("{} / {injected}", t.attacks_rejected(not_for_me)),
            format!("{}", t.forged_accepted.len()),
        ];
        for (row, cell) in rows.iter_mut().zip(cells) {
            row.1.push(cell);
        }
        reasons.extend(t.rejected.keys().copied());
        let want_readings = if d.recipient { readings } else { 0 };
        if t.readings.len() as u64 != want_readings {
            problems.push(format!(
                "{}: {} of {want_readings} readings delivered",
                d.label,
                t.readings.len()
            ));
        }
        if t.status.len() as u64 != readings {
            problems.push(format!(
                "{}: {} of {readings} status messages delivered",
                d.label,
                t.status.len()
            ));
        }
        if t.attacks_rejected(not_for_me) != injected {
            problems.push(format!(
                "{}: {} of {injected} attacks rejected",
                d.label,
                t.attacks_rejected(not_for_me)
            ));
        }
        if !t.forged_accepted.is_empty() {
            problems.push(format!(
                "{}: accepted forgeries {:?}",
                d.label, t.forged_accepted
            ));
        }
    }
    for reason in &reasons {
        let cells = dashboards
            .iter()
            .map(|d| {
                d.tally
                    .lock()
                    .map_or(0, |t| t.rejected.get(reason).copied().unwrap_or(0))
                    .to_string()
            })
            .collect();
        rows.push((format!("  rejected as {reason}"), cells));
    }

    let header: Vec<String> = dashboards
        .iter()
        .map(|d| {
            format!(
                "{} ({})",
                d.label,
                if d.recipient {
                    "recipient"
                } else {
                    "not a recipient"
                }
            )
        })
        .collect();
    println!("\nSummary");
    println!(
        "| {:<36} | {} |",
        "",
        header
            .iter()
            .map(|h| format!("{h:<26}"))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    println!(
        "|{}|{}",
        "-".repeat(38),
        header
            .iter()
            .map(|_| format!("{}|", "-".repeat(28)))
            .collect::<String>()
    );
    for (name, cells) in &rows {
        println!(
            "| {name:<36} | {} |",
            cells
                .iter()
                .map(|c| format!("{c:<26}"))
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
    if problems.is_empty() {
        println!("\nEvery reading reached its recipient, every status reached both dashboards,");
        println!("and every attack was rejected. Dashboard B never saw a reading in clear.");
        Ok(())
    } else {
        Err(Failure::Demo(problems.join("; ")))
    }
}
