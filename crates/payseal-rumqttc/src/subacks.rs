//! SUBSCRIBE requests awaiting their SUBACK, so that a refused filter becomes
//! [`Event::SubscribeRefused`](payseal_mqtt::Event::SubscribeRefused). rumqttc reports the
//! packet id of every SUBSCRIBE it writes (`Outgoing::Subscribe`), in request order.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use payseal_mqtt::is_refusal;

#[derive(Debug, Default)]
struct Inner {
    /// Filters of each SUBSCRIBE queued and not yet written, oldest first.
    unwritten: VecDeque<Vec<String>>,
    /// Filters of each SUBSCRIBE written, by packet id.
    by_pkid: HashMap<u16, Vec<String>>,
}

/// The SUBSCRIBEs in flight, shared by a client and its driver task.
#[derive(Debug, Default)]
pub(crate) struct SubAcks {
    inner: Mutex<Inner>,
    /// Held from recording a SUBSCRIBE until rumqttc has the request.
    pub(crate) order: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl SubAcks {
    /// A SUBSCRIBE for `filters` queued behind the others.
    pub(crate) fn queued(&self, filters: Vec<String>) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.unwritten.push_back(filters);
        }
    }

    /// A SUBSCRIBE put ahead of every queued one (restoring subscriptions).
    pub(crate) fn queued_first(&self, filters: Vec<String>) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.unwritten.push_front(filters);
        }
    }

    /// Takes back the last [`queued`](Self::queued) (the request never reached rumqttc).
    pub(crate) fn cancel_last(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.unwritten.pop_back();
        }
    }

    /// rumqttc wrote a SUBSCRIBE with `pkid`.
    pub(crate) fn written(&self, pkid: u16) {
        if let Ok(mut inner) = self.inner.lock()
            && let Some(filters) = inner.unwritten.pop_front()
        {
            inner.by_pkid.insert(pkid, filters);
        }
    }

    /// A SUBACK for `pkid` with one reason code per filter: the refused filters and their
    /// codes. A SUBACK for a packet id nothing waits for is ignored.
    pub(crate) fn acknowledged(&self, pkid: u16, codes: &[u8]) -> Vec<(String, u8)> {
        let Ok(mut inner) = self.inner.lock() else {
            return Vec::new();
        };
        let Some(filters) = inner.by_pkid.remove(&pkid) else {
            return Vec::new();
        };
        filters
            .into_iter()
            .zip(codes.iter().copied())
            .filter(|(_, code)| is_refusal(*code))
            .collect()
    }

    /// The connection dropped: SUBSCRIBEs written on it will not be answered (subscriptions
    /// are restored, and tracked again, after a reconnect without session).
    pub(crate) fn connection_lost(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.by_pkid.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_filters_come_back_with_their_codes() {
        let s = SubAcks::default();
        s.queued(vec!["a/#".into()]);
        s.queued_first(vec!["x".into(), "y".into()]);
        s.written(3);
        s.written(4);
        assert_eq!(s.acknowledged(3, &[0x01, 0x87]), vec![("y".into(), 0x87)]);
        assert_eq!(s.acknowledged(3, &[0x80]), vec![]);
        assert_eq!(s.acknowledged(4, &[0x80]), vec![("a/#".into(), 0x80)]);
    }
}
