//! What an adapter seals with and opens with, and the receive-side policies MQTT needs
//! (retained messages, Last Will). See spec/mqtt-adapters.md.

use std::time::Duration;

use payseal::{
    Clock, Freshness, Opener, Rejection, ReplayStore, SealError, Sealer, SealingKey,
    SequenceSource, TopicFilter, Verified,
};

use crate::QoS;

/// Anything that seals envelopes: a [`payseal::Sealer`] of any key, counter and clock.
pub trait EnvelopeSealer: Send {
    /// Seals `payload` for `topic` (see [`Sealer::seal`]).
    ///
    /// # Errors
    /// [`SealError`].
    fn seal(&mut self, topic: &str, payload: &[u8]) -> Result<Vec<u8>, SealError>;
}

impl<K, S, C> EnvelopeSealer for Sealer<K, S, C>
where
    K: SealingKey + Send,
    S: SequenceSource + Send,
    C: Clock + Send,
{
    fn seal(&mut self, topic: &str, payload: &[u8]) -> Result<Vec<u8>, SealError> {
        Sealer::seal(self, topic, payload)
    }
}

/// Anything that opens envelopes: a [`payseal::Opener`] of any replay store, clock and sender
/// resolver (a [`payseal::TrustStore`], or an X.509 resolver from `payseal-x509`).
pub trait EnvelopeOpener: Send {
    /// Opens `envelope` received on `topic`, with `freshness` overriding the policy's bounds
    /// when given (see [`Opener::open_with_freshness`]).
    ///
    /// # Errors
    /// [`Rejection`].
    fn open(
        &mut self,
        topic: &str,
        envelope: &[u8],
        freshness: Option<Freshness>,
    ) -> Result<Verified, Rejection>;
}

impl<R, C, S> EnvelopeOpener for Opener<R, C, S>
where
    R: ReplayStore + Send,
    C: Clock + Send,
    S: payseal::SenderResolver + Send,
{
    fn open(
        &mut self,
        topic: &str,
        envelope: &[u8],
        freshness: Option<Freshness>,
    ) -> Result<Verified, Rejection> {
        match freshness {
            Some(bounds) => self.open_with_freshness(topic, envelope, bounds),
            None => Opener::open(self, topic, envelope),
        }
    }
}

/// A sealed Last Will: what the broker publishes for this client if it vanishes.
///
/// The will is sealed when the client connects (and again at every reconnect) but published
/// later, so give its sealer a key id of its own (the same key under a second kid, see
/// [`Sealer::with_kid`]): its sequence numbers then live in their own replay window at the
/// receivers, and a will is accepted exactly once however many messages came after it.
pub struct Will {
    pub(crate) topic: String,
    pub(crate) payload: Vec<u8>,
    pub(crate) qos: QoS,
    pub(crate) retain: bool,
    pub(crate) sealer: Box<dyn EnvelopeSealer>,
}

impl Will {
    /// A will on `topic` with `payload`, sealed by `sealer` (which should use a will kid).
    pub fn new(
        topic: impl Into<String>,
        payload: impl Into<Vec<u8>>,
        qos: QoS,
        retain: bool,
        sealer: impl EnvelopeSealer + 'static,
    ) -> Self {
        Will {
            topic: topic.into(),
            payload: payload.into(),
            qos,
            retain,
            sealer: Box::new(sealer),
        }
    }
}

impl Will {
    /// Seals the will now, with the will sealer's next sequence number and the current time.
    ///
    /// # Errors
    /// [`SealError`].
    pub(crate) fn seal(&mut self) -> Result<SealedWill, SealError> {
        let envelope = self.sealer.seal(&self.topic, &self.payload)?;
        Ok(SealedWill {
            topic: self.topic.clone(),
            envelope,
            qos: self.qos,
            retain: self.retain,
        })
    }
}

/// A will sealed for the next connection: what an adapter registers with the broker.
#[derive(Debug)]
pub struct SealedWill {
    /// The will topic.
    pub topic: String,
    /// The sealed envelope (the will message's payload).
    pub envelope: Vec<u8>,
    /// The will QoS.
    pub qos: QoS,
    /// Whether the broker retains the will.
    pub retain: bool,
}

