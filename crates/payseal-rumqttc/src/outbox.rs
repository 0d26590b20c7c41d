//! The QoS 1 and 2 messages published and not yet confirmed, one record per message, so the
//! client can say what became of each (delivered, refused with a reason code, unconfirmed),
//! ignore acknowledgements for packet ids it is not waiting for, and send an unconfirmed
//! message again after a reconnect with its original envelope.
//!
//! rumqttc 0.25 assigns packet ids when it writes a PUBLISH and reports them as
//! `Outgoing::Publish(pkid)`, in the order the requests were queued; the outbox matches those
//! events to its records in the same order.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use payseal_mqtt::{QoS, Refusal, Unconfirmed, Undelivered, is_refusal};
use tokio::sync::Notify;

/// A message awaiting its confirmation.
#[derive(Clone, Debug)]
pub(crate) struct Pending {
    pub(crate) topic: String,
    pub(crate) qos: QoS,
    pub(crate) retain: bool,
    /// The sealed envelope, as first sent: a resend carries the same bytes.
    pub(crate) envelope: Vec<u8>,
    /// The packet id of the current transmission, once written.
    pkid: Option<u16>,
}

/// Which acknowledgement arrived.
#[expect(clippy::enum_variant_names, reason = "the MQTT packet names")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AckKind {
    /// PUBACK (QoS 1: final).
    PubAck,
    /// PUBREC (QoS 2: received, PUBCOMP still to come; final when it refuses).
    PubRec,
    /// PUBCOMP (QoS 2: final).
    PubComp,
}

#[derive(Debug, Default)]
struct Inner {
    /// Index of the next publish (from 1).
    next_index: u64,
    /// Records queued to rumqttc and not yet written, oldest first.
    unwritten: VecDeque<u64>,
    /// Every unconfirmed QoS 1/2 message, by index.
    records: BTreeMap<u64, Pending>,
    /// Packet id of the current transmission -> index, for messages awaiting PUBACK or PUBREC.
    by_pkid: HashMap<u16, u64>,
    /// Packet id -> index for QoS 2 messages the broker received (PUBREC), awaiting PUBCOMP.
    /// Kept apart: rumqttc reuses the packet id of a PUBREC'd message for a new PUBLISH.
    released: HashMap<u16, u64>,
    /// Refusals not yet reported by `flush`.
    refused: Vec<Refusal>,
}

