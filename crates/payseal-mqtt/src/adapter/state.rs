//! The state a client handle and its network task share: the sealer (its own lock, so
//! publishing never waits for verification), the security settings, packet size limits,
//! subscriptions and the closing flag.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use payseal::{Rejection, SealError};

use crate::adapter::{
    Subscriptions, effective_limit, envelope_properties_len, publish_v4, publish_v5,
};
use crate::event::{Event, classify};
use crate::security::{EnvelopeSealer, SealedWill, Security};
use crate::{QoS, RejectedMessage, RejectionHook};

mod batch;

pub use batch::{Incoming, PreparedBatch};

/// Why a sealed publish could not be prepared. Nothing was sent; adapters fold this into
/// their own publish error (exhaustively: a new reason here must be handled there).
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// The client has no sealer ([`Security::sealer`]).
    #[error("no sealer configured: this client cannot publish")]
    NoSealer,
    /// Sealing failed.
    #[error("sealing failed: {0}")]
    Seal(#[from] SealError),
    /// The sealed packet would exceed the maximum packet size in force.
    #[error("sealed packet is {actual} bytes, the maximum packet size is {limit}")]
    TooLarge {
        /// The limit in force (the configured one, or the broker's if smaller).
        limit: usize,
        /// The packet size the publish would have.
        actual: usize,
    },
}

/// How the adapter frames a PUBLISH, for its exact size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// MQTT 3.1.1: no properties.
    V311,
    /// MQTT 5 with the envelope properties (payload format indicator and this content type).
    V5 {
        /// The content type property's value.
        content_type: &'static str,
    },
}

/// State shared by a client handle and its network task.
pub struct ClientState {
    sealer: Mutex<Option<Box<dyn EnvelopeSealer>>>,
    /// Its own lock: a slow hook never holds up publishing or the security settings.
    on_rejected: Mutex<Option<Box<dyn RejectionHook>>>,
    security: Mutex<Security>,
    max_packet_size: usize,
    /// The maximum packet size the broker announced in its last CONNACK (0: none; MQTT 5).
    broker_max_packet_size: AtomicUsize,
    closing: AtomicBool,
    subscriptions: Subscriptions,
}

impl ClientState {
    /// Takes the sealer out of `security` (it gets its own lock) and fixes the maximum packet
    /// size: the one set with [`Security::max_packet_size`], else `default_max_packet_size`.
    pub fn new(mut security: Security, default_max_packet_size: usize) -> Arc<Self> {
        let max_packet_size = security.max_packet_size.unwrap_or(default_max_packet_size);
        Arc::new(ClientState {
            sealer: Mutex::new(security.sealer.take()),
            on_rejected: Mutex::new(security.on_rejected.take()),
            security: Mutex::new(security),
            max_packet_size,
            broker_max_packet_size: AtomicUsize::new(0),
            closing: AtomicBool::new(false),
            subscriptions: Subscriptions::default(),
        })
    }

    /// The configured maximum packet size, both ways.
    pub fn max_packet_size(&self) -> usize {
        self.max_packet_size
    }

    /// Records the broker's maximum packet size from a CONNACK (0: none announced).
    pub fn set_broker_max_packet_size(&self, bytes: usize) {
        self.broker_max_packet_size.store(bytes, Ordering::SeqCst);
    }

    /// The limit in force for `framing`: with MQTT 5, the broker's if it is smaller.
    pub fn limit(&self, framing: Framing) -> usize {
        match framing {
            Framing::V311 => self.max_packet_size,
            Framing::V5 { .. } => effective_limit(
                self.max_packet_size,
                self.broker_max_packet_size.load(Ordering::SeqCst),
            ),
        }
    }

    /// Seals `payload` for `topic` (in the caller's task) and checks the exact size of the
    /// PUBLISH packet it will travel in against the limit in force.
    ///
    /// # Errors
    /// [`PrepareError`]; nothing may be sent then.
    pub fn prepare(
        &self,
        topic: &str,
        qos: QoS,
        payload: &[u8],
        framing: Framing,
    ) -> Result<Vec<u8>, PrepareError> {
        self.prepare_publish(topic, qos, false, payload, framing)
    }

