//! Sealing: turning a payload into a signed, topic-bound, sequenced envelope.

use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::alg::Algorithm;
use crate::clock::Clock;
use crate::encrypt::Audience;
use crate::encrypt::seal::{Binding, encrypt};
use crate::envelope::{stamped_len, write_external_aad};
use crate::error::ConfigError;
use crate::error::SealError;
use crate::header;
use crate::keys::{Kid, Signature, SigningKey};
use crate::kind::MessageKind;
use crate::mac::MacKey;
use crate::policy::Limits;
use crate::sequence::SequenceSource;
use crate::topic::{TopicFilter, is_valid_topic_name};
use rand_core::CryptoRng;

/// A key that can seal envelopes: it signs with one [`Algorithm`].
///
/// [`SigningKey`] implements it; implement it for a hardware signer (HSM, secure element)
/// through [`signature::Signer::try_sign`], which may fail.
pub trait SealingKey: signature::Signer<Signature> {
    /// The algorithm the signatures are made with.
    fn algorithm(&self) -> Algorithm;
    /// The key id receivers know this key by.
    fn kid(&self) -> Kid;
}

impl SealingKey for SigningKey {
    fn algorithm(&self) -> Algorithm {
        SigningKey::algorithm(self)
    }

    fn kid(&self) -> Kid {
        SigningKey::kid(self)
    }
}

/// A key a [`Sealer`] can stamp envelopes with: any [`SealingKey`] (a signed envelope, a
/// COSE_Sign1) or a [`MacKey`] (a MAC envelope, a COSE_Mac0, spec/mac.md).
///
/// Sealed: implement [`SealingKey`] for your own signer instead.
pub trait StampKey: stamping::Stamping {}

impl<K: SealingKey> StampKey for K {}
impl StampKey for MacKey {}

mod stamping {
    use alloc::vec::Vec;

    use super::SealingKey;
    use crate::envelope::{COSE_SIGN1_TAG, SIGNATURE1, write_stamped, write_to_be_stamped};
    use crate::error::SealError;
    use crate::keys::{Kid, Signature};
    use crate::mac::{COSE_MAC0_TAG, MAC0, MacKey};

    /// What the sealer needs of a key: its `alg`, its kid, the stamp's length, and the
    /// stamped envelope.
    pub trait Stamping {
        /// The COSE `alg` written into the protected header.
        fn cose_alg(&self) -> i64;
        /// The key id receivers know the key by.
        fn stamp_kid(&self) -> Kid;
        /// Length of the signature or tag, in bytes.
        fn stamp_len(&self) -> usize;
        /// The tagged envelope: `protected`, `payload`, and the stamp over them and `aad`
        /// (the bytes stamped are written into `scratch`, a buffer the sealer reuses).
        fn stamp(
            &self,
            protected: &[u8],
            aad: &[u8],
            payload: &[u8],
            scratch: &mut Vec<u8>,
        ) -> Result<Vec<u8>, SealError>;
    }

    impl<K: SealingKey> Stamping for K {
        fn cose_alg(&self) -> i64 {
            self.algorithm().cose_id()
        }

        fn stamp_kid(&self) -> Kid {
            self.kid()
        }

        fn stamp_len(&self) -> usize {
            Signature::LEN
        }

        fn stamp(
            &self,
            protected: &[u8],
            aad: &[u8],
            payload: &[u8],
            scratch: &mut Vec<u8>,
        ) -> Result<Vec<u8>, SealError> {
            write_to_be_stamped(scratch, SIGNATURE1, protected, aad, payload);
            let signature = self.try_sign(scratch).map_err(|_| SealError::Signing)?;
            Ok(write_stamped(
                COSE_SIGN1_TAG,
                protected,
                payload,
                &signature.to_bytes(),
            ))
        }
    }

    impl Stamping for MacKey {
        fn cose_alg(&self) -> i64 {
            self.algorithm().cose_id()
        }

        fn stamp_kid(&self) -> Kid {
            self.kid().clone()
        }

        fn stamp_len(&self) -> usize {
            self.algorithm().tag_len()
        }

