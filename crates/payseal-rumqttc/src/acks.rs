//! QoS 1 and 2 publishes still waiting for the broker's PUBACK or PUBCOMP, so that `flush`
//! can wait for them (rumqttc 0.25's publish returns once the request is queued).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use payseal_mqtt::QoS;
use tokio::sync::Notify;

/// The count of unacknowledged publishes, shared by a client and its driver task.
#[derive(Debug, Default)]
pub(crate) struct Acks {
    unacknowledged: AtomicUsize,
    acknowledged: Notify,
}

impl Acks {
    /// Counts a QoS 1 or 2 publish as waiting for its acknowledgement.
    pub(crate) fn expect(&self, qos: QoS) {
        if qos != QoS::AtMostOnce {
            self.unacknowledged.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Takes back [`expect`](Self::expect) for a publish that was never queued.
    pub(crate) fn cancel(&self, qos: QoS) {
        if qos != QoS::AtMostOnce {
            self.acknowledged();
        }
    }

    /// The broker acknowledged one publish.
    pub(crate) fn acknowledged(&self) {
        let _ = self
            .unacknowledged
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        self.acknowledged.notify_waiters();
    }

    /// Waits until nothing is unacknowledged, or until `timeout`; true if nothing is.
    pub(crate) async fn flush(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let woken = self.acknowledged.notified();
            if self.unacknowledged.load(Ordering::SeqCst) == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, woken).await.is_err() {
                return self.unacknowledged.load(Ordering::SeqCst) == 0;
            }
        }
    }
}
