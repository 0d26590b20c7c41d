//! The one error type of every client method (publish, subscribe, unsubscribe, disconnect,
//! connect).

use payseal_mqtt::adapter::PrepareError;

/// Why a client call did not complete. For every variant but [`Client`](Self::Client),
/// nothing was sent. `Display` shows the whole story, the wrapped error's message included,
/// and [`source`](std::error::Error::source) is `None`, so a chain never repeats it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client has no sealer ([`Security::sealer`](crate::Security::sealer)).
    #[error("no sealer configured: this client cannot publish")]
    NoSealer,
    /// Sealing failed.
    #[error("sealing failed: {0}")]
    Seal(payseal::SealError),
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
    #[error("paho refused or could not send the request: {0}")]
    Client(paho_mqtt::Error),
    /// The application disconnected this client (or dropped its event stream): it sends
    /// nothing more.
    #[error("the client is closed")]
    Closed,
    /// `try_publish`: every slot of the in-flight window is taken
    /// ([`MqttOptions::set_max_in_flight`](crate::MqttOptions::set_max_in_flight)); nothing
    /// was sealed or sent.
    #[error("the in-flight window is full")]
    QueueFull,
    /// The builder's `connect` was called outside a Tokio runtime.
    #[error("connect must be called inside a Tokio runtime")]
    NoRuntime,
    /// The broker refused a subscription (SUBACK failure code; MQTT 3.1.1 has only 0x80).
    /// The filter is forgotten.
    #[error(
        "the broker refused the subscription to {} (code 0x{code:02x})",
        payseal_mqtt::escape_text(filter)
    )]
    SubscribeRefused {
        /// The refused filter.
        filter: String,
        /// The SUBACK reason code.
        code: u8,
    },
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

/// The error of `publish`: the same type as every other client method's.
pub type PublishError = Error;

impl From<paho_mqtt::Error> for Error {
    fn from(error: paho_mqtt::Error) -> Self {
        Error::Client(error)
    }
}

impl From<payseal::SealError> for Error {
    fn from(error: payseal::SealError) -> Self {
        Error::Seal(error)
    }
}

impl From<PrepareError> for Error {
    fn from(error: PrepareError) -> Self {
        match error {
            PrepareError::NoSealer => Error::NoSealer,
            PrepareError::Seal(e) => Error::Seal(e),
            PrepareError::TooLarge { limit, actual } => Error::TooLarge { limit, actual },
        }
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
        let e = Error::from(paho_mqtt::Error::Disconnected);
        let inner = paho_mqtt::Error::Disconnected.to_string();
        assert_eq!(e.to_string().matches(&inner).count(), 1);
        assert!(e.source().is_none());
    }
}
