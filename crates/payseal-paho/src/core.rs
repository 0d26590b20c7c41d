//! What both clients (MQTT 3.1.1 and 5) do, over one paho client and one driver task.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use payseal_mqtt::adapter::{ClientState, Framing};
use payseal_mqtt::{CONTENT_TYPE, DEFAULT_MAX_PACKET_SIZE, Event, QoS, Security};
use tokio::sync::{Semaphore, mpsc};

use crate::driver::{self, EVENT_QUEUE};
use crate::error::PublishError;
use crate::input_checks;
use crate::link::{self, Link, Version};
use crate::options::MqttOptions;
use crate::settle::{self, Pending};

/// A client handle: the paho link, the shared state and the in-flight window.
#[derive(Clone)]
pub(crate) struct Core {
    link: Arc<Link>,
    state: Arc<ClientState>,
    in_flight: Arc<Semaphore>,
    /// Publishes so far (the index of a [`Refusal`](payseal_mqtt::Refusal)).
    published: Arc<AtomicU64>,
}

impl Core {
    pub(crate) fn connect(
        options: MqttOptions,
        security: Security,
        version: Version,
    ) -> Result<(Self, mpsc::Receiver<Event>), paho_mqtt::Error> {
        input_checks::options(&options)?;
        let in_flight = Arc::new(Semaphore::new(options.max_in_flight));
        let state = ClientState::new(security, DEFAULT_MAX_PACKET_SIZE);
        let (link, incoming) = link::create(options, version, state.max_packet_size())?;
        let link = Arc::new(link);
        let (tx, rx) = mpsc::channel(EVENT_QUEUE);
        tokio::spawn(driver::drive(
            Arc::clone(&link),
            Arc::clone(&state),
            incoming,
            tx,
        ));
        let core = Core {
            link,
            state,
            in_flight,
            published: Arc::new(AtomicU64::new(0)),
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

    pub(crate) async fn publish(
        &self,
        topic: &str,
        qos: QoS,
        retain: bool,
        payload: &[u8],
    ) -> Result<(), PublishError> {
        let envelope = self
            .state
            .prepare_publish(topic, qos, retain, payload, self.framing())?;
        let index = self.published.fetch_add(1, Ordering::Relaxed) + 1;
        // One slot per publish awaiting confirmation, so paho's buffer never overflows.
        let _slot = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| PublishError::Client(paho_mqtt::Error::Disconnected))?;
        let message = self.link.message(topic, envelope, qos, retain);
        let pending = Pending {
            index,
            topic,
            qos,
            message,
        };
        settle::settle(&self.link, &self.state, pending).await
    }

    pub(crate) async fn subscribe(&self, filter: &str, qos: QoS) -> Result<(), paho_mqtt::Error> {
        input_checks::filter(filter)?;
        self.state.subscriptions().add(filter, qos);
        if !self.link.client.is_connected() {
            // The driver subscribes to every remembered filter when the connection is up.
            return Ok(());
        }
        let answer = self
            .link
            .client
            .subscribe(filter, i32::from(qos as u8))
            .await;
        if let Err(paho_mqtt::Error::ReasonCode(..)) = &answer {
            // Refused (SUBACK failure): not restored after a reconnect either.
            self.state.subscriptions().remove(filter);
        }
        answer.map(drop)
    }

    pub(crate) async fn unsubscribe(&self, filter: &str) -> Result<(), paho_mqtt::Error> {
        input_checks::filter(filter)?;
        self.state.subscriptions().remove(filter);
        if !self.link.client.is_connected() {
            return Ok(());
        }
        self.link.client.unsubscribe(filter).await.map(drop)
    }

    pub(crate) async fn disconnect(&self) -> Result<(), paho_mqtt::Error> {
        self.state.set_closing();
        self.in_flight.close();
        self.link.close();
        self.link.client.disconnect(None).await.map(drop)
    }

    pub(crate) fn max_packet_size(&self) -> usize {
        self.state.max_packet_size()
    }
}
