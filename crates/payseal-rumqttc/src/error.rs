//! Errors of publishing and connecting.

use payseal_mqtt::adapter::PrepareError;

/// Why a publish did not happen. Nothing was sent when this is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The client has no sealer ([`Security::sealer`](crate::Security::sealer)).
    #[error("no sealer configured: this client cannot publish")]
    NoSealer,
    /// Sealing failed.
    #[error("sealing failed: {0}")]
    Seal(#[from] payseal::SealError),
    /// The sealed packet would exceed the maximum packet size. rumqttc would accept it and
    /// then lose the connection, so it is refused here.
    #[error("sealed packet is {actual} bytes, the maximum packet size is {limit}")]
    TooLarge {
        /// The maximum packet size in force: the configured one, or with MQTT 5 the
        /// broker's (from CONNACK) when it is smaller.
        limit: usize,
        /// The packet size the publish would have.
        actual: usize,
    },
    /// The client's request queue is closed (the client was disconnected).
    #[error("client closed: {0}")]
    Client(#[from] rumqttc::ClientError),
    /// The MQTT 5 client's request queue is closed.
    #[error("client closed: {0}")]
    ClientV5(String),
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
