//! Opening: checking an envelope and releasing its payload only if every check passes.

use alloc::string::String;
use alloc::vec::Vec;

use crate::alg::Algorithm;
use crate::clock::Clock;
use crate::encrypt::open::decrypt;
use crate::encrypt::seal::Binding;
use crate::encrypt::{Encryption, Keyring};
use crate::envelope::{UnverifiedEnvelope, external_aad, sig_structure};
use crate::error::Rejection;
use crate::keys::{Kid, VerifyingKey};
use crate::kind::MessageKind;
use crate::mac::{MacAlgorithm, MacKey, mac_structure};
use crate::policy::{Freshness, Policy};
use crate::replay::{MemoryReplayStore, ReplayStore};
use crate::sender::{SenderClaim, SenderResolver};
use crate::topic::is_valid_topic_name;
use crate::trust::TrustStore;

mod batch;

pub use batch::CheckedBatch;

/// A payload whose envelope passed every check, with what was proven about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    sender: Kid,
    identity: Option<String>,
    algorithm: Option<Algorithm>,
    mac_algorithm: Option<MacAlgorithm>,
    topic: String,
    seq: u64,
    timestamp: u64,
    payload: Vec<u8>,
    encryption: Option<Encryption>,
    kind: MessageKind,
}

impl Verified {
    /// The key id of the sender who signed (or MAC-stamped) it.
    pub fn sender(&self) -> &Kid {
        &self.sender
    }

    /// The sender's identity as its resolver named it (for a certificate: its subject);
    /// `None` for senders from a static [`TrustStore`].
    pub fn identity(&self) -> Option<&str> {
        self.identity.as_deref()
    }

    /// The signature algorithm of the sender's key; `None` for a MAC envelope.
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.algorithm
    }

    /// The MAC algorithm of the sender's key, for a MAC envelope (spec/mac.md); `None` for a
    /// signed one.
    pub fn mac_algorithm(&self) -> Option<MacAlgorithm> {
        self.mac_algorithm
    }

    /// The topic it was sealed for and arrived on.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The sender's sequence number.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// When the sender sealed it, in seconds since the Unix epoch (by the sender's clock).
    pub fn timestamp(&self) -> u64 {
        self.timestamp
    }

    /// How the payload was encrypted and to which of this receiver's keys; `None` for a
    /// payload that was only signed.
    pub fn encryption(&self) -> Option<&Encryption> {
        self.encryption.as_ref()
    }

    /// What the sender signed the message to be (spec §3.7): live, retained state or a will.
    pub fn kind(&self) -> MessageKind {
        self.kind
    }

    /// The payload (decrypted, if it was encrypted).
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// Takes the payload out.
    pub fn into_payload(self) -> Vec<u8> {
        self.payload
    }
}

/// Checks envelopes against a trust store (or another [`SenderResolver`]), a replay store and
/// a policy.
///
/// Checks run in the order of spec §5: size and structure, sender lookup, algorithm pin,
/// topic authorization, signature, freshness, decryption, replay window. The replay window is
/// only updated when everything else has passed, decryption included, so forged, stale or
/// undecryptable messages cannot disturb it.
///
/// ```
/// use payseal::{Algorithm, Counter, ManualClock, Opener, Policy, Rejection, Sealer, SigningKey,
///               TrustStore};
/// let clock = ManualClock::new(1_700_000_000);
/// let key = SigningKey::generate(Algorithm::Ed25519)?;
/// let mut trust = TrustStore::new();
/// trust.add_sender(key.verifying_key(), ["plant/+/temp"])?;
/// let mut sealer = Sealer::new(key, Counter::starting_at(1), &clock);
/// let mut opener = Opener::new(trust, Policy::default(), &clock);
///
/// let envelope = sealer.seal("plant/3/temp", b"21.5")?;
/// assert_eq!(opener.open("plant/3/temp", &envelope)?.payload(), b"21.5");
/// // The same bytes again: a replay.
/// assert_eq!(opener.open("plant/3/temp", &envelope), Err(Rejection::Replayed { seq: 1 }));
/// // Moved by the broker to another topic the sender may publish on: the signature breaks.
/// let moved = sealer.seal("plant/3/temp", b"22.0")?;
/// assert_eq!(opener.open("plant/4/temp", &moved), Err(Rejection::BadSignature));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Opener<R, C, S = TrustStore> {
    trust: S,
    replay: R,
    policy: Policy,
    clock: C,
    keyring: Keyring,
}

