//! Why a connection failed or dropped, typed: what [`Event::Disconnected`](crate::Event)
//! carries.

use std::error::Error as StdError;
use std::sync::Arc;

/// What kind of failure ended (or prevented) a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectionErrorKind {
    /// The network: the broker could not be reached, or the connection was reset or closed.
    Io,
    /// The broker did not answer in time (CONNACK, ping response, or a write).
    Timeout,
    /// The broker refused the connection (a CONNACK return or reason code; bad credentials,
    /// not authorized, an unacceptable client id, ...).
    Refused,
    /// The broker broke the MQTT protocol, or sent a packet the adapter refuses (above the
    /// maximum packet size, a topic that is not UTF-8 or holds a NUL); the adapter closed the
    /// connection.
    Protocol,
    /// Anything else the client library reported.
    Other,
}

/// Why a connection failed or dropped: a [`kind`](Self::kind) to decide on, and the client
/// library's own error (rumqttc's `ConnectionError`, paho's `Error`) through
/// [`downcast_ref`](Self::downcast_ref) where it can be shared between threads.
///
/// `Display` prints the client's message once; [`source`](StdError::source) is that
/// error's own cause, so a chain of causes never repeats a line.
///
/// ```
/// use payseal_mqtt::{ConnectionError, ConnectionErrorKind};
/// let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
/// let error = ConnectionError::new(ConnectionErrorKind::Io, refused);
/// assert_eq!(error.kind(), ConnectionErrorKind::Io);
/// assert!(error.downcast_ref::<std::io::Error>().is_some());
/// assert_eq!(error.to_string(), "connection refused");
/// ```
#[derive(Clone)]
pub struct ConnectionError {
    kind: ConnectionErrorKind,
    inner: Arc<dyn StdError + Send + Sync + 'static>,
}

impl ConnectionError {
    /// The client library's `error`, of `kind`.
    pub fn new(kind: ConnectionErrorKind, error: impl StdError + Send + Sync + 'static) -> Self {
        ConnectionError {
            kind,
            inner: Arc::new(error),
        }
    }

    /// An error the adapter itself describes (`message` is shown as given: escape anything
    /// a broker controls before passing it).
    ///
    /// ```
    /// use payseal_mqtt::{ConnectionError, ConnectionErrorKind};
    /// let e = ConnectionError::message(ConnectionErrorKind::Timeout, "no CONNACK within 5s");
    /// assert_eq!(e.to_string(), "no CONNACK within 5s");
    /// ```
    pub fn message(kind: ConnectionErrorKind, message: impl Into<String>) -> Self {
        Self::new(kind, Described(message.into()))
    }

    /// What kind of failure it was.
    pub fn kind(&self) -> ConnectionErrorKind {
        self.kind
    }

    /// The client library's error, if it is a `T` (for example
    /// `rumqttc::ConnectionError` from `payseal-rumqttc`).
    pub fn downcast_ref<T: StdError + 'static>(&self) -> Option<&T> {
        self.inner.downcast_ref::<T>()
    }
}

impl std::fmt::Display for ConnectionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.inner, f)
    }
}

impl std::fmt::Debug for ConnectionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionError")
            .field("kind", &self.kind)
            .field("error", &self.inner)
            .finish()
    }
}

impl StdError for ConnectionError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner.source()
    }
}

/// A message of the adapter's own.
#[derive(Debug)]
struct Described(String);

impl std::fmt::Display for Described {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Described {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn each_cause_is_printed_once() {
        let e = ConnectionError::new(
            ConnectionErrorKind::Io,
            Outer(std::io::Error::other("inner")),
        );
        assert_eq!(e.to_string(), "outer");
        assert_eq!(
            e.source().map(ToString::to_string).as_deref(),
            Some("inner")
        );
        assert!(e.downcast_ref::<Outer>().is_some());
        assert!(e.downcast_ref::<std::io::Error>().is_none());
    }
}
