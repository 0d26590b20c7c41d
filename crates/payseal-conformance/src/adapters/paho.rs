//! payseal-paho's `SecureClient` (MQTT 3.1.1) and `SecureClientV5`.

use payseal_mqtt::{Event, QoS, Security};
use payseal_paho::{MqttOptions, PublishError, SecureClient, SecureClientV5};
use tokio::sync::mpsc::Receiver;

use crate::{Adapter, Endpoint, Refusal};

fn refusal(error: PublishError) -> Refusal {
    match error {
        PublishError::TooLarge { limit, actual } => Refusal::TooLarge { limit, actual },
        other => Refusal::Other(other.to_string()),
    }
}

fn options(endpoint: &Endpoint) -> MqttOptions {
    let mut o = MqttOptions::new(&endpoint.id, "127.0.0.1", endpoint.port);
    o.set_keep_alive(endpoint.keep_alive)
        .set_clean_session(endpoint.clean_session);
    o
}

macro_rules! paho_adapter {
    ($(#[$doc:meta])* $name:ident, $client:ty, $label:literal, $mqtt5:literal) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;

        impl Adapter for $name {
            type Client = $client;
            const NAME: &'static str = $label;
            const MQTT5: bool = $mqtt5;

            fn connect(endpoint: &Endpoint, security: Security) -> ($client, Receiver<Event>) {
                <$client>::connect(options(endpoint), security).expect("paho accepts the options")
            }

            async fn publish(
                client: &$client,
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

            async fn subscribe(client: &$client, filter: &str, qos: QoS) -> Result<(), String> {
                client.subscribe(filter, qos).await.map_err(|e| e.to_string())
            }

            async fn disconnect(client: &$client) -> Result<(), String> {
                client.disconnect().await.map_err(|e| e.to_string())
            }
        }
    };
}

paho_adapter!(
    /// paho, MQTT 3.1.1.
    Paho311,
    SecureClient,
    "paho MQTT 3.1.1",
    false
);
paho_adapter!(
    /// paho, MQTT 5.
    Paho5,
    SecureClientV5,
    "paho MQTT 5",
    true
);
