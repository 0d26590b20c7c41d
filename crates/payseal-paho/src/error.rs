//! Errors of publishing and subscribing.

use payseal_mqtt::adapter::PrepareError;

/// Why a publish did not complete. For every variant but [`Client`](Self::Client), nothing
/// was sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The client has no sealer ([`Security::sealer`](crate::Security::sealer)).
    #[error("no sealer configured: this client cannot publish")]
    NoSealer,
    /// Sealing failed.
    #[error("sealing failed: {0}")]
    Seal(#[from] payseal::SealError),
    /// The sealed packet would exceed the maximum packet size in force (the configured one,
    /// or with MQTT 5 the broker's from CONNACK when it is smaller). Paho would send it and
    /// the broker would drop the connection, so it is refused here.
    #[error("sealed packet is {actual} bytes, the maximum packet size is {limit}")]
    TooLarge {
        /// The maximum packet size in force.
        limit: usize,
        /// The packet size the publish would have.
        actual: usize,
    },
    /// Paho refused the publish or could not send it (e.g. the client was disconnected by
    /// the application before it was handed to paho).
    #[error("paho refused or could not send the message: {0}")]
    Client(paho_mqtt::Error),
    /// The application disconnected before the broker confirmed this QoS 1 or 2 message: it
    /// may or may not have arrived. (A connection lost meanwhile is no reason: the adapter
    /// sends the same envelope again after the reconnect, and `publish` waits for it.)
    #[error(
        "message {} on {} not confirmed by the broker before the client closed (it may or may \
         not have arrived)",
        .0.index,
        payseal_mqtt::escape_text(&.0.topic)
    )]
    Unconfirmed(payseal_mqtt::Unconfirmed),
    /// The broker refused the message (MQTT 5 PUBACK or PUBREC with a reason code of 0x80
    /// or more, e.g. 0x87 not authorized): it was not delivered. The reason string is escaped.
    #[error("{0}")]
    Refused(payseal_mqtt::Refusal),
}

impl From<paho_mqtt::Error> for PublishError {
    fn from(error: paho_mqtt::Error) -> Self {
        PublishError::Client(error)
    }
}

impl From<PrepareError> for PublishError {
    fn from(error: PrepareError) -> Self {
        match error {
            PrepareError::NoSealer => PublishError::NoSealer,
            PrepareError::Seal(e) => PublishError::Seal(e),
            PrepareError::TooLarge { limit, actual } => PublishError::TooLarge { limit, actual },
        }
    }
}