impl std::fmt::Debug for Will {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Will")
            .field("topic", &self.topic)
            .field("qos", &self.qos)
            .field("retain", &self.retain)
            .finish_non_exhaustive()
    }
}

/// The security side of a client: how it seals what it publishes and opens what it receives.
///
/// ```
/// use payseal::{Algorithm, Counter, Opener, Policy, Sealer, SigningKey, SystemClock, TrustStore};
/// use payseal_mqtt::Security;
/// let key = SigningKey::generate(Algorithm::Ed25519)?;
/// let security = Security::new()
///     .sealer(Sealer::new(key, Counter::from_unix_micros(), SystemClock))
///     .opener(Opener::new(TrustStore::new(), Policy::default(), SystemClock));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default)]
pub struct Security {
    pub(crate) sealer: Option<Box<dyn EnvelopeSealer>>,
    pub(crate) opener: Option<Box<dyn EnvelopeOpener>>,
    pub(crate) retained_max_age: Option<Duration>,
    pub(crate) will_topics: Vec<(TopicFilter, Duration)>,
    pub(crate) will: Option<Will>,
    pub(crate) max_packet_size: Option<usize>,
}

impl Security {
    /// No sealer and no opener yet: publishing fails with the adapter's `NoSealer` error, and
    /// every received message is rejected until an opener is set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Seals published payloads with `sealer`.
    pub fn sealer(mut self, sealer: impl EnvelopeSealer + 'static) -> Self {
        self.sealer = Some(Box::new(sealer));
        self
    }

    /// Opens received payloads with `opener`.
    pub fn opener(mut self, opener: impl EnvelopeOpener + 'static) -> Self {
        self.opener = Some(Box::new(opener));
        self
    }

    /// Accepts retained messages (delivered with the retain flag on subscribe) up to `max_age`
    /// old instead of the policy's max age. Without it, retained messages get the same
    /// freshness check as live ones. A retained message already seen is never re-delivered.
    pub fn retained_max_age(mut self, max_age: Duration) -> Self {
        self.retained_max_age = Some(max_age);
        self
    }

    /// Treats messages on topics matching `filter` as Last Wills, accepted up to `max_age`
    /// old (a will is sealed when its sender connected, possibly long before).
    ///
    /// # Errors
    /// [`payseal::ConfigError`] for a bad filter.
    pub fn will_topic(
        mut self,
        filter: &str,
        max_age: Duration,
    ) -> Result<Self, payseal::ConfigError> {
        self.will_topics.push((TopicFilter::new(filter)?, max_age));
        Ok(self)
    }

    /// The largest MQTT packet sent or accepted, in bytes (set it to the broker's limit).
    /// Larger sealed publishes are refused before sending.
    pub fn max_packet_size(mut self, bytes: usize) -> Self {
        self.max_packet_size = Some(bytes);
        self
    }

    /// Registers a sealed Last Will with the broker at every (re)connect.
    pub fn will(mut self, will: Will) -> Self {
        self.will = Some(will);
        self
    }

    /// The freshness bounds for a message, per the retained and will policies.
    pub(crate) fn freshness_for(&self, topic: &str, retained: bool) -> Option<Freshness> {
        let max_age = self
            .will_topics
            .iter()
            .find(|(filter, _)| filter.matches(topic))
            .map(|(_, max_age)| *max_age)
            .or(if retained {
                self.retained_max_age
            } else {
                None
            })?;
        Some(Freshness {
            max_age_secs: max_age.as_secs(),
            max_future_skew_secs: payseal::Policy::DEFAULT_MAX_FUTURE_SKEW_SECS,
        })
    }
}

impl std::fmt::Debug for Security {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Security")
            .field("sealer", &self.sealer.is_some())
            .field("opener", &self.opener.is_some())
            .field("retained_max_age", &self.retained_max_age)
            .field("will", &self.will)
            .finish_non_exhaustive()
    }
}
