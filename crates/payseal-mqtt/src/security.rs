//! What an adapter seals with and opens with, and the receive-side policies MQTT needs
//! (retained messages, Last Will). See spec/mqtt-adapters.md.

use std::time::Duration;

use payseal::{
    CheckedBatch, Clock, Freshness, Kid, MessageKind, Opener, Rejection, ReplayStore, SealError,
    Sealer, SequenceSource, StampKey, TopicFilter, Unstamped, Verified,
};

use crate::QoS;
use crate::freshness::FreshnessRules;

/// Anything that seals envelopes: a [`payseal::Sealer`] of any key, counter and clock.
pub trait EnvelopeSealer: Send {
    /// Seals `payload` for `topic` (see [`Sealer::seal`]).
    ///
    /// # Errors
    /// [`SealError`].
    fn seal(&mut self, topic: &str, payload: &[u8]) -> Result<Vec<u8>, SealError>;

    /// Seals `payload` for `topic`, signing what the message is: retained state or a will
    /// (see [`Sealer::seal_kind`]).
    ///
    /// # Errors
    /// [`SealError`].
    fn seal_kind(
        &mut self,
        topic: &str,
        payload: &[u8],
        kind: MessageKind,
    ) -> Result<Vec<u8>, SealError>;

    /// Everything of [`seal_kind`](Self::seal_kind) but the stamp, which
    /// [`Prepared::stamp`] then makes without the sealer, on any thread (see
    /// [`Sealer::prepare_kind`]): the adapters hold the sealer only for this part, so that
    /// publishers on several threads sign on every core. By default the whole envelope is
    /// sealed here.
    ///
    /// # Errors
    /// [`SealError`].
    fn prepare_kind(
        &mut self,
        topic: &str,
        payload: &[u8],
        kind: MessageKind,
    ) -> Result<Prepared, SealError> {
        self.seal_kind(topic, payload, kind).map(Prepared::sealed)
    }
}

/// An envelope from [`EnvelopeSealer::prepare_kind`]: sealed already, or still to be stamped.
pub struct Prepared(Stage);

enum Stage {
    Sealed(Vec<u8>),
    Unstamped(Box<dyn FnOnce() -> Result<Vec<u8>, SealError> + Send>),
}

impl Prepared {
    /// An envelope sealed whole.
    ///
    /// ```
    /// use payseal_mqtt::Prepared;
    /// assert_eq!(Prepared::sealed(vec![1, 2]).stamp()?, [1, 2]);
    /// # Ok::<(), payseal::SealError>(())
    /// ```
    pub fn sealed(envelope: Vec<u8>) -> Self {
        Prepared(Stage::Sealed(envelope))
    }

    /// The envelope's bytes, stamped now if it was not yet.
    ///
    /// # Errors
    /// [`SealError::Signing`] if the key failed to sign.
    pub fn stamp(self) -> Result<Vec<u8>, SealError> {
        match self.0 {
            Stage::Sealed(envelope) => Ok(envelope),
            Stage::Unstamped(stamp) => stamp(),
        }
    }
}

impl<K: StampKey + Send + Sync + 'static> From<Unstamped<K>> for Prepared {
    fn from(unstamped: Unstamped<K>) -> Self {
        Prepared(Stage::Unstamped(Box::new(move || unstamped.stamp())))
    }
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared").finish_non_exhaustive()
    }
}