impl<C: Clock> Opener<MemoryReplayStore, C> {
    /// An opener keeping its replay windows in memory, each as wide as `policy.window()`.
    pub fn new(trust: TrustStore, policy: Policy, clock: C) -> Self {
        let replay = MemoryReplayStore::new(policy.window());
        Opener::with_replay_store(trust, replay, policy, clock)
    }
}

impl<C: Clock, S: SenderResolver> Opener<MemoryReplayStore, C, S> {
    /// An opener that resolves senders through `resolver` (for example an X.509 resolver from
    /// `payseal-x509`) instead of a static [`TrustStore`], with replay windows in memory.
    pub fn with_resolver(resolver: S, policy: Policy, clock: C) -> Self {
        let replay = MemoryReplayStore::new(policy.window());
        Opener::with_replay_store(resolver, replay, policy, clock)
    }
}

impl<R: ReplayStore, C: Clock, S: SenderResolver> Opener<R, C, S> {
    /// An opener with its own replay store (durable or shared). There is no way to build one
    /// without a trust store (or another sender resolver) and a replay store.
    pub fn with_replay_store(trust: S, replay: R, policy: Policy, clock: C) -> Self {
        Opener {
            trust,
            replay,
            policy,
            clock,
            keyring: Keyring::new(),
        }
    }

    /// Decrypts with, and requires encryption as configured in, `keyring`.
    pub fn with_keyring(mut self, keyring: Keyring) -> Self {
        self.keyring = keyring;
        self
    }

    /// The keyring.
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// The keyring, to change keys while running (a group key update, a rotation).
    pub fn keyring_mut(&mut self) -> &mut Keyring {
        &mut self.keyring
    }

    /// The trust store (or other sender resolver).
    pub fn trust(&self) -> &S {
        &self.trust
    }

    /// The trust store (or other sender resolver), to add or remove senders while running.
    pub fn trust_mut(&mut self) -> &mut S {
        &mut self.trust
    }

    /// The replay store.
    pub fn replay(&self) -> &R {
        &self.replay
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Checks `envelope`, received on `topic`, and returns its payload if it passes.
    ///
    /// # Errors
    /// A [`Rejection`] saying which check failed first.
    pub fn open(&mut self, topic: &str, envelope: &[u8]) -> Result<Verified, Rejection> {
        self.open_with_freshness(topic, envelope, self.policy.freshness())
    }

    /// Like [`open`](Self::open), with other freshness bounds for this one message.
    ///
    /// For messages that are old by design and that the application has decided to accept
    /// with a different bound: a retained message delivered on subscribe, or a Last Will
    /// published long after it was sealed. Every other check, the replay window included,
    /// still runs.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn open_with_freshness(
        &mut self,
        topic: &str,
        envelope: &[u8],
        freshness: Freshness,
    ) -> Result<Verified, Rejection> {
        self.open_by_kind(topic, envelope, |_, _, _| freshness)
    }

    /// Like [`open`](Self::open), with the freshness bounds chosen by `bounds` once the
    /// signature has verified, from what the sender **signed** the message to be (its
    /// [`MessageKind`], spec §3.7), the verified sender kid, and the policy's own bounds.
    ///
    /// This is how an MQTT adapter gives retained state and wills their longer limits
    /// without letting the broker choose them: the retain flag and the topic are not
    /// authenticated, the kind is. Retained state and wills are recorded in replay windows of
    /// their own (per sender, kind and topic: [`replay_window_key`](crate::replay_window_key)).
    ///
    /// ```
    /// use payseal::{Algorithm, Counter, Freshness, ManualClock, MessageKind, Opener, Policy,
    ///               Rejection, Sealer, SigningKey, TrustStore};
    /// let clock = ManualClock::new(1_700_000_000);
    /// let key = SigningKey::generate(Algorithm::Ed25519)?;
    /// let mut trust = TrustStore::new();
    /// trust.add_sender(key.verifying_key(), ["plant/#"])?;
    /// let mut sealer = Sealer::new(key, Counter::starting_at(1), &clock);
    /// let live = sealer.seal("plant/3/setpoint", b"19.0")?;
    /// let state = sealer.seal_kind("plant/3/setpoint", b"20.0", MessageKind::Retained)?;
    /// clock.advance(3_600);
    /// let mut opener = Opener::new(trust, Policy::default(), &clock);
    /// let day = |kind: MessageKind, _: &payseal::Kid, live: Freshness| match kind {
    ///     MessageKind::Retained => Freshness { max_age_secs: 86_400, ..live },
    ///     _ => live,
    /// };
    /// assert!(opener.open_by_kind("plant/3/setpoint", &state, day).is_ok());
    /// assert!(matches!(
    ///     opener.open_by_kind("plant/3/setpoint", &live, day),
    ///     Err(Rejection::Stale { .. })
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn open_by_kind(
        &mut self,
        topic: &str,
        envelope: &[u8],
        bounds: impl FnOnce(MessageKind, &Kid, Freshness) -> Freshness,
    ) -> Result<Verified, Rejection> {
        let checked = self.check_until_signature(topic, envelope)?;
        if !checked.stamp_verifies() {
            return Err(Rejection::BadSignature);
        }
        let freshness = bounds(checked.env.kind(), &checked.kid, self.policy.freshness());
        self.finish(topic, checked, freshness)
    }

