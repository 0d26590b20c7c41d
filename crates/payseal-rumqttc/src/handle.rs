//! What both async clients (MQTT 3.1.1 and 5) do with a call, over the request queue of
//! their rumqttc client: seal, book, queue, and keep the books right when the caller stops
//! waiting.
//!
//! Cancel safety: a `publish` or `subscribe` waits for its turn (the order lock) and then for
//! room in rumqttc's request queue. Dropped while waiting for its turn, nothing happened.
//! Once it has its turn, a publish that finds room is booked and queued at once, with no await
//! in between; otherwise the rest (booking and queueing) runs in a task of its own that holds
//! the turn until rumqttc has the request: dropping the caller's future no longer recalls it,
//! and the books ([`Outbox`], [`SubAcks`]) match what rumqttc was given, so `flush` is never
//! left waiting for a publish that was never queued. At most one such task runs per client.

use std::future::Future;
use std::sync::Arc;

use payseal_mqtt::QoS;
use payseal_mqtt::adapter::{ClientState, Framing};

use crate::error::Error;
use crate::outbox::Outbox;
use crate::subacks::SubAcks;

/// One protocol version's rumqttc client, as the handle needs it.
pub(crate) trait Requests: Clone + Send + Sync + 'static {
    /// How a sealed PUBLISH is framed (for its exact size).
    const FRAMING: Framing;
    /// Queues a PUBLISH of `envelope`, waiting for room.
    fn publish(
        &self,
        topic: String,
        qos: QoS,
        retain: bool,
        envelope: Vec<u8>,
    ) -> impl Future<Output = Result<(), Error>> + Send;
    /// Queues a PUBLISH of `envelope` if there is room; gives the envelope back if not.
    fn try_publish(
        &self,
        topic: String,
        qos: QoS,
        retain: bool,
        envelope: Vec<u8>,
    ) -> Result<(), NotQueued>;
    /// Queues a SUBSCRIBE, waiting for room.
    fn subscribe(&self, filter: String, qos: QoS)
    -> impl Future<Output = Result<(), Error>> + Send;
    /// Queues an UNSUBSCRIBE, waiting for room.
    fn unsubscribe(&self, filter: String) -> impl Future<Output = Result<(), Error>> + Send;
    /// Queues a DISCONNECT, waiting for room.
    fn disconnect(&self) -> impl Future<Output = Result<(), Error>> + Send;
}

/// Why [`Requests::try_publish`] queued nothing.
pub(crate) enum NotQueued {
    /// No room in the request queue (or the event loop is gone): the envelope, to be queued
    /// by waiting instead.
    Full(Vec<u8>),
    /// rumqttc refused the request.
    Failed(Error),
}

/// A client handle: the rumqttc client and the books it shares with its driver task.
#[derive(Clone)]
pub(crate) struct Handle<R> {
    pub(crate) requests: R,
    pub(crate) state: Arc<ClientState>,
    pub(crate) outbox: Arc<Outbox>,
    pub(crate) subacks: Arc<SubAcks>,
}

impl<R: Requests> Handle<R> {
    /// `Closed` once the application disconnected or the driver stopped.
    fn open(&self) -> Result<(), Error> {
        if self.state.is_closing() {
            Err(Error::Closed)
        } else {
            Ok(())
        }
    }

    /// A queueing failure: `Closed` when the client closed meanwhile.
    fn failed(&self, error: Error) -> Error {
        if self.state.is_closing() {
            Error::Closed
        } else {
            error
        }
    }

    pub(crate) async fn publish(
        &self,
        topic: String,
        qos: QoS,
        retain: bool,
        payload: &[u8],
    ) -> Result<(), Error> {
        self.open()?;
        let envelope = self
            .state
            .prepare_publish(&topic, qos, retain, payload, R::FRAMING)?;
        let turn = Arc::clone(&self.outbox.order).lock_owned().await;
        // Room in the request queue (the usual case): booked and queued with no await in
        // between, so nothing can be cancelled halfway and no task is needed.
        let index = self.outbox.register(&topic, qos, retain, &envelope);
        let envelope = match self
            .requests
            .try_publish(topic.clone(), qos, retain, envelope)
        {
            Ok(()) => return Ok(()),
            Err(NotQueued::Full(envelope)) => envelope,
            Err(NotQueued::Failed(e)) => {
                self.outbox.cancel(index);
                return Err(self.failed(e));
            }
        };
        let this = self.clone();
        let queued = tokio::spawn(async move {
            let _turn = turn;
            let sent = this.requests.publish(topic, qos, retain, envelope).await;
            if let Err(e) = sent {
                this.outbox.cancel(index);
                return Err(this.failed(e));
            }
            Ok(())
        });
        queued.await.unwrap_or(Err(Error::Closed))
    }

    pub(crate) fn try_publish(
        &self,
        topic: String,
        qos: QoS,
        retain: bool,
        payload: &[u8],
    ) -> Result<(), Error> {
        self.open()?;
        // Another publish waiting for room holds the turn: the queue is full.
        let _turn = self.outbox.order.try_lock().map_err(|_| Error::QueueFull)?;
        let envelope = self
            .state
            .prepare_publish(&topic, qos, retain, payload, R::FRAMING)?;
        let index = self.outbox.register(&topic, qos, retain, &envelope);
        self.requests
            .try_publish(topic, qos, retain, envelope)
            .map_err(|e| {
                self.outbox.cancel(index);
                match e {
                    NotQueued::Full(_) => self.failed(Error::QueueFull),
                    NotQueued::Failed(e) => self.failed(e),
                }
            })
    }

    pub(crate) async fn subscribe(&self, filter: String, qos: QoS) -> Result<(), Error> {
        self.open()?;
        let turn = Arc::clone(&self.subacks.order).lock_owned().await;
        let this = self.clone();
        let queued = tokio::spawn(async move {
            let _turn = turn;
            this.state.subscriptions().add(&filter, qos);
            this.subacks.queued(vec![filter.clone()]);
            let sent = this.requests.subscribe(filter.clone(), qos).await;
            if let Err(e) = sent {
                this.subacks.cancel_last();
                this.state.subscriptions().remove(&filter);
                return Err(this.failed(e));
            }
            Ok(())
        });
        queued.await.unwrap_or(Err(Error::Closed))
    }

    pub(crate) async fn unsubscribe(&self, filter: String) -> Result<(), Error> {
        self.open()?;
        // Forgotten at once: nothing more is delivered on it, whether or not the
        // UNSUBSCRIBE is queued before the caller stops waiting.
        self.state.subscriptions().remove(&filter);
        self.requests
            .unsubscribe(filter)
            .await
            .map_err(|e| self.failed(e))
    }

    pub(crate) async fn disconnect(&self) -> Result<(), Error> {
        self.open()?;
        // Closing from here on, even if the caller stops waiting for the DISCONNECT to be
        // queued: later calls return `Closed`, and the driver stops at the next error.
        self.state.set_closing();
        tracing::info!("disconnecting");
        self.requests.disconnect().await
    }
}