impl<K, S, C> EnvelopeSealer for Sealer<K, S, C>
where
    K: StampKey + Send + Sync + 'static,
    S: SequenceSource + Send,
    C: Clock + Send,
{
    fn seal(&mut self, topic: &str, payload: &[u8]) -> Result<Vec<u8>, SealError> {
        Sealer::seal(self, topic, payload)
    }

    fn seal_kind(
        &mut self,
        topic: &str,
        payload: &[u8],
        kind: MessageKind,
    ) -> Result<Vec<u8>, SealError> {
        Sealer::seal_kind(self, topic, payload, kind)
    }

    fn prepare_kind(
        &mut self,
        topic: &str,
        payload: &[u8],
        kind: MessageKind,
    ) -> Result<Prepared, SealError> {
        Sealer::prepare_kind(self, topic, payload, kind).map(Prepared::from)
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

    /// Opens `envelope` received on `topic`, with the freshness bounds chosen by `bounds`
    /// from the signed message kind, the verified sender and the policy's bounds (see
    /// [`Opener::open_by_kind`]). Adapters open every message this way.
    ///
    /// The default opens with the policy's live bounds (`open(topic, envelope, None)`):
    /// an opener that cannot read the signed kind never grants a longer limit.
    ///
    /// # Errors
    /// [`Rejection`].
    fn open_by_kind(
        &mut self,
        topic: &str,
        envelope: &[u8],
        bounds: &mut dyn FnMut(MessageKind, &Kid, Freshness) -> Freshness,
    ) -> Result<Verified, Rejection> {
        let _ = bounds;
        self.open(topic, envelope, None)
    }

    /// The first stage of opening a batch (see [`Opener::check_batch`]): what the adapters'
    /// verification pipeline calls, before verifying the batch's signatures outside the
    /// opener's lock and committing it with [`commit_batch`](Self::commit_batch).
    ///
    /// The default, `None`, says this opener cannot split: the pipeline then opens each
    /// message with [`open_by_kind`](Self::open_by_kind), in order.
    fn check_batch(&mut self, items: &[(&str, &[u8])]) -> Option<CheckedBatch> {
        let _ = items;
        None
    }

    /// The last stage of opening a batch that [`check_batch`](Self::check_batch) of this
    /// opener returned (see [`Opener::commit_batch`]): freshness with the bounds chosen by
    /// `bounds` (from the envelope's index in the batch, its signed kind, its verified sender
    /// and the policy's bounds), decryption and the replay windows of the whole batch.
    ///
    /// The default, for openers that cannot split, refuses every envelope (as an unknown
    /// sender): it never accepts what it did not check.
    fn commit_batch(
        &mut self,
        batch: CheckedBatch,
        bounds: &mut dyn FnMut(usize, MessageKind, &Kid, Freshness) -> Freshness,
    ) -> Vec<Result<Verified, Rejection>> {
        let _ = bounds;
        (0..batch.len())
            .map(|_| Err(Rejection::UnknownSender))
            .collect()
    }
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

    fn open_by_kind(
        &mut self,
        topic: &str,
        envelope: &[u8],
        bounds: &mut dyn FnMut(MessageKind, &Kid, Freshness) -> Freshness,
    ) -> Result<Verified, Rejection> {
        Opener::open_by_kind(self, topic, envelope, |kind, kid, live| {
            bounds(kind, kid, live)
        })
    }

    fn check_batch(&mut self, items: &[(&str, &[u8])]) -> Option<CheckedBatch> {
        Some(Opener::check_batch(self, items))
    }

    fn commit_batch(
        &mut self,
        batch: CheckedBatch,
        bounds: &mut dyn FnMut(usize, MessageKind, &Kid, Freshness) -> Freshness,
    ) -> Vec<Result<Verified, Rejection>> {
        Opener::commit_batch(self, batch, |i, kind, kid, live| bounds(i, kind, kid, live))
    }
}

/// A sealed Last Will: what the broker publishes for this client if it vanishes.
///
/// The will is sealed when the client connects (and again at every reconnect) but published
/// later. It is sealed with the signed kind [`MessageKind::Will`], so receivers record it in a
/// replay window of its own and judge it with their will limit, but only if its key id is one
/// of their will kids ([`Security::will_kid`]): give its sealer a key id of its own (the same
/// key under a second kid, see [`Sealer::with_kid`]), allowed only on the will topic.
///
/// A will sealed at connect grows older for as long as the connection lasts; with
/// [`refresh_every`](Self::refresh_every) the adapter re-seals and re-registers it
/// periodically, so the receivers' will limit only needs to cover the refresh interval (see
/// spec/mqtt-adapters.md §4).
pub struct Will {
    pub(crate) topic: String,
    pub(crate) payload: Vec<u8>,
    pub(crate) qos: QoS,
    pub(crate) retain: bool,
    pub(crate) sealer: Box<dyn EnvelopeSealer>,
    pub(crate) refresh: Option<Duration>,
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
            refresh: None,
        }
    }

    /// Re-seals the will every `interval` while connected (default: never, the will is
    /// sealed at every connect only).
    ///
    /// MQTT (3.1.1 and 5) can change a will only with a new CONNECT, so a refresh is a clean
    /// DISCONNECT (the broker discards the old will without publishing it) followed at once by
    /// a reconnect carrying the freshly sealed will. Give the client a persistent session
    /// (clean session off; MQTT 5: a session expiry interval), so that its subscriptions and
    /// the QoS 1 and 2 messages queued for it during the short gap survive; the adapter
    /// restores subscriptions and resends unconfirmed publishes (same envelopes) if the
    /// session is lost anyway. A refresh is silent: no [`Event::Disconnected`] or
    /// [`Event::Connected`] is reported for it. Choose `interval` below the receivers' will
    /// limit minus the keep-alive grace (1.5 × keep-alive) and any will delay. An interval of
    /// zero is treated as one second.
    ///
    /// [`Event::Disconnected`]: crate::Event::Disconnected
    /// [`Event::Connected`]: crate::Event::Connected
    ///
    /// ```
    /// use std::time::Duration;
    /// use payseal::{Algorithm, Counter, Kid, Sealer, SigningKey, SystemClock};
    /// # use payseal_mqtt as payseal_rumqttc;
    /// use payseal_rumqttc::{QoS, Will}; // or payseal_paho::{QoS, Will}
    /// let key = SigningKey::generate(Algorithm::Ed25519)?;
    /// let will_sealer = Sealer::new(key, Counter::from_unix_micros(), SystemClock)
    ///     .with_kid(Kid::new(b"sensor-7/will".to_vec())?);
    /// let will = Will::new("plant/3/status", b"offline".to_vec(), QoS::AtLeastOnce, false, will_sealer)
    ///     .refresh_every(Duration::from_secs(3600));
    /// assert_eq!(will.refresh_interval(), Some(Duration::from_secs(3600)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn refresh_every(mut self, interval: Duration) -> Self {
        self.refresh = Some(interval.max(Duration::from_secs(1)));
        self
    }

    /// The refresh interval set by [`refresh_every`](Self::refresh_every), if any.
    pub fn refresh_interval(&self) -> Option<Duration> {
        self.refresh
    }
}