/// The outbox, shared by a client and its driver task.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    inner: Mutex<Inner>,
    changed: Notify,
    /// Held from registering a publish until rumqttc has its request, so that the order of
    /// records is the order of requests.
    pub(crate) order: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl Outbox {
    /// Records a publish about to be queued; its index. Only QoS 1 and 2 are tracked.
    pub(crate) fn register(&self, topic: &str, qos: QoS, retain: bool, envelope: &[u8]) -> u64 {
        let Ok(mut inner) = self.inner.lock() else {
            return 0;
        };
        inner.next_index += 1;
        let index = inner.next_index;
        if qos != QoS::AtMostOnce {
            inner.records.insert(
                index,
                Pending {
                    topic: topic.to_string(),
                    qos,
                    retain,
                    envelope: envelope.to_vec(),
                    pkid: None,
                },
            );
            inner.unwritten.push_back(index);
        }
        index
    }

    /// Takes back [`register`](Self::register) for a publish that was never queued.
    pub(crate) fn cancel(&self, index: u64) {
        if let Ok(mut inner) = self.inner.lock()
            && inner.records.remove(&index).is_some()
        {
            inner.unwritten.retain(|i| *i != index);
        }
        self.changed.notify_waiters();
    }

    /// rumqttc wrote a PUBLISH with `pkid` (0: QoS 0). A packet id already in use is a
    /// retransmission of the same record; any other belongs to the oldest unwritten record.
    pub(crate) fn written(&self, pkid: u16) {
        if pkid == 0 {
            return;
        }
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if inner.by_pkid.contains_key(&pkid) {
            return;
        }
        let Some(index) = inner.unwritten.pop_front() else {
            return;
        };
        if let Some(record) = inner.records.get_mut(&index) {
            record.pkid = Some(pkid);
            inner.by_pkid.insert(pkid, index);
        }
    }

    /// An acknowledgement for `pkid` with the broker's reason `code` (0 for MQTT 3.1.1) and
    /// reason string. Acks for packet ids nothing waits for, or of the wrong kind, are
    /// ignored (a broker's duplicate or invented ack confirms nothing).
    pub(crate) fn acknowledged(&self, kind: AckKind, pkid: u16, code: u8, reason: Option<&str>) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let waiting = if kind == AckKind::PubComp {
            &inner.released
        } else {
            &inner.by_pkid
        };
        let Some(&index) = waiting.get(&pkid) else {
            tracing::debug!(pkid, ?kind, "ignoring an acknowledgement nothing waits for");
            return;
        };
        let Some(qos) = inner.records.get(&index).map(|r| r.qos) else {
            return;
        };
        let fits = matches!(
            (kind, qos),
            (AckKind::PubAck, QoS::AtLeastOnce)
                | (AckKind::PubRec | AckKind::PubComp, QoS::ExactlyOnce)
        );
        if !fits {
            tracing::debug!(pkid, ?kind, "ignoring an acknowledgement of the wrong kind");
            return;
        }
        if kind == AckKind::PubComp {
            inner.released.remove(&pkid);
        } else {
            inner.by_pkid.remove(&pkid);
        }
        if kind == AckKind::PubRec && !is_refusal(code) {
            inner.released.insert(pkid, index);
            return;
        }
        if let Some(record) = inner.records.remove(&index)
            && is_refusal(code)
        {
            tracing::warn!(index, code, topic = %record.topic, "the broker refused a publish");
            inner
                .refused
                .push(Refusal::new(index, &record.topic, code, reason));
        }
        drop(inner);
        self.changed.notify_waiters();
    }

    /// After a CONNACK without session: the broker forgot every transmission, and rumqttc
    /// dropped its own copies. Returns the records that were written, oldest first, to be
    /// queued again (ahead of everything unwritten, in the same order).
    pub(crate) fn take_for_resend(&self) -> Vec<Pending> {
        let Ok(mut inner) = self.inner.lock() else {
            return Vec::new();
        };
        inner.by_pkid.clear();
        inner.released.clear();
        let mut again = Vec::new();
        let mut indexes = Vec::new();
        for (index, record) in &mut inner.records {
            if record.pkid.take().is_some() {
                indexes.push(*index);
                again.push(record.clone());
            }
        }
        for index in indexes.into_iter().rev() {
            inner.unwritten.push_front(index);
        }
        again
    }

    /// Waits until every QoS 1 and 2 message published so far is confirmed or refused, or
    /// until `timeout`.
    ///
    /// # Errors
    /// [`Undelivered`]: the refusals not reported before, and what is still unconfirmed.
    pub(crate) async fn flush(&self, timeout: Duration) -> Result<(), Undelivered> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let woken = self.changed.notified();
            let timed_out = tokio::time::Instant::now() >= deadline;
            {
                let Ok(mut inner) = self.inner.lock() else {
                    return Err(Undelivered::default());
                };
                if inner.records.is_empty() || timed_out {
                    let unconfirmed: Vec<Unconfirmed> = inner
                        .records
                        .iter()
                        .map(|(index, r)| Unconfirmed {
                            index: *index,
                            topic: r.topic.clone(),
                        })
                        .collect();
                    let refused = std::mem::take(&mut inner.refused);
                    if refused.is_empty() && unconfirmed.is_empty() {
                        return Ok(());
                    }
                    return Err(Undelivered {
                        refused,
                        unconfirmed,
                    });
                }
            }
            let _ = tokio::time::timeout_at(deadline, woken).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn duplicate_and_unknown_acks_confirm_nothing() {
        let outbox = Outbox::default();
        let one = outbox.register("t", QoS::AtLeastOnce, false, b"one");
        let two = outbox.register("t", QoS::AtLeastOnce, false, b"two");
        outbox.written(1);
        outbox.written(2);
        outbox.acknowledged(AckKind::PubAck, 1, 0, None);
        outbox.acknowledged(AckKind::PubAck, 1, 0, None); // duplicate
        outbox.acknowledged(AckKind::PubAck, 77, 0, None); // invented
        outbox.acknowledged(AckKind::PubComp, 2, 0, None); // wrong kind
        let e = outbox.flush(Duration::from_millis(10)).await.unwrap_err();
        assert_eq!(e.unconfirmed.len(), 1);
        assert_eq!(e.unconfirmed[0].index, two);
        assert!(one < two);
        outbox.acknowledged(AckKind::PubAck, 2, 0x10, None);
        outbox.flush(Duration::from_millis(10)).await.unwrap();
    }

    #[tokio::test]
    async fn a_refusal_settles_at_once_and_is_reported_once() {
        let outbox = Outbox::default();
        outbox.register("t", QoS::ExactlyOnce, false, b"x");
        outbox.written(5);
        outbox.acknowledged(AckKind::PubRec, 5, 0x87, Some("acl\n"));
        let e = outbox.flush(Duration::from_secs(5)).await.unwrap_err();
        assert_eq!(e.refused.len(), 1);
        assert_eq!(e.refused[0].code, 0x87);
        assert_eq!(e.refused[0].reason.as_deref(), Some("acl\\n"));
        outbox.flush(Duration::from_millis(1)).await.unwrap();
    }

    #[tokio::test]
    async fn a_packet_id_reused_after_pubrec_is_a_new_message() {
        let outbox = Outbox::default();
        outbox.register("t", QoS::ExactlyOnce, false, b"two");
        outbox.register("t", QoS::AtLeastOnce, false, b"one");
        outbox.written(5);
        outbox.acknowledged(AckKind::PubRec, 5, 0, None);
        outbox.written(5);
        outbox.acknowledged(AckKind::PubAck, 5, 0, None);
        outbox.acknowledged(AckKind::PubComp, 5, 0, None);
        outbox.flush(Duration::from_millis(10)).await.unwrap();
    }

    #[test]
    fn resends_keep_the_envelope_and_go_first() {
        let outbox = Outbox::default();
        outbox.register("t", QoS::AtLeastOnce, false, b"first");
        outbox.register("t", QoS::AtLeastOnce, false, b"second");
        outbox.written(1);
        let again = outbox.take_for_resend();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].envelope, b"first");
        // The resend is written first, then the unwritten one.
        outbox.written(9);
        outbox.written(10);
        outbox.acknowledged(AckKind::PubAck, 9, 0, None);
        outbox.acknowledged(AckKind::PubAck, 10, 0, None);
        let inner = outbox.inner.lock().unwrap();
        assert!(inner.records.is_empty());
    }
}