        fn stamp(
            &self,
            protected: &[u8],
            aad: &[u8],
            payload: &[u8],
            scratch: &mut Vec<u8>,
        ) -> Result<Vec<u8>, SealError> {
            write_to_be_stamped(scratch, MAC0, protected, aad, payload);
            Ok(write_stamped(
                COSE_MAC0_TAG,
                protected,
                payload,
                &self.tag(scratch),
            ))
        }
    }
}

/// Buffers a sealer writes each envelope's parts into and reuses, so that sealing allocates
/// only the envelope it returns. Their content is not shown by `Debug` (it holds payloads).
#[derive(Default)]
struct Scratch {
    protected: Vec<u8>,
    aad: Vec<u8>,
    to_be_stamped: Vec<u8>,
}

impl core::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Scratch")
    }
}

/// Seals payloads for one sender.
///
/// ```
/// use payseal::{Algorithm, Counter, ManualClock, Sealer, SigningKey};
/// let key = SigningKey::generate(Algorithm::Ed25519)?;
/// let mut sealer = Sealer::new(key, Counter::starting_at(1), ManualClock::new(1_700_000_000));
/// let envelope = sealer.seal("plant/3/temp", b"21.5")?;
/// assert!(envelope.len() < 4 + 130);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Sealer<K, S, C> {
    /// Shared with the [`Unstamped`] envelopes handed out, which are stamped without the sealer.
    key: Arc<K>,
    kid: Kid,
    seq: S,
    clock: C,
    limits: Limits,
    audiences: Vec<(TopicFilter, Audience)>,
    certs: header::CertParams,
    scratch: Scratch,
}