    /// Like [`prepare`](Self::prepare) for a publish with the MQTT `retain` flag: a retained
    /// publish is sealed as retained state ([`payseal::MessageKind::Retained`]), the only way
    /// receivers give it their retained limit.
    ///
    /// # Errors
    /// [`PrepareError`]; nothing may be sent then.
    pub fn prepare_publish(
        &self,
        topic: &str,
        qos: QoS,
        retain: bool,
        payload: &[u8],
        framing: Framing,
    ) -> Result<Vec<u8>, PrepareError> {
        let kind = if retain {
            payseal::MessageKind::Retained
        } else {
            payseal::MessageKind::Live
        };
        // The sealer is held only to number the envelope; signing happens after, so that
        // publishers on several threads sign in parallel.
        let prepared = {
            let mut sealer = self.sealer.lock().map_err(|_| PrepareError::NoSealer)?;
            let sealer = sealer.as_mut().ok_or(PrepareError::NoSealer)?;
            sealer.prepare_kind(topic, payload, kind)?
        };
        let envelope = prepared.stamp()?;
        let actual = match framing {
            Framing::V311 => publish_v4(topic, qos, envelope.len()),
            Framing::V5 { content_type } => publish_v5(
                topic,
                qos,
                envelope_properties_len(content_type),
                envelope.len(),
            ),
        };
        let limit = self.limit(framing);
        if actual > limit {
            return Err(PrepareError::TooLarge { limit, actual });
        }
        Ok(envelope)
    }

    /// Opens one incoming PUBLISH and classifies it; `None` only if a thread panicked while
    /// holding the security settings (the network task should stop then). A topic that
    /// matches none of the application's subscriptions is refused first, as
    /// [`Rejection::NotSubscribed`], without opening the envelope (so it costs no signature
    /// check and leaves the replay window untouched).
    ///
    /// Every judged message is counted ([`crate::metrics`]) and every refused one goes to the
    /// [`RejectionHook`], if one is set.
    pub fn classify(&self, topic: &str, payload: &[u8], retain: bool, qos: QoS) -> Option<Event> {
        if !self.subscriptions.matches(topic) {
            return Some(self.judged(
                Event::Rejected {
                    topic: topic.to_string(),
                    reason: Rejection::NotSubscribed,
                },
                payload,
                None,
            ));
        }
        let (event, elapsed) = {
            let mut security = self.security.lock().ok()?;
            let started = Instant::now();
            let event = classify(&mut security, topic, payload, retain, qos);
            (event, started.elapsed())
        };
        Some(self.judged(event, payload, Some(elapsed)))
    }

    /// Counts `event` and hands a refusal to the hook (after the security lock is released).
    fn judged(&self, event: Event, payload: &[u8], opened: Option<Duration>) -> Event {
        crate::metrics::record(&event, opened);
        if let Event::Rejected { topic, reason } = &event
            && let Ok(mut hook) = self.on_rejected.lock()
            && let Some(hook) = hook.as_mut()
        {
            hook.rejected(&RejectedMessage {
                topic,
                payload,
                reason,
            });
        }
        event
    }

    /// As [`classify`](Self::classify), for a topic as the bytes on the wire (MQTT 5 clients
    /// that hand them over unchecked). A topic that is not valid UTF-8 is refused as
    /// [`Rejection::InvalidTopic`](payseal::Rejection::InvalidTopic) (spec/envelope.md step
    /// 2), never repaired into a different topic: a lossy conversion would let a broker
    /// deliver a message sealed for `plant/\u{fffd}` on the bytes `plant/\xff`.
    pub fn classify_bytes(
        &self,
        topic: &[u8],
        payload: &[u8],
        retain: bool,
        qos: QoS,
    ) -> Option<Event> {
        match std::str::from_utf8(topic) {
            Ok(topic) => self.classify(topic, payload, retain, qos),
            Err(_) => Some(self.judged(
                Event::Rejected {
                    topic: crate::escape_bytes(topic),
                    reason: payseal::Rejection::InvalidTopic,
                },
                payload,
                None,
            )),
        }
    }

    /// Seals the configured will for the next connection; `None` without a will.
    ///
    /// # Errors
    /// [`SealError`] (the adapter then connects without a will, and says so).
    pub fn seal_will(&self) -> Option<Result<SealedWill, SealError>> {
        let mut security = self.security.lock().ok()?;
        security.will.as_mut().map(|will| will.seal())
    }

    /// How often the adapter re-seals and re-registers the will while connected
    /// ([`Will::refresh_every`](crate::Will::refresh_every)); `None`: only at each connect.
    pub fn will_refresh(&self) -> Option<std::time::Duration> {
        let security = self.security.lock().ok()?;
        security.will.as_ref().and_then(|will| will.refresh)
    }

    /// The subscriptions to restore after a reconnect without session.
    pub fn subscriptions(&self) -> &Subscriptions {
        &self.subscriptions
    }

    /// Marks the client as closing: connection errors from now on are the disconnect's own.
    pub fn set_closing(&self) {
        self.closing.store(true, Ordering::SeqCst);
    }

    /// Whether the application disconnected.
    pub fn is_closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }
}

impl std::fmt::Debug for ClientState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientState")
            .field("max_packet_size", &self.max_packet_size)
            .field("closing", &self.is_closing())
            .finish_non_exhaustive()
    }
}
