//! The subscriptions the application asked for, so the adapter can restore them when a
//! reconnect finds no session at the broker (clean session, or a broker that lost its state).

use std::sync::Mutex;

use crate::QoS;

/// Filters and their QoS, in the order they were first subscribed.
#[derive(Debug, Default)]
pub struct Subscriptions(Mutex<Vec<(String, QoS)>>);

impl Subscriptions {
    /// Records a subscription; subscribing to the same filter again replaces its QoS, as the
    /// broker does (MQTT 3.1.1 §3.8.4).
    pub fn add(&self, filter: &str, qos: QoS) {
        if let Ok(mut list) = self.0.lock() {
            match list.iter_mut().find(|(f, _)| f == filter) {
                Some(entry) => entry.1 = qos,
                None => list.push((filter.to_string(), qos)),
            }
        }
    }

    /// Forgets a subscription.
    pub fn remove(&self, filter: &str) {
        if let Ok(mut list) = self.0.lock() {
            list.retain(|(f, _)| f != filter);
        }
    }

    /// Every recorded subscription.
    pub fn all(&self) -> Vec<(String, QoS)> {
        self.0.lock().map(|list| list.clone()).unwrap_or_default()
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
    fn restore_only_on_a_reconnect_without_session() {
        assert!(!must_restore(false, false));
        assert!(!must_restore(false, true));
        assert!(!must_restore(true, true));
        assert!(must_restore(true, false));
    }
}