impl<K: StampKey, S: SequenceSource, C: Clock> Sealer<K, S, C> {
    /// A sealer using `key` under its own key id, numbering envelopes from `seq` and stamping
    /// them with `clock`. A [`SigningKey`] (or any [`SealingKey`]) seals signed envelopes; a
    /// [`MacKey`] seals MAC envelopes (spec/mac.md) under its sender kid.
    ///
    /// ```
    /// use payseal::{Counter, Kid, MacAlgorithm, MacSecret, ManualClock, Opener, Policy, Sealer,
    ///               TrustStore};
    /// let clock = ManualClock::new(1_700_000_000);
    /// let secret = MacSecret::from_bytes(&[7; 32])?;
    /// let kid = Kid::new(b"sensor-7".to_vec())?;
    /// let key = secret.sender_key(kid.clone(), MacAlgorithm::Hmac256_64);
    /// let mut sealer = Sealer::new(key, Counter::starting_at(1), &clock);
    /// let mut trust = TrustStore::new();
    /// trust.add_mac_sender(secret.sender_key(kid, MacAlgorithm::Hmac256_64), ["plant/#"])?;
    /// let mut opener = Opener::new(trust, Policy::default(), &clock);
    /// let envelope = sealer.seal("plant/3/temp", b"21.5")?;
    /// assert_eq!(opener.open("plant/3/temp", &envelope)?.payload(), b"21.5");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(key: K, seq: S, clock: C) -> Self {
        let kid = key.stamp_kid();
        Sealer {
            key: Arc::new(key),
            kid,
            seq,
            clock,
            limits: Limits::DEFAULT,
            audiences: Vec::new(),
            certs: header::CertParams::default(),
            scratch: Scratch::default(),
        }
    }

    /// Encrypts payloads on topics matching `filter` to `audience` (the first matching filter
    /// wins; topics matching none are only signed).
    ///
    /// # Errors
    /// [`ConfigError::InvalidTopicFilter`] for a bad filter.
    ///
    /// ```
    /// use payseal::{Algorithm, Audience, Counter, KemKind, ManualClock, Recipient, RecipientKey,
    ///               Sealer, SigningKey};
    /// let dashboard = RecipientKey::generate(KemKind::X25519)?;
    /// let audience = Audience::recipients([Recipient::new(dashboard.public_key())])?;
    /// let mut sealer = Sealer::new(
    ///     SigningKey::generate(Algorithm::Ed25519)?,
    ///     Counter::starting_at(1),
    ///     ManualClock::new(1_700_000_000),
    /// )
    /// .with_audience("plant/+/temp", audience)?;
    /// let encrypted = sealer.seal("plant/3/temp", b"21.5")?;
    /// assert!(!encrypted.windows(4).any(|w| w == b"21.5"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_audience(mut self, filter: &str, audience: Audience) -> Result<Self, ConfigError> {
        self.audiences.push((TopicFilter::new(filter)?, audience));
        Ok(self)
    }

    /// Replaces the audience of `filter` (added if new) while sealing: a group rotation
    /// switches the sender to the new epoch's key (spec/key-management.md §2.3).
    ///
    /// # Errors
    /// [`ConfigError::InvalidTopicFilter`] for a bad filter.
    pub fn set_audience(&mut self, filter: &str, audience: Audience) -> Result<(), ConfigError> {
        let filter = TopicFilter::new(filter)?;
        match self.audiences.iter_mut().find(|(f, _)| *f == filter) {
            Some((_, slot)) => *slot = audience,
            None => self.audiences.push((filter, audience)),
        }
        Ok(())
    }

    /// The audience a topic's payloads are encrypted to, if any.
    pub fn audience_for(&self, topic: &str) -> Option<&Audience> {
        self.audiences
            .iter()
            .find(|(filter, _)| filter.matches(topic))
            .map(|(_, audience)| audience)
    }

    /// Uses an assigned key id instead of the key's derived one.
    pub fn with_kid(mut self, kid: Kid) -> Self {
        self.kid = kid;
        self
    }

    /// Refuses to seal envelopes larger than `limits.max_envelope_bytes` (so that receivers with
    /// the same limits can open them).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Carries the sender's certificate chain (DER, leaf first, as many as the receivers'
    /// [`Limits::max_x5chain_certs`]) in every envelope's protected header as `x5chain`
    /// (COSE label 33, RFC 9360), for receivers that validate senders against a PKI. The leaf
    /// must certify this sealer's key, and the kid stays the key's (RFC 9679) kid. An empty
    /// chain removes it.
    pub fn with_x5chain(mut self, chain: Vec<Vec<u8>>) -> Self {
        self.certs.x5chain = (!chain.is_empty()).then_some(chain);
        self
    }

    /// Carries a certificate thumbprint (`x5t`, COSE label 34) in every envelope: for
    /// receivers that already hold the sender's certificate, at a few dozen bytes instead of
    /// the chain.
    pub fn with_x5t(mut self, hash: header::CertHash) -> Self {
        self.certs.x5t = Some(hash);
        self
    }

    /// The key id written into every envelope.
    pub fn kid(&self) -> &Kid {
        &self.kid
    }

    /// The sequence source, e.g. to read how far it has counted.
    pub fn sequence(&self) -> &S {
        &self.seq
    }

    /// Seals `payload` for publication on `topic`: signed, and encrypted if the topic has an
    /// audience ([`with_audience`](Self::with_audience)), with randomness from the OS.
    ///
    /// The envelope is only valid on exactly that topic: the topic is covered by the
    /// signature (spec §3.3) but not transmitted.
    ///
    /// # Errors
    /// [`SealError::InvalidTopic`], [`SealError::TooLarge`], [`SealError::Sequence`],
    /// [`SealError::Clock`], [`SealError::Encryption`], [`SealError::Rng`] or
    /// [`SealError::Signing`]; without the `std` feature, [`SealError::NoRng`] for a topic
    /// with an audience. A sequence number taken before a failure is not reused.
    pub fn seal(&mut self, topic: &str, payload: &[u8]) -> Result<Vec<u8>, SealError> {
        self.seal_kind(topic, payload, MessageKind::Live)
    }

    /// Like [`seal`](Self::seal), signing what the message is (spec §3.7): retained state
    /// (for a publish with the MQTT retain flag) or a Last Will. Only a signed kind lets a
    /// receiver judge the message with its longer retained or will limits, and it keeps the
    /// message in a replay window of its own, so later live messages never push it out.
    ///
    /// ```
    /// use payseal::{Algorithm, Counter, ManualClock, MessageKind, Opener, Policy, Sealer,
    ///               SigningKey, TrustStore};
    /// let clock = ManualClock::new(1_700_000_000);
    /// let key = SigningKey::generate(Algorithm::Ed25519)?;
    /// let mut trust = TrustStore::new();
    /// trust.add_sender(key.verifying_key(), ["plant/#"])?;
    /// let mut sealer = Sealer::new(key, Counter::starting_at(1), &clock);
    /// let state = sealer.seal_kind("plant/3/setpoint", b"20.0", MessageKind::Retained)?;
    /// let mut opener = Opener::new(trust, Policy::default(), &clock);
    /// assert_eq!(opener.open("plant/3/setpoint", &state)?.kind(), MessageKind::Retained);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`seal`](Self::seal).
    pub fn seal_kind(
        &mut self,
        topic: &str,
        payload: &[u8],
        kind: MessageKind,
    ) -> Result<Vec<u8>, SealError> {
        self.with_os_rng(topic, |sealer, rng| {
            sealer.seal_inner(topic, payload, kind, rng)
        })
    }

    /// Everything of [`seal_kind`](Self::seal_kind) but the stamp (signature or MAC): the
    /// envelope is numbered, timed, encrypted if its topic has an audience and checked against
    /// the size limit now, and [`Unstamped::stamp`] then signs it without the sealer, on any
    /// thread. A publisher with several threads holds its sealer only for this part, so that
    /// signatures, the cost of sealing, are made on every core.
    ///
    /// ```
    /// use payseal::{Algorithm, Counter, ManualClock, MessageKind, Opener, Policy, Sealer,
    ///               SigningKey, TrustStore};
    /// let clock = ManualClock::new(1_700_000_000);
    /// let key = SigningKey::generate(Algorithm::Ed25519)?;
    /// let mut trust = TrustStore::new();
    /// trust.add_sender(key.verifying_key(), ["plant/#"])?;
    /// let mut sealer = Sealer::new(key, Counter::starting_at(1), &clock);
    /// let unstamped = sealer.prepare_kind("plant/3/temp", b"21.5", MessageKind::Live)?;
    /// let envelope = std::thread::spawn(move || unstamped.stamp()).join().unwrap()?;
    /// let mut opener = Opener::new(trust, Policy::default(), &clock);
    /// assert_eq!(opener.open("plant/3/temp", &envelope)?.payload(), b"21.5");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`seal`](Self::seal), but for [`SealError::Signing`], which [`Unstamped::stamp`]
    /// returns. A sequence number taken is not reused, even if the envelope is never stamped.
    pub fn prepare_kind(
        &mut self,
        topic: &str,
        payload: &[u8],
        kind: MessageKind,
    ) -> Result<Unstamped<K>, SealError> {
        self.with_os_rng(topic, |sealer, rng| {
            let mut parts = Scratch::default();
            let layer = sealer.write_unstamped(&mut parts, topic, payload, kind, rng)?;
            Ok(Unstamped {
                key: Arc::clone(&sealer.key),
                protected: parts.protected,
                aad: parts.aad,
                payload: layer.unwrap_or_else(|| payload.to_vec()),
            })
        })
    }

    /// Runs `f` with a generator seeded from the OS if `topic` has an audience (encryption
    /// needs one), else with none.
    fn with_os_rng<T>(
        &mut self,
        topic: &str,
        f: impl FnOnce(&mut Self, Option<&mut rand_chacha::ChaCha20Rng>) -> Result<T, SealError>,
    ) -> Result<T, SealError> {
        if self.audience_for(topic).is_none() {
            return f(self, None);
        }
        #[cfg(feature = "std")]
        {
            let mut rng = os_seeded_rng()?;
            f(self, Some(&mut rng))
        }
        #[cfg(not(feature = "std"))]
        Err(SealError::NoRng)
    }

    /// Like [`seal`](Self::seal), with the caller's random number generator for encryption
    /// (for `no_std` devices; it must be a cryptographically secure generator).
    ///
    /// # Errors
    /// As [`seal`](Self::seal).
    pub fn seal_with_rng(
        &mut self,
        topic: &str,
        payload: &[u8],
        rng: &mut impl CryptoRng,
    ) -> Result<Vec<u8>, SealError> {
        self.seal_inner(topic, payload, MessageKind::Live, Some(rng))
    }

    /// Like [`seal_kind`](Self::seal_kind), with the caller's random number generator.
    ///
    /// # Errors
    /// As [`seal`](Self::seal).
    pub fn seal_kind_with_rng(
        &mut self,
        topic: &str,
        payload: &[u8],
        kind: MessageKind,
        rng: &mut impl CryptoRng,
    ) -> Result<Vec<u8>, SealError> {
        self.seal_inner(topic, payload, kind, Some(rng))
    }

    fn seal_inner<R: CryptoRng>(
        &mut self,
        topic: &str,
        payload: &[u8],
        kind: MessageKind,
        rng: Option<&mut R>,
    ) -> Result<Vec<u8>, SealError> {
        let mut scratch = core::mem::take(&mut self.scratch);
        let sealed = self
            .write_unstamped(&mut scratch, topic, payload, kind, rng)
            .and_then(|layer| {
                let Scratch {
                    protected,
                    aad,
                    to_be_stamped,
                } = &mut scratch;
                let payload = layer.as_deref().unwrap_or(payload);
                self.key.stamp(protected, aad, payload, to_be_stamped)
            });
        self.scratch = scratch;
        sealed
    }

    /// Numbers, times and (on a topic with an audience) encrypts the next envelope, and writes
    /// its protected header and external AAD into `parts`: everything but the stamp. Returns
    /// the encrypted layer, if any, which is then the payload stamped.
    fn write_unstamped<R: CryptoRng>(
        &mut self,
        parts: &mut Scratch,
        topic: &str,
        payload: &[u8],
        kind: MessageKind,
        rng: Option<&mut R>,
    ) -> Result<Option<Vec<u8>>, SealError> {
        if !is_valid_topic_name(topic) {
            return Err(SealError::InvalidTopic);
        }
        let iat = self.clock.now().ok_or(SealError::Clock)?;
        let seq = self.seq.next_seq().map_err(SealError::Sequence)?;
        let encrypted = match (self.audience_for(topic), rng) {
            (Some(audience), Some(rng)) => {
                let binding = Binding {
                    topic,
                    sender: self.kid.as_bytes(),
                    seq,
                };
                Some(encrypt(audience, &binding, payload, rng, iat)?)
            }
            (Some(_), None) => return Err(SealError::NoRng),
            (None, _) => None,
        };
        let (content_type, layer) = match encrypted {
            Some((content_type, layer)) => (Some(content_type), Some(layer)),
            None => (None, None),
        };
        header::encode(
            &mut parts.protected,
            self.key.cose_alg(),
            content_type,
            &self.kid,
            seq,
            iat,
            &self.certs,
            kind,
        );
        let stamped = layer.as_deref().unwrap_or(payload);
        let size = stamped_len(parts.protected.len(), stamped.len(), self.key.stamp_len());
        if size > self.limits.max_envelope_bytes {
            return Err(SealError::TooLarge {
                limit: self.limits.max_envelope_bytes,
                actual: size,
            });
        }
        write_external_aad(&mut parts.aad, topic);
        Ok(layer)
    }
}

