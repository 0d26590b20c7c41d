//! `subscribe` calls made while disconnected, waiting for the SUBACK of the subscription the
//! driver makes once connected (paho flushes publishes buffered while disconnected as soon
//! as it connects, so returning before the SUBACK would lose messages published right after
//! `subscribe`).

use std::sync::Mutex;

use tokio::sync::oneshot;

use crate::error::Error;

type Waiter = (String, oneshot::Sender<Result<(), Error>>);

/// Filters waiting for their first SUBACK.
#[derive(Debug, Default)]
pub(crate) struct SubscribeWaiters(Mutex<Vec<Waiter>>);

impl SubscribeWaiters {
    /// Waits for the SUBACK of `filter`; the receiver fails when the client closes.
    pub(crate) fn wait(&self, filter: &str) -> oneshot::Receiver<Result<(), Error>> {
        let (tx, rx) = oneshot::channel();
        if let Ok(mut list) = self.0.lock() {
            list.push((filter.to_string(), tx));
        }
        rx
    }

    /// The broker answered a SUBSCRIBE for `filters`: `refused` are the filters it refused,
    /// with their codes. Wakes every waiter of those filters (waiters whose caller went away
    /// are dropped).
    pub(crate) fn answered(&self, filters: &[String], refused: &[(String, u8)]) {
        let Ok(mut list) = self.0.lock() else {
            return;
        };
        let (done, waiting): (Vec<Waiter>, Vec<Waiter>) =
            list.drain(..).partition(|(f, _)| filters.contains(f));
        *list = waiting;
        drop(list);
        for (filter, tx) in done {
            let outcome = match refused.iter().find(|(f, _)| *f == filter) {
                Some((_, code)) => Err(Error::SubscribeRefused {
                    filter,
                    code: *code,
                }),
                None => Ok(()),
            };
            let _ = tx.send(outcome);
        }
    }

    /// The client closed: every waiter gets [`Error::Closed`].
    pub(crate) fn close(&self) {
        if let Ok(mut list) = self.0.lock() {
            list.clear();
        }
    }
}
