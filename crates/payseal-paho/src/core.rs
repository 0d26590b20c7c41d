//! What both clients (MQTT 3.1.1 and 5) do, over one paho client and one driver task.
//!
//! Cancel safety: a `publish` dropped before it sealed or while waiting for a slot of the
//! in-flight window did nothing. Once it has a slot, the message is handed to paho by a task
//! of its own that keeps the slot until the broker settled it (resending it after a lost
//! session as usual); a dropped caller only stops waiting, and the outcome goes to `flush`.
//! A `subscribe` dropped while waiting for its first SUBACK leaves the filter recorded: it is
//! subscribed at the next connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use payseal_mqtt::adapter::{ClientState, Framing};
use payseal_mqtt::{CONTENT_TYPE, DEFAULT_MAX_PACKET_SIZE, Event, QoS, Security, Undelivered};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use crate::books::Books;
use crate::builder::Queues;
use crate::driver;
use crate::error::Error;
use crate::input_checks;
use crate::link::{self, Link, Version};
use crate::options::MqttOptions;
use crate::settle::{self, Pending};
use crate::waiters::SubscribeWaiters;

/// A client handle: the paho link, the shared state and the in-flight window.
#[derive(Clone)]
pub(crate) struct Core {
    link: Arc<Link>,
    state: Arc<ClientState>,
    in_flight: Arc<Semaphore>,
    /// Publishes so far (the index of a [`Refusal`](payseal_mqtt::Refusal)).
    published: Arc<AtomicU64>,
    books: Arc<Books>,
    waiters: Arc<SubscribeWaiters>,
}

impl Core {
    pub(crate) fn connect(
        mut options: MqttOptions,
        security: Security,
        version: Version,
        queues: Queues,
    ) -> Result<(Self, mpsc::Receiver<Event>), Error> {
        if let Some(window) = queues.in_flight {
            options.set_max_in_flight(window);
        }
        input_checks::options(&options)?;
        let in_flight = Arc::new(Semaphore::new(options.max_in_flight));
        let state = ClientState::new(security, DEFAULT_MAX_PACKET_SIZE);
        let (link, incoming) = link::create(options, version, state.max_packet_size())?;
        let link = Arc::new(link);
        let waiters = Arc::new(SubscribeWaiters::default());
        let (tx, rx) = mpsc::channel(queues.events);
        tokio::spawn(driver::drive(
            Arc::clone(&link),
            Arc::clone(&state),
            Arc::clone(&waiters),
            incoming,
            tx,
        ));
        let core = Core {
            link,
            state,
            in_flight,
            published: Arc::new(AtomicU64::new(0)),
            books: Arc::new(Books::default()),
            waiters,
        };
        Ok((core, rx))
    }

    fn framing(&self) -> Framing {
        match self.link.version {
            Version::V311 => Framing::V311,
            Version::V5 => Framing::V5 {
                content_type: CONTENT_TYPE,
            },
        }
    }

    /// `Closed` once the application disconnected or the driver stopped.
    fn open(&self) -> Result<(), Error> {
        if self.state.is_closing() {
            Err(Error::Closed)
        } else {
            Ok(())
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
            .prepare_publish(&topic, qos, retain, payload, self.framing())?;
        // One slot per publish awaiting confirmation, so paho's buffer never overflows.
        let slot = Arc::clone(&self.in_flight)
            .acquire_owned()
            .await
            .map_err(|_| Error::Closed)?;
        let (tx, rx) = oneshot::channel();
        self.hand_over(slot, topic, qos, retain, envelope, Some(tx));
        rx.await.unwrap_or(Err(Error::Closed))
    }

    pub(crate) fn try_publish(
        &self,
        topic: String,
        qos: QoS,
        retain: bool,
        payload: &[u8],
    ) -> Result<(), Error> {
        self.open()?;
        let slot = Arc::clone(&self.in_flight)
            .try_acquire_owned()
            .map_err(|e| match e {
                tokio::sync::TryAcquireError::Closed => Error::Closed,
                tokio::sync::TryAcquireError::NoPermits => Error::QueueFull,
            })?;
        let envelope = self
            .state
            .prepare_publish(&topic, qos, retain, payload, self.framing())?;
        self.hand_over(slot, topic, qos, retain, envelope, None);
        Ok(())
    }

    /// Hands the sealed message to paho in a task of its own, which holds `slot` until the
    /// message is settled and sends the outcome to `caller`, or to the books for `flush`
    /// when nobody waits for it.
    fn hand_over(
        &self,
        slot: OwnedSemaphorePermit,
        topic: String,
        qos: QoS,
        retain: bool,
        envelope: Vec<u8>,
        caller: Option<oneshot::Sender<Result<(), Error>>>,
    ) {
        let index = self.published.fetch_add(1, Ordering::Relaxed) + 1;
        self.books.begin(index, &topic);
        let (link, state, books) = (
            Arc::clone(&self.link),
            Arc::clone(&self.state),
            Arc::clone(&self.books),
        );
        tokio::spawn(async move {
            let _slot = slot;
            let message = link.message(&topic, envelope, qos, retain);
            let pending = Pending {
                index,
                topic: &topic,
                qos,
                message,
            };
            let outcome = settle::settle(&link, &state, pending).await;
            let unreported = match caller {
                Some(caller) => caller.send(outcome).err().and_then(Result::err),
                None => outcome.err(),
            };
            books.end(index, unreported);
        });
    }

    pub(crate) async fn flush(&self, timeout: std::time::Duration) -> Result<(), Undelivered> {
        self.books.flush(timeout).await
    }

    pub(crate) async fn subscribe(&self, filter: String, qos: QoS) -> Result<(), Error> {
        self.open()?;
        input_checks::filter(&filter)?;
        let first_suback = self.waiters.wait(&filter);
        self.state.subscriptions().add(&filter, qos);
        if !self.link.client.is_connected() {
            // The driver subscribes to every recorded filter once connected, and wakes us
            // with the broker's answer.
            return first_suback.await.unwrap_or(Err(Error::Closed));
        }
        drop(first_suback);
        let answer = self
            .link
            .client
            .subscribe(filter.as_str(), i32::from(qos as u8))
            .await;
        match answer {
            Ok(_) => Ok(()),
            Err(paho_mqtt::Error::ReasonCode(code, _)) => {
                // Refused (SUBACK failure): not restored after a reconnect either.
                self.state.subscriptions().remove(&filter);
                Err(Error::SubscribeRefused {
                    filter,
                    code: code as u8,
                })
            }
            Err(paho_mqtt::Error::Failure) => {
                self.state.subscriptions().remove(&filter);
                Err(Error::SubscribeRefused { filter, code: 0x80 })
            }
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) async fn unsubscribe(&self, filter: String) -> Result<(), Error> {
        self.open()?;
        input_checks::filter(&filter)?;
        self.state.subscriptions().remove(&filter);
        if !self.link.client.is_connected() {
            return Ok(());
        }
        Ok(self
            .link
            .client
            .unsubscribe(filter.as_str())
            .await
            .map(drop)?)
    }

    pub(crate) async fn disconnect(&self) -> Result<(), Error> {
        self.open()?;
        tracing::info!("disconnecting");
        self.state.set_closing();
        self.in_flight.close();
        self.waiters.close();
        self.link.close();
        Ok(self.link.client.disconnect(None).await.map(drop)?)
    }

    pub(crate) fn max_packet_size(&self) -> usize {
        self.state.max_packet_size()
    }
}