impl Will {
    /// Seals the will now, with the will sealer's next sequence number and the current time.
    ///
    /// # Errors
    /// [`SealError`].
    pub(crate) fn seal(&mut self) -> Result<SealedWill, SealError> {
        let envelope = self
            .sealer
            .seal_kind(&self.topic, &self.payload, MessageKind::Will)?;
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
            .field("refresh", &self.refresh)
            .finish_non_exhaustive()
    }
}

/// The security side of a client: how it seals what it publishes and opens what it receives.
///
/// Import it from the adapter you depend on (`payseal_rumqttc::Security` or
/// `payseal_paho::Security`: the same type, re-exported from `payseal-mqtt`).
///
/// ```
/// # use payseal_mqtt as payseal_rumqttc;
/// use payseal::{Algorithm, Counter, Opener, Policy, Sealer, SigningKey, SystemClock, TrustStore};
/// use payseal_rumqttc::Security; // or payseal_paho::Security
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
    pub(crate) rules: FreshnessRules,
    pub(crate) will: Option<Will>,
    pub(crate) max_packet_size: Option<usize>,
    pub(crate) on_rejected: Option<Box<dyn crate::RejectionHook>>,
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

    /// Accepts retained state on topics matching `filter` up to `max_age` old, instead of the
    /// opener policy's max age. Only messages the sender sealed as retained state
    /// ([`MessageKind::Retained`]: the adapters do so for every publish with the retain flag)
    /// **and** that arrive with the retain flag get it: the flag alone is set by the broker
    /// and proves nothing, so a live message delivered as retained keeps the live limit. The
    /// first matching filter wins; the future skew stays the policy's. Retained state has a
    /// replay window of its own per sender and topic: a redelivery on resubscribe is a
    /// duplicate, never an alarm, however many live messages came in between.
    ///
    /// # Errors
    /// [`payseal::ConfigError`] for a bad filter.
    pub fn retained_topic(
        mut self,
        filter: &str,
        max_age: Duration,
    ) -> Result<Self, payseal::ConfigError> {
        self.rules
            .retained
            .push((TopicFilter::new(filter)?, max_age));
        Ok(self)
    }

    /// [`retained_topic`](Self::retained_topic) for every topic not starting with `$` (the
    /// filter `#`), with the same conditions: signed retained state, delivered retained.
    pub fn retained_max_age(mut self, max_age: Duration) -> Self {
        if let Ok(all) = TopicFilter::new("#") {
            self.rules.retained.push((all, max_age));
        }
        self
    }

    /// Judges wills on topics matching `filter` with a maximum age of `max_age` (a will is
    /// sealed when its sender connected, possibly long before it is published). Only messages
    /// the sender sealed as a will ([`MessageKind::Will`], as [`Will`] does) from one of the
    /// will kids ([`will_kid`](Self::will_kid)) get it; any other message on the topic keeps
    /// the live limit. The first matching filter wins; the future skew stays the policy's.
    ///
    /// # Errors
    /// [`payseal::ConfigError`] for a bad filter.
    pub fn will_topic(
        mut self,
        filter: &str,
        max_age: Duration,
    ) -> Result<Self, payseal::ConfigError> {
        self.rules.wills.push((TopicFilter::new(filter)?, max_age));
        Ok(self)
    }

    /// Accepts `kid` as a will sender: its signed wills on will topics
    /// ([`will_topic`](Self::will_topic)) get the will limit.
    pub fn will_kid(mut self, kid: Kid) -> Self {
        if !self.rules.will_kids.contains(&kid) {
            self.rules.will_kids.push(kid);
        }
        self
    }

    /// The largest MQTT packet sent or accepted, in bytes (set it to the broker's limit).
    /// Larger sealed publishes are refused before sending.
    pub fn max_packet_size(mut self, bytes: usize) -> Self {
        self.max_packet_size = Some(bytes);
        self
    }

    /// Calls `hook` with every refused message as it arrived (topic, raw bytes, reason), e.g.
    /// to keep it in a quarantine for forensics; see [`RejectionHook`](crate::RejectionHook).
    pub fn on_rejected(mut self, hook: impl crate::RejectionHook + 'static) -> Self {
        self.on_rejected = Some(Box::new(hook));
        self
    }

    /// Registers a sealed Last Will with the broker at every (re)connect.
    pub fn will(mut self, will: Will) -> Self {
        self.will = Some(will);
        self
    }
}

impl std::fmt::Debug for Security {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Security")
            .field("sealer", &self.sealer.is_some())
            .field("opener", &self.opener.is_some())
            .field("rules", &self.rules)
            .field("will", &self.will)
            .field("on_rejected", &self.on_rejected.is_some())
            .finish_non_exhaustive()
    }
}
