//! MQTT topic names and topic filters (MQTT 3.1.1 §4.7, MQTT 5.0 §4.7).

use alloc::string::String;

use crate::error::ConfigError;

/// The longest topic name or filter MQTT can carry (a two-byte length prefix).
pub const MAX_TOPIC_LEN: usize = 65_535;

/// Whether `topic` is a valid MQTT topic name to publish on: 1 to 65,535 bytes of UTF-8, no
/// NUL, no wildcard characters.
///
/// ```
/// assert!(payseal::is_valid_topic_name("plant/3/temp"));
/// assert!(!payseal::is_valid_topic_name("plant/+/temp"));
/// assert!(!payseal::is_valid_topic_name(""));
/// ```
pub fn is_valid_topic_name(topic: &str) -> bool {
    !topic.is_empty() && topic.len() <= MAX_TOPIC_LEN && !topic.contains(['\0', '+', '#'])
}

/// A validated MQTT topic filter, such as `sensors/+/temp` or `plant/#`.
///
/// `+` matches exactly one level, `#` (last, alone in its level) matches the parent level and
/// everything below it. As MQTT requires, a filter starting with a wildcard does not match
/// topics starting with `$` (such as `$SYS/...`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TopicFilter(String);

impl TopicFilter {
    /// Parses a filter, checking MQTT's rules.
    ///
    /// # Errors
    /// [`ConfigError::InvalidTopicFilter`] for an empty filter, a NUL, a `#` that is not the
    /// whole last level, or a `+` that is not a whole level.
    ///
    /// ```
    /// use payseal::TopicFilter;
    /// let filter = TopicFilter::new("sensors/+/temp")?;
    /// assert!(filter.matches("sensors/7/temp"));
    /// assert!(!filter.matches("sensors/7/humidity"));
    /// assert!(TopicFilter::new("sensors/#/temp").is_err());
    /// # Ok::<(), payseal::ConfigError>(())
    /// ```
    pub fn new(filter: &str) -> Result<Self, ConfigError> {
        let invalid = || ConfigError::InvalidTopicFilter(String::from(filter));
        if filter.is_empty() || filter.len() > MAX_TOPIC_LEN || filter.contains('\0') {
            return Err(invalid());
        }
        let mut levels = filter.split('/').peekable();
        while let Some(level) = levels.next() {
            let is_last = levels.peek().is_none();
            let ok = match level {
                "#" => is_last,
                "+" => true,
                other => !other.contains(['+', '#']),
            };
            if !ok {
                return Err(invalid());
            }
        }
        Ok(TopicFilter(String::from(filter)))
    }

    /// The filter text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the topic name `topic` matches this filter.
    pub fn matches(&self, topic: &str) -> bool {
        if topic.starts_with('$') && self.0.starts_with(['+', '#']) {
            return false;
        }
        let mut filter_levels = self.0.split('/');
        let mut topic_levels = topic.split('/');
        loop {
            match (filter_levels.next(), topic_levels.next()) {
                (Some("#"), _) => return true,
                (Some("+"), Some(_)) => {}
                (Some(f), Some(t)) if f == t => {}
                (None, None) => return true,
                _ => return false,
            }
        }
    }
}

impl core::fmt::Display for TopicFilter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(f: &str) -> TopicFilter {
        TopicFilter::new(f).unwrap()
    }

    #[test]
    fn mqtt_spec_matching_examples() {
        // MQTT 3.1.1 §4.7.1.2 and §4.7.1.3.
        let all = filter("sport/tennis/player1/#");
        assert!(all.matches("sport/tennis/player1"));
        assert!(all.matches("sport/tennis/player1/ranking"));
        assert!(all.matches("sport/tennis/player1/score/wimbledon"));
        assert!(filter("sport/#").matches("sport"));
        assert!(filter("#").matches("a/b/c"));
        let plus = filter("sport/tennis/+");
        assert!(plus.matches("sport/tennis/player1"));
        assert!(!plus.matches("sport/tennis/player1/ranking"));
        assert!(!filter("sport/+").matches("sport"));
        assert!(filter("sport/+").matches("sport/"));
        assert!(filter("+/+").matches("/finance"));
        assert!(filter("/+").matches("/finance"));
        assert!(!filter("+").matches("/finance"));
        assert!(!filter("a/b").matches("a/b/c"));
        assert!(!filter("a/b/c").matches("a/b"));
    }

    #[test]
    fn dollar_topics_need_an_explicit_prefix() {
        assert!(!filter("#").matches("$SYS/broker/load"));
        assert!(!filter("+/broker/load").matches("$SYS/broker/load"));
        assert!(filter("$SYS/#").matches("$SYS/broker/load"));
    }

    #[test]
    fn invalid_filters_are_refused() {
        for bad in ["", "a/#/b", "a#", "a/b+", "+a", "a\0b", "##"] {
            assert!(TopicFilter::new(bad).is_err(), "{bad:?} should be invalid");
        }
        for good in ["#", "+", "a/+/#", "/", "+/+", "$SYS/#"] {
            assert!(TopicFilter::new(good).is_ok(), "{good:?} should be valid");
        }
    }

    #[test]
    fn topic_names() {
        assert!(is_valid_topic_name("/"));
        assert!(is_valid_topic_name("a/b"));
        assert!(!is_valid_topic_name("a/#"));
        assert!(!is_valid_topic_name("a\0"));
        assert!(!is_valid_topic_name(&"x".repeat(MAX_TOPIC_LEN + 1)));
    }
}