    /// Spec §5 steps 1-7 (and "encryption required"): everything before the signature, with
    /// no state change.
    fn check_until_signature(
        &mut self,
        topic: &str,
        envelope: &[u8],
    ) -> Result<Checked, Rejection> {
        let limits = self.policy.limits();
        if envelope.len() > limits.max_envelope_bytes {
            return Err(Rejection::TooLarge {
                what: "envelope",
                limit: limits.max_envelope_bytes,
                actual: envelope.len(),
            });
        }
        if !is_valid_topic_name(topic) {
            return Err(Rejection::InvalidTopic);
        }
        let env = UnverifiedEnvelope::decode(envelope, limits)?;
        let claim = SenderClaim {
            kid: env.kid(),
            alg: env.alg(),
            x5chain: env.x5chain(),
            x5t: env.x5t(),
            now: self.clock.now(),
        };
        // A kid names one key, signature or MAC (spec/mac.md §4): a MAC sender's kid only
        // ever opens MAC envelopes of its algorithm.
        if let Some(sender) = self.trust.resolve_mac(&claim)? {
            let expected = sender.key.algorithm();
            if env.alg() != expected.cose_id() || !env.is_mac() {
                return Err(Rejection::MacAlgorithmMismatch {
                    expected,
                    found: env.alg(),
                });
            }
            let may_publish = sender.may_publish(topic);
            let (kid, key) = (sender.key.kid().clone(), sender.key.clone());
            self.authorize(topic, may_publish, &env)?;
            let tbs = mac_structure(
                env.protected_bytes(),
                &external_aad(topic),
                env.unverified_payload(),
            );
            return Ok(Checked {
                kid,
                identity: None,
                key: ExpectedKey::Mac(key),
                tbs,
                env,
            });
        }
        let sender = self.trust.resolve(&claim)?;
        let algorithm = sender.key.algorithm();
        if Algorithm::from_cose_id(env.alg()) != Some(algorithm) || env.is_mac() {
            return Err(Rejection::AlgorithmMismatch {
                expected: algorithm,
                found: env.alg(),
            });
        }
        let may_publish = sender.may_publish(topic);
        let (kid, identity, key) = (
            sender.kid.clone(),
            sender.identity.map(String::from),
            sender.key.clone(),
        );
        self.authorize(topic, may_publish, &env)?;
        let tbs = sig_structure(
            env.protected_bytes(),
            &external_aad(topic),
            env.unverified_payload(),
        );
        Ok(Checked {
            kid,
            identity,
            key: ExpectedKey::Signature(key),
            tbs,
            env,
        })
    }

    /// Spec §5 step 7 and "encryption required" (spec/encryption.md §6), for signature and MAC
    /// senders alike.
    fn authorize(
        &self,
        topic: &str,
        may_publish: bool,
        env: &UnverifiedEnvelope,
    ) -> Result<(), Rejection> {
        if !may_publish {
            return Err(Rejection::TopicNotAuthorized);
        }
        if env.content_type().is_none() && self.keyring.requires_encryption(topic) {
            return Err(Rejection::EncryptionRequired);
        }
        Ok(())
    }

    /// Spec §5 steps 9-10 for an envelope whose signature verified, then decryption, then
    /// step 11 (the replay window), last.
    fn finish(
        &mut self,
        topic: &str,
        checked: Checked,
        freshness: Freshness,
    ) -> Result<Verified, Rejection> {
        let staged = self.stage(topic, checked, freshness)?;
        // The replay window comes last (spec/envelope.md §5 step 11 after
        // spec/encryption.md §6): a message that fails any check, decryption included,
        // leaves no trace, so a receiver without the key (`not_for_me`) does not make the
        // same envelope `replayed` for a retry with the key.
        self.replay.check_and_record_for(
            &staged.window,
            staged.verified.seq,
            staged.remember_for,
        )?;
        Ok(staged.verified)
    }

