//! The one error type of every client method (publish, subscribe, unsubscribe, disconnect,
//! connect through the builder).

use payseal_mqtt::adapter::PrepareError;

/// Why a client call did not happen. Nothing was sent when this is returned. `Display`
/// shows the whole story, the wrapped error's message included, and
/// [`source`](std::error::Error::source) is `None`, so a chain of causes never repeats it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client has no sealer ([`Security::sealer`](crate::Security::sealer)).
    #[error("no sealer configured: this client cannot publish")]
    NoSealer,
    /// Sealing failed.
    #[error("sealing failed: {0}")]
    Seal(payseal::SealError),
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
    /// The application disconnected this client (or dropped its event stream): it sends
    /// nothing more.
    #[error("the client is closed")]
    Closed,
    /// `try_publish`, `try_subscribe`: the request queue is full (no broker connection, or
    /// a broker slower than the application); nothing was queued.
    #[error("the request queue is full")]
    QueueFull,
    /// The builder's `connect` was called outside a Tokio runtime.
    #[error("connect must be called inside a Tokio runtime")]
    NoRuntime,
    /// rumqttc refused the request (MQTT 3.1.1 client; boxed: it holds the whole request).
    #[error("rumqttc refused the request: {0}")]
    Client(Box<rumqttc::ClientError>),
    /// rumqttc refused the request (MQTT 5 client; boxed: it holds the whole request).
    #[error("rumqttc refused the request: {0}")]
    ClientV5(Box<rumqttc::v5::ClientError>),
}

/// The error of `publish`: the same type as every other client method's.
pub type PublishError = Error;

impl From<PrepareError> for Error {
    fn from(error: PrepareError) -> Self {
        match error {
            PrepareError::NoSealer => Error::NoSealer,
            PrepareError::Seal(e) => Error::Seal(e),
            PrepareError::TooLarge { limit, actual } => Error::TooLarge { limit, actual },
        }
    }
}

impl From<payseal::SealError> for Error {
    fn from(error: payseal::SealError) -> Self {
        Error::Seal(error)
    }
}

impl From<rumqttc::ClientError> for Error {
    fn from(error: rumqttc::ClientError) -> Self {
        Error::Client(Box::new(error))
    }
}

impl From<rumqttc::v5::ClientError> for Error {
    fn from(error: rumqttc::v5::ClientError) -> Self {
        Error::ClientV5(Box::new(error))
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn a_wrapped_error_is_printed_once() {
        let e = Error::from(payseal::SealError::InvalidTopic);
        assert_eq!(e.to_string(), "sealing failed: invalid topic name");
        assert!(e.source().is_none(), "the cause would be printed twice");
        let request = rumqttc::Request::Disconnect(rumqttc::Disconnect);
        let e = Error::from(rumqttc::ClientError::TryRequest(request));
        let inner =
            rumqttc::ClientError::TryRequest(rumqttc::Request::Disconnect(rumqttc::Disconnect))
                .to_string();
        assert_eq!(e.to_string().matches(&inner).count(), 1);
        assert!(e.source().is_none());
    }
}
