//! Connection options. The adapter builds paho's create and connect options from these at
//! every (re)connect, because it owns what must be fresh or fixed each time: the sealed will,
//! buffering, reconnects and the MQTT version.

use std::time::Duration;

/// Where and how to connect: the same shape as rumqttc's `MqttOptions`.
#[derive(Clone)]
pub struct MqttOptions {
    pub(crate) client_id: String,
    pub(crate) server_uri: String,
    pub(crate) keep_alive: Duration,
    pub(crate) clean_session: bool,
    pub(crate) credentials: Option<(String, String)>,
    pub(crate) connect_timeout: Duration,
    pub(crate) max_in_flight: usize,
    #[cfg(feature = "ssl")]
    pub(crate) ssl: Option<paho_mqtt::SslOptions>,
}

/// Publishes awaiting the broker's confirmation at once, per client, by default.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1024;

impl MqttOptions {
    /// Client `id` connecting to `host:port` over plain TCP (`tcp://host:port`), keep alive 60 s,
    /// clean session, connect timeout 30 s.
    pub fn new(id: impl Into<String>, host: impl Into<String>, port: u16) -> Self {
        let host = host.into();
        Self::with_server_uri(id, format!("tcp://{host}:{port}"))
    }

    /// Client `id` connecting to a paho server URI (`tcp://`, `mqtt://`; with the `ssl`
    /// feature also `ssl://` and `mqtts://`, which need `set_ssl_options`). Paho reaches a
    /// `tcp://` or `mqtt://` broker through the adapter's guard, which checks every packet
    /// from the broker before paho reads it; TLS and WebSocket URIs are not guarded (see the
    /// crate documentation).
    pub fn with_server_uri(id: impl Into<String>, uri: impl Into<String>) -> Self {
        MqttOptions {
            client_id: id.into(),
            server_uri: uri.into(),
            keep_alive: Duration::from_secs(60),
            clean_session: true,
            credentials: None,
            connect_timeout: Duration::from_secs(30),
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            #[cfg(feature = "ssl")]
            ssl: None,
        }
    }

    /// The keep-alive interval.
    pub fn set_keep_alive(&mut self, keep_alive: Duration) -> &mut Self {
        self.keep_alive = keep_alive;
        self
    }

    /// Whether the broker forgets the session at every connect (MQTT 3.1.1 clean session;
    /// with MQTT 5, clean start, and a session that expires one day after a disconnect when
    /// `false`).
    pub fn set_clean_session(&mut self, clean: bool) -> &mut Self {
        self.clean_session = clean;
        self
    }

    /// User name and password for the broker. Never printed by `Debug`.
    pub fn set_credentials(
        &mut self,
        user: impl Into<String>,
        password: impl Into<String>,
    ) -> &mut Self {
        self.credentials = Some((user.into(), password.into()));
        self
    }

    /// How long one connection attempt may take.
    pub fn set_connect_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.connect_timeout = timeout;
        self
    }

    /// How many publishes may await the broker's confirmation at once (at least 1); further
    /// publishes wait for a slot. Paho's own buffer is sized above it, so paho never refuses
    /// a publish for a full buffer.
    pub fn set_max_in_flight(&mut self, publishes: usize) -> &mut Self {
        self.max_in_flight = publishes.max(1);
        self
    }

    /// TLS settings for an `ssl://` or `mqtts://` server URI.
    #[cfg(feature = "ssl")]
    pub fn set_ssl_options(&mut self, ssl: paho_mqtt::SslOptions) -> &mut Self {
        self.ssl = Some(ssl);
        self
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
}

impl std::fmt::Debug for MqttOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password (rumqttc's and paho's option types both print theirs).
        f.debug_struct("MqttOptions")
            .field("client_id", &self.client_id)
            .field("server_uri", &self.server_uri)
            .field("keep_alive", &self.keep_alive)
            .field("clean_session", &self.clean_session)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|(user, _)| user),
            )
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let mut o = MqttOptions::new("dev-1", "127.0.0.1", 1883);
        o.set_credentials("fleet", "hunter2-secret");
        let shown = format!("{o:?}");
        assert!(shown.contains("fleet") && shown.contains("tcp://127.0.0.1:1883"));
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn the_in_flight_window_is_at_least_one() {
        let mut o = MqttOptions::new("dev-1", "127.0.0.1", 1883);
        o.set_max_in_flight(0);
        assert_eq!(o.max_in_flight, 1);
    }
}