    /// Spec §5 steps 9-10 and decryption: everything after the signature but the replay
    /// window, with no state change.
    fn stage(
        &self,
        topic: &str,
        checked: Checked,
        freshness: Freshness,
    ) -> Result<Staged, Rejection> {
        let Checked {
            kid,
            identity,
            key,
            env,
            ..
        } = checked;
        self.check_freshness(env.timestamp(), freshness)?;
        let sender = kid;
        let kind = env.kind();
        let window = crate::kind::replay_window_key(&sender, kind, topic);
        let remember_for = self.remember_for(env.timestamp(), freshness);
        let (seq, timestamp) = (env.seq(), env.timestamp());
        let (payload, encryption) = match env.content_type() {
            None => (env.into_payload(), None),
            Some(content_type) => {
                let binding = Binding {
                    topic,
                    sender: sender.as_bytes(),
                    seq,
                };
                let (payload, encryption) = decrypt(
                    content_type,
                    env.unverified_payload(),
                    &self.keyring,
                    &binding,
                    self.policy.limits().max_recipients,
                    self.clock.now(),
                )?;
                (payload, Some(encryption))
            }
        };
        let (algorithm, mac_algorithm) = match &key {
            ExpectedKey::Signature(key) => (Some(key.algorithm()), None),
            ExpectedKey::Mac(key) => (None, Some(key.algorithm())),
        };
        let verified = Verified {
            sender,
            identity,
            algorithm,
            mac_algorithm,
            topic: String::from(topic),
            seq,
            timestamp,
            payload,
            encryption,
            kind,
        };
        Ok(Staged {
            verified,
            window,
            remember_for,
        })
    }

    /// How long a replay store must remember a number accepted now: until an envelope with
    /// this `iat` is stale under `bounds` (one second more, for rounding), at least 1 s.
    fn remember_for(&self, iat: u64, bounds: Freshness) -> core::time::Duration {
        let now = self.clock.now().unwrap_or(0);
        let stale_at = iat.saturating_add(bounds.max_age_secs).saturating_add(1);
        core::time::Duration::from_secs(stale_at.saturating_sub(now).max(1))
    }

    fn check_freshness(&self, iat: u64, bounds: Freshness) -> Result<(), Rejection> {
        // An unknown time means freshness cannot be judged: fail closed, as if stale.
        let now = self.clock.now().ok_or(Rejection::Stale {
            age_secs: u64::MAX,
            max_age_secs: bounds.max_age_secs,
        })?;
        if iat > now {
            let ahead_secs = iat - now;
            if ahead_secs > bounds.max_future_skew_secs {
                return Err(Rejection::FromTheFuture {
                    ahead_secs,
                    max_skew_secs: bounds.max_future_skew_secs,
                });
            }
        } else {
            let age_secs = now - iat;
            if age_secs > bounds.max_age_secs {
                return Err(Rejection::Stale {
                    age_secs,
                    max_age_secs: bounds.max_age_secs,
                });
            }
        }
        Ok(())
    }
}

/// A verified envelope whose replay window is still to be checked and recorded.
struct Staged {
    verified: Verified,
    /// The replay window it belongs to ([`replay_window_key`](crate::replay_window_key)).
    window: Kid,
    remember_for: core::time::Duration,
}

/// An envelope that passed every check before the signature: what verifying and finishing it
/// need.
struct Checked {
    kid: Kid,
    identity: Option<String>,
    key: ExpectedKey,
    /// The bytes the stamp covers: `Sig_structure` or `MAC_structure`.
    tbs: Vec<u8>,
    env: UnverifiedEnvelope,
}

/// The key an envelope's stamp must verify under.
enum ExpectedKey {
    Signature(VerifyingKey),
    Mac(MacKey),
}

impl Checked {
    /// Spec §5 step 8, one envelope: the signature, or the MAC tag compared in constant time.
    fn stamp_verifies(&self) -> bool {
        match &self.key {
            ExpectedKey::Signature(key) => self
                .env
                .signature()
                .is_some_and(|signature| key.verify(&self.tbs, signature).is_ok()),
            ExpectedKey::Mac(key) => self
                .env
                .mac_tag()
                .is_some_and(|tag| key.verify(&self.tbs, tag)),
        }
    }
}