/// An envelope sealed but for its stamp (signature or MAC), from [`Sealer::prepare_kind`]: it
/// is stamped with the sealer's key, without the sealer, on any thread. Its sequence number is
/// taken: dropped unstamped, that number is never used.
pub struct Unstamped<K> {
    key: Arc<K>,
    protected: Vec<u8>,
    aad: Vec<u8>,
    payload: Vec<u8>,
}

impl<K: StampKey> Unstamped<K> {
    /// Signs (or MACs) the envelope: the envelope's bytes.
    ///
    /// # Errors
    /// [`SealError::Signing`] if the key failed to sign (e.g. a hardware token).
    pub fn stamp(self) -> Result<Vec<u8>, SealError> {
        let mut to_be_stamped = Vec::new();
        self.key.stamp(
            &self.protected,
            &self.aad,
            &self.payload,
            &mut to_be_stamped,
        )
    }
}

impl<K> core::fmt::Debug for Unstamped<K> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Not the payload: it may be plaintext the caller keeps from logs.
        f.debug_struct("Unstamped").finish_non_exhaustive()
    }
}

/// A ChaCha20 generator seeded from the OS for one envelope: fallible where the OS RNG is
/// (a typed error, not a panic), then infallible as `hpke` requires.
#[cfg(feature = "std")]
fn os_seeded_rng() -> Result<rand_chacha::ChaCha20Rng, SealError> {
    use rand_core::SeedableRng;
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut()).map_err(|_| SealError::Rng)?;
    Ok(rand_chacha::ChaCha20Rng::from_seed(*seed))
}
