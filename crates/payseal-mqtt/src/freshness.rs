//! Which freshness limit a received message is judged with (spec/mqtt-adapters.md §3-4).
//!
//! The retain flag and the topic are set by the broker and not authenticated, so neither may
//! lengthen a limit on its own. A longer limit applies only when what the sender **signed**
//! (the message kind, `payseal::MessageKind`) agrees with the MQTT delivery and with the
//! receiver's configuration:
//!
//! - retained limit: signed kind `retained`, delivered with the retain flag, on a topic
//!   matching a configured retained filter (the first match wins);
//! - will limit: signed kind `will`, from one of the configured will kids, on a topic matching
//!   a configured will filter (the first match wins).
//!
//! Everything else, disagreements included, gets the opener's live limits. The future skew is
//! always the opener policy's.

use std::time::Duration;

use payseal::{Freshness, Kid, MessageKind, TopicFilter};

/// The receiver's retained and will limits.
#[derive(Clone, Debug, Default)]
pub(crate) struct FreshnessRules {
    pub(crate) retained: Vec<(TopicFilter, Duration)>,
    pub(crate) wills: Vec<(TopicFilter, Duration)>,
    pub(crate) will_kids: Vec<Kid>,
}

impl FreshnessRules {
    /// The bounds for a message of signed `kind` from `sender` on `topic`, delivered with the
    /// `retain` flag; `live` are the opener policy's bounds.
    pub(crate) fn bounds(
        &self,
        topic: &str,
        retain: bool,
        kind: MessageKind,
        sender: &Kid,
        live: Freshness,
    ) -> Freshness {
        let longer = match kind {
            MessageKind::Retained if retain => first_match(&self.retained, topic),
            MessageKind::Will if self.will_kids.contains(sender) => first_match(&self.wills, topic),
            _ => None,
        };
        match longer {
            Some(max_age) => Freshness {
                max_age_secs: max_age.as_secs(),
                max_future_skew_secs: live.max_future_skew_secs,
            },
            None => live,
        }
    }
}

fn first_match(filters: &[(TopicFilter, Duration)], topic: &str) -> Option<Duration> {
    filters
        .iter()
        .find(|(filter, _)| filter.matches(topic))
        .map(|(_, max_age)| *max_age)
}
