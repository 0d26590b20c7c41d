//! payseal-rumqttc's `SecureClient` (MQTT 3.1.1) and `SecureClientV5`.

use payseal_mqtt::{Event, QoS, Security};
use payseal_rumqttc::{PublishError, SecureClient, SecureClientV5};
use tokio::sync::mpsc::Receiver;

use crate::{Adapter, Endpoint, Refusal};

/// Session expiry for a persistent MQTT 5 session.
const SESSION_EXPIRY_SECS: u32 = 86_400;

fn refusal(error: PublishError) -> Refusal {
    match error {
        PublishError::TooLarge { limit, actual } => Refusal::TooLarge { limit, actual },
        other => Refusal::Other(other.to_string()),
    }
}

/// rumqttc, MQTT 3.1.1.
#[derive(Debug)]
pub struct Rumqttc311;

impl Adapter for Rumqttc311 {
    type Client = SecureClient;
    const NAME: &'static str = "rumqttc MQTT 3.1.1";
    const MQTT5: bool = false;

    fn connect(endpoint: &Endpoint, security: Security) -> (SecureClient, Receiver<Event>) {
        let mut o = payseal_rumqttc::MqttOptions::new(&endpoint.id, "127.0.0.1", endpoint.port);
        o.set_keep_alive(endpoint.keep_alive);
        o.set_clean_session(endpoint.clean_session);
        SecureClient::connect(o, security)
    }

    async fn publish(
        client: &SecureClient,
        topic: &str,
        qos: QoS,
        retain: bool,
        payload: &[u8],
    ) -> Result<(), Refusal> {
        client
            .publish(topic, qos, retain, payload)
            .await
            .map_err(refusal)
    }

    async fn subscribe(client: &SecureClient, filter: &str, qos: QoS) -> Result<(), String> {
        client
            .subscribe(filter, qos)
            .await
            .map_err(|e| e.to_string())
    }

    async fn disconnect(client: &SecureClient) -> Result<(), String> {
        client.disconnect().await.map_err(|e| e.to_string())
    }
}

/// rumqttc, MQTT 5.
#[derive(Debug)]
pub struct Rumqttc5;

impl Adapter for Rumqttc5 {
    type Client = SecureClientV5;
    const NAME: &'static str = "rumqttc MQTT 5";
    const MQTT5: bool = true;

    fn connect(endpoint: &Endpoint, security: Security) -> (SecureClientV5, Receiver<Event>) {
        let mut o = rumqttc::v5::MqttOptions::new(&endpoint.id, "127.0.0.1", endpoint.port);
        o.set_keep_alive(endpoint.keep_alive);
        o.set_clean_start(endpoint.clean_session);
        if !endpoint.clean_session {
            o.set_session_expiry_interval(Some(SESSION_EXPIRY_SECS));
        }
        SecureClientV5::connect(o, security)
    }

    async fn publish(
        client: &SecureClientV5,
        topic: &str,
        qos: QoS,
        retain: bool,
        payload: &[u8],
    ) -> Result<(), Refusal> {
        client
            .publish(topic, qos, retain, payload)
            .await
            .map_err(refusal)
    }

    async fn subscribe(client: &SecureClientV5, filter: &str, qos: QoS) -> Result<(), String> {
        client
            .subscribe(filter, qos)
            .await
            .map_err(|e| e.to_string())
    }

    async fn disconnect(client: &SecureClientV5) -> Result<(), String> {
        client.disconnect().await.map_err(|e| e.to_string())
    }
}
