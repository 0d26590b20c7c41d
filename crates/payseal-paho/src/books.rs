//! What became of publishes nobody waits for any more: those handed over by `try_publish`,
//! and those whose `publish` future was dropped. Their outcome is `flush`'s answer, as with
//! payseal-rumqttc, so a cancelled publish never leaves `flush` waiting forever.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use payseal_mqtt::{Refusal, Unconfirmed, Undelivered};
use tokio::sync::Notify;

use crate::error::Error;

#[derive(Debug, Default)]
struct Inner {
    /// Publishes handed to paho and not settled yet: index -> topic.
    in_flight: BTreeMap<u64, String>,
    /// Outcomes of settled publishes nobody waited for, not yet reported by `flush`.
    refused: Vec<Refusal>,
    unconfirmed: Vec<Unconfirmed>,
}

/// The client's publishes in flight, and the unreported outcomes.
#[derive(Debug, Default)]
pub(crate) struct Books {
    inner: Mutex<Inner>,
    changed: Notify,
}

impl Books {
    /// Publish `index` on `topic` is handed to paho.
    pub(crate) fn begin(&self, index: u64, topic: &str) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.in_flight.insert(index, topic.to_string());
        }
    }

    /// Publish `index` settled; `unreported` is its outcome when nobody waited for it.
    pub(crate) fn end(&self, index: u64, unreported: Option<Error>) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.in_flight.remove(&index);
            match unreported {
                Some(Error::Refused(refusal)) => inner.refused.push(refusal),
                Some(Error::Unconfirmed(unconfirmed)) => inner.unconfirmed.push(unconfirmed),
                Some(other) => tracing::warn!(index, "a publish nobody waited for failed: {other}"),
                None => {}
            }
        }
        self.changed.notify_waiters();
    }

    /// Waits until no publish is in flight, or until `timeout`.
    ///
    /// # Errors
    /// [`Undelivered`]: unreported refusals and unconfirmed messages, and what is still in
    /// flight at `timeout`.
    pub(crate) async fn flush(&self, timeout: Duration) -> Result<(), Undelivered> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let woken = self.changed.notified();
            let timed_out = tokio::time::Instant::now() >= deadline;
            {
                let Ok(mut inner) = self.inner.lock() else {
                    return Err(Undelivered::default());
                };
                if inner.in_flight.is_empty() || timed_out {
                    let mut unconfirmed = std::mem::take(&mut inner.unconfirmed);
                    unconfirmed.extend(inner.in_flight.iter().map(|(index, topic)| Unconfirmed {
                        index: *index,
                        topic: topic.clone(),
                    }));
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
    async fn unreported_outcomes_come_out_once_and_in_flight_ones_at_timeout() {
        let books = Books::default();
        books.begin(1, "a");
        books.begin(2, "b");
        books.end(1, Some(Error::Refused(Refusal::new(1, "a", 0x87, None))));
        let e = books.flush(Duration::from_millis(10)).await.unwrap_err();
        assert_eq!(e.refused.len(), 1);
        assert_eq!(e.unconfirmed.len(), 1);
        assert_eq!(e.unconfirmed.first().map(|u| u.index), Some(2));
        books.end(2, None);
        books.flush(Duration::from_millis(10)).await.unwrap();
    }
}
