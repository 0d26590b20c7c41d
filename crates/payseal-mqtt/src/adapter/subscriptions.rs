//! The subscriptions the application asked for, so the adapter can restore them when a
//! reconnect finds no session at the broker (clean session, or a broker that lost its state).

use std::sync::Mutex;

use payseal::TopicFilter;

use crate::QoS;

/// Filters and their QoS, in the order they were first subscribed.
#[derive(Debug, Default)]
pub struct Subscriptions(Mutex<Vec<(String, QoS)>>);

impl Subscriptions {
    /// Records a subscription; subscribing to the same filter again replaces its QoS, as the
    /// broker does (MQTT 3.1.1 §3.8.4).
    pub fn add(&self, filter: &str, qos: QoS) {
        tracing::info!(filter = %crate::escape_text(filter), ?qos, "subscribing");
        if let Ok(mut list) = self.0.lock() {
            match list.iter_mut().find(|(f, _)| f == filter) {
                Some(entry) => entry.1 = qos,
                None => list.push((filter.to_string(), qos)),
            }
        }
    }

    /// Forgets a subscription.
    pub fn remove(&self, filter: &str) {
        tracing::info!(filter = %crate::escape_text(filter), "subscription removed");
        if let Ok(mut list) = self.0.lock() {
            list.retain(|(f, _)| f != filter);
        }
    }

    /// Whether `topic` matches one of the recorded filters (MQTT 3.1.1 §4.7, MQTT 5 §4.7;
    /// a shared subscription `$share/{group}/{filter}` by its `{filter}`, see
    /// [`topic_filter_of`]). A filter is recorded when the application subscribes (before
    /// the SUBSCRIBE is sent) and forgotten when it unsubscribes.
    pub fn matches(&self, topic: &str) -> bool {
        self.0.lock().is_ok_and(|list| {
            list.iter().any(|(filter, _)| {
                TopicFilter::new(topic_filter_of(filter)).is_ok_and(|f| f.matches(topic))
            })
        })
    }

    /// Every recorded subscription.
    pub fn all(&self) -> Vec<(String, QoS)> {
        self.0.lock().map(|list| list.clone()).unwrap_or_default()
    }
}

/// The filter a subscription matches topics with: `filter` itself, or for a shared
/// subscription, `$share/{group}/{filter}` (MQTT 5 §4.8.2; Mosquitto accepts it over MQTT
/// 3.1.1 too), the part after the group. Topics are always matched by their name: an MQTT 5
/// subscription identifier in a PUBLISH is set by the broker and proves nothing.
///
/// ```
/// use payseal_mqtt::adapter::topic_filter_of;
/// assert_eq!(topic_filter_of("$share/dashboards/plant/+/temp"), "plant/+/temp");
/// assert_eq!(topic_filter_of("plant/#"), "plant/#");
/// ```
pub fn topic_filter_of(filter: &str) -> &str {
    match filter
        .strip_prefix("$share/")
        .and_then(|rest| rest.split_once('/'))
    {
        Some((_group, inner)) => inner,
        None => filter,
    }
}

/// Whether a CONNACK calls for restoring subscriptions: the first connection carries the
/// application's own SUBSCRIBE requests, and a present session kept them at the broker.
pub fn must_restore(connected_before: bool, session_present: bool) -> bool {
    connected_before && !session_present
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resubscribing_replaces_the_qos_and_unsubscribing_forgets() {
        let subs = Subscriptions::default();
        subs.add("plant/#", QoS::AtMostOnce);
        subs.add("office/+", QoS::AtLeastOnce);
        subs.add("plant/#", QoS::ExactlyOnce);
        assert_eq!(
            subs.all(),
            vec![
                ("plant/#".to_string(), QoS::ExactlyOnce),
                ("office/+".to_string(), QoS::AtLeastOnce)
            ]
        );
        subs.remove("plant/#");
        assert_eq!(subs.all(), vec![("office/+".to_string(), QoS::AtLeastOnce)]);
    }

    #[test]
    fn messages_on_unsubscribed_topics_do_not_match() {
        let subs = Subscriptions::default();
        assert!(!subs.matches("plant/3/temp"), "nothing subscribed yet");
        subs.add("plant/3/temp", QoS::AtLeastOnce);
        subs.add("$share/dashboards/office/+/temp", QoS::AtLeastOnce);
        subs.add("fleet/#", QoS::AtMostOnce);
        assert!(subs.matches("plant/3/temp"));
        assert!(!subs.matches("plant/3/cmd"));
        assert!(!subs.matches("plant/3/temp/x"));
        // Shared: matched by the filter after the group, never by the `$share` text.
        assert!(subs.matches("office/7/temp"));
        assert!(!subs.matches("$share/dashboards/office/7/temp"));
        assert!(!subs.matches("dashboards/office/7/temp"));
        // `#` covers its parent level; wildcards never match a `$` topic.
        assert!(subs.matches("fleet"));
        assert!(subs.matches("fleet/a/b"));
        subs.add("#", QoS::AtMostOnce);
        assert!(subs.matches("anything/else"));
        assert!(!subs.matches("$SYS/broker/uptime"));
        subs.remove("#");
        subs.remove("plant/3/temp");
        assert!(!subs.matches("plant/3/temp"), "unsubscribed");
        // A malformed shared filter (no filter after the group) matches nothing.
        subs.add("$share/lonely", QoS::AtMostOnce);
        assert!(!subs.matches("lonely"));
    }

    #[test]
    fn restore_only_on_a_reconnect_without_session() {
        assert!(!must_restore(false, false));
        assert!(!must_restore(false, true));
        assert!(!must_restore(true, true));
        assert!(must_restore(true, false));
    }
}
