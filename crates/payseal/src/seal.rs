//! Sealing: turning a payload into a signed, topic-bound, sequenced envelope.

use alloc::vec::Vec;

use coset::{CborSerializable, CoseSign1Builder, TaggedCborSerializable};

use crate::alg::Algorithm;
use crate::clock::Clock;
use crate::envelope::external_aad;
use crate::error::SealError;
use crate::header;
use crate::keys::{Kid, Signature, SigningKey};
use crate::policy::Limits;
use crate::sequence::SequenceSource;
use crate::topic::is_valid_topic_name;

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
    key: K,
    kid: Kid,
    seq: S,
    clock: C,
    limits: Limits,
}

impl<K: SealingKey, S: SequenceSource, C: Clock> Sealer<K, S, C> {
    /// A sealer using `key` under its own key id, numbering envelopes from `seq` and stamping
    /// them with `clock`.
    pub fn new(key: K, seq: S, clock: C) -> Self {
        let kid = key.kid();
        Sealer {
            key,
            kid,
            seq,
            clock,
            limits: Limits::DEFAULT,
        }
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

    /// The key id written into every envelope.
    pub fn kid(&self) -> &Kid {
        &self.kid
    }

    /// The sequence source, e.g. to read how far it has counted.
    pub fn sequence(&self) -> &S {
        &self.seq
    }

    /// Seals `payload` for publication on `topic`.
    ///
    /// The envelope is only valid on exactly that topic: the topic is covered by the
    /// signature (spec §3.3) but not transmitted.
    ///
    /// # Errors
    /// [`SealError::InvalidTopic`], [`SealError::TooLarge`], [`SealError::Sequence`],
    /// [`SealError::Clock`] or [`SealError::Signing`]. A sequence number taken before a
    /// failure is not reused.
    pub fn seal(&mut self, topic: &str, payload: &[u8]) -> Result<Vec<u8>, SealError> {
        if !is_valid_topic_name(topic) {
            return Err(SealError::InvalidTopic);
        }
        let iat = self.clock.now().ok_or(SealError::Clock)?;
        let seq = self.seq.next_seq().map_err(SealError::Sequence)?;
        let protected = header::build(self.key.algorithm(), &self.kid, seq, iat);
        let size = envelope_size(&protected, payload.len())?;
        if size > self.limits.max_envelope_bytes {
            return Err(SealError::TooLarge {
                limit: self.limits.max_envelope_bytes,
                actual: size,
            });
        }
        let aad = external_aad(topic);
        let sign1 = CoseSign1Builder::new()
            .protected(protected)
            .payload(payload.to_vec())
            .try_create_signature(&aad, |tbs| {
                self.key.try_sign(tbs).map(|sig| sig.to_bytes().to_vec())
            })
            .map_err(|_| SealError::Signing)?
            .build();
        sign1.to_tagged_vec().map_err(|_| SealError::Signing)
    }
}

/// The exact envelope size: tag, array head, protected bstr, empty map, payload bstr and the
/// 64-byte signature bstr.
fn envelope_size(protected: &coset::Header, payload_len: usize) -> Result<usize, SealError> {
    let protected_len = protected
        .clone()
        .to_vec()
        .map_err(|_| SealError::Signing)?
        .len();
    let bstr = |len: usize| crate::cbor::shortest_head_len(len as u64) + len;
    Ok(1 + 1 + bstr(protected_len) + 1 + bstr(payload_len) + bstr(Signature::LEN))
}
