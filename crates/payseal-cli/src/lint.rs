//! `payseal trust check`: what a trust file allows, in plain lines, and the rules that are
//! likely mistakes.
//!
//! ```
//! use payseal_cli::lint::{check, overlap};
//! assert_eq!(overlap("plant/+/temp", "plant/3/#").as_deref(), Some("plant/3/temp"));
//! assert_eq!(overlap("plant/3/temp", "plant/4/temp"), None);
//! # let _ = check;
//! ```

use payseal::Audience;

use crate::config::TrustConfig;
use crate::time::utc;

/// What `trust check` found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Who may publish where, and how topics are encrypted: one line each.
    pub listing: Vec<String>,
    /// Risky rules: one line each.
    pub warnings: Vec<String>,
}

/// Lists and checks a trust configuration at `now` (seconds since the epoch), warning about
/// certificates that expire within `soon` seconds.
pub fn check(config: &TrustConfig, now: u64, soon: u64) -> Report {
    let mut report = Report::default();
    list(config, &mut report.listing);
    for rule in &config.rules {
        for filter in &rule.topics {
            if matches_everything(filter) {
                report.warnings.push(format!(
                    "line {}: {} {} may publish on every topic ({filter}): give it only the topics it needs",
                    rule.line, rule.kind, rule.who
                ));
            }
        }
    }
    for (i, a) in config.rules.iter().enumerate() {
        for b in config.rules.iter().skip(i + 1) {
            let shared = a.topics.iter().find_map(|fa| {
                b.topics
                    .iter()
                    .find_map(|fb| overlap(fa, fb).map(|t| (fa, fb, t)))
            });
            if let Some((fa, fb, topic)) = shared {
                report.warnings.push(format!(
                    "lines {} and {}: {} {} ({fa}) and {} {} ({fb}) may both publish on some topics, e.g. {topic}: a receiver cannot tell their readings apart by topic",
                    a.line, b.line, a.kind, a.who, b.kind, b.who
                ));
            }
        }
    }
    for required in &config.require_encryption {
        let covered = config
            .audiences
            .iter()
            .any(|(filter, _)| overlap(filter, required).is_some());
        if !covered {
            report.warnings.push(format!(
                "require_encryption {required}: no [[encrypt]] or [[group]] entry gives recipients there, so `seal`/`pub --trust` with this file refuse to send on it"
            ));
        }
        if config.decrypt_keys == 0 && config.groups.is_empty() {
            report.warnings.push(format!(
                "require_encryption {required}: this file has no decryption key ([decrypt] keys or [[group]]): every message there is rejected unless `--key` gives one"
            ));
        }
    }
    for ca in &config.cas {
        let certs = ca.roots.iter().chain(ca.chains.iter().flatten());
        for cert in certs {
            let (file, line) = &cert.origin;
            let when = utc(cert.not_after);
            if cert.not_after <= now {
                report.warnings.push(format!(
                    "line {line}: {}: {} in '{file}' expired on {when}",
                    ca.name, cert.subject
                ));
            } else if cert.not_after - now <= soon {
                report.warnings.push(format!(
                    "line {line}: {}: {} in '{file}' expires soon, on {when} ({} days)",
                    ca.name,
                    cert.subject,
                    (cert.not_after - now) / 86_400
                ));
            }
        }
    }
    report
}

fn list(config: &TrustConfig, out: &mut Vec<String>) {
    for rule in &config.rules {
        out.push(format!(
            "{} {} (line {}) may publish on: {}",
            rule.kind,
            rule.who,
            rule.line,
            rule.topics.join(", ")
        ));
    }
    for ca in &config.cas {
        let roots: Vec<&str> = ca.roots.iter().map(|c| c.subject.as_str()).collect();
        out.push(format!(
            "ca {} (line {}): certificates issued by {} may publish on the topics of their mqtt-topic: names{}",
            ca.name,
            ca.line,
            roots.join(", "),
            if ca.subjects.is_empty() {
                ""
            } else {
                " and, for the subjects above, theirs"
            }
        ));
    }
    for (filter, audience) in &config.audiences {
        let to = match audience {
            Audience::Recipients { recipients, .. } => {
                format!("{} recipient(s)", recipients.len())
            }
            Audience::Group(key) => {
                let name = config
                    .groups
                    .iter()
                    .find(|g| g.key.kid() == key.kid())
                    .map_or_else(|| key.kid().to_string(), |g| g.name.clone());
                format!("group {name}")
            }
        };
        out.push(format!("senders encrypt on {filter} to {to}"));
    }
    for filter in &config.require_encryption {
        out.push(format!("messages on {filter} must be encrypted"));
    }
}

/// Whether a filter matches every topic (`#`, `+/#`, ...): some levels of `+` then `#`.
fn matches_everything(filter: &str) -> bool {
    let mut levels = filter.split('/').rev();
    levels.next() == Some("#") && levels.all(|l| l == "+")
}

/// A topic that both filters match, if there is one (`+` shown as `x`).
pub fn overlap(a: &str, b: &str) -> Option<String> {
    let a: Vec<&str> = a.split('/').collect();
    let b: Vec<&str> = b.split('/').collect();
    let mut topic = Vec::new();
    let mut i = 0;
    loop {
        match (a.get(i).copied(), b.get(i).copied()) {
            (Some("#"), _) | (_, Some("#")) => {
                let rest = if a.get(i) == Some(&"#") { &b } else { &a };
                let rest = rest.get(i..).unwrap_or_default();
                topic.extend(
                    rest.iter()
                        .filter(|l| **l != "#")
                        .map(|l| if *l == "+" { "x" } else { l }),
                );
                break;
            }
            (None, None) => break,
            (None, Some(_)) | (Some(_), None) => return None,
            (Some(x), Some(y)) => {
                let level = match (x, y) {
                    ("+", "+") => "x",
                    ("+", level) | (level, "+") => level,
                    (x, y) if x == y => x,
                    _ => return None,
                };
                topic.push(level);
            }
        }
        i += 1;
    }
    Some(topic.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_filters_give_a_topic_both_match() {
        assert_eq!(overlap("#", "a/b").as_deref(), Some("a/b"));
        assert_eq!(overlap("a/#", "a").as_deref(), Some("a"));
        assert_eq!(overlap("a/+/c", "a/b/+").as_deref(), Some("a/b/c"));
        assert_eq!(overlap("+/+", "+/+").as_deref(), Some("x/x"));
        assert_eq!(overlap("a/b", "a/b/c"), None);
        assert_eq!(overlap("a/+", "b/#"), None);
    }

    #[test]
    fn filters_for_every_topic_are_told() {
        assert!(matches_everything("#"));
        assert!(matches_everything("+/#"));
        assert!(!matches_everything("plant/#"));
        assert!(!matches_everything("+/+"));
    }
}
