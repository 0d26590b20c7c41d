//! Resolving the sender of an envelope (spec §5 step 5): from a static trust store, or from a
//! certificate chain through a PKI resolver (the `payseal-x509` crate).

use crate::error::Rejection;
use crate::header::CertHash;
use crate::keys::{Kid, VerifyingKey};
use crate::mac::MacKey;
use crate::topic::TopicFilter;
use crate::trust::TrustStore;

/// What a decoded envelope says about its sender, before any of it is trusted.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct SenderClaim<'a> {
    /// The key id (`kid`).
    pub kid: &'a [u8],
    /// The COSE `alg` value.
    pub alg: i64,
    /// The certificate chain (`x5chain`, DER, leaf first), unvalidated.
    pub x5chain: Option<&'a [alloc::vec::Vec<u8>]>,
    /// The certificate thumbprint (`x5t`), unvalidated.
    pub x5t: Option<&'a CertHash>,
    /// The opener's clock, seconds since the Unix epoch; `None` when the time is unknown.
    pub now: Option<u64>,
}

/// A sender the resolver vouches for: the key that must have made the signature, the key id
/// its replay window is kept under, and the topics it may publish on.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct ResolvedSender<'a> {
    /// The key id the sender is known by (and its replay window kept under).
    pub kid: &'a Kid,
    /// The sender's public key; it pins the algorithm (spec §5 step 6).
    pub key: &'a VerifyingKey,
    /// The topic filters the sender may publish on (spec §5 step 7).
    pub topics: &'a [TopicFilter],
    /// A human-readable identity, e.g. a certificate subject; `None` for static keys.
    pub identity: Option<&'a str>,
}

impl<'a> ResolvedSender<'a> {
    /// A resolved sender without an identity label.
    pub fn new(kid: &'a Kid, key: &'a VerifyingKey, topics: &'a [TopicFilter]) -> Self {
        ResolvedSender {
            kid,
            key,
            topics,
            identity: None,
        }
    }

    /// Adds an identity label (shown in [`Verified::identity`](crate::Verified::identity)).
    pub fn with_identity(mut self, identity: &'a str) -> Self {
        self.identity = Some(identity);
        self
    }

    /// Whether the sender may publish on `topic`.
    pub fn may_publish(&self, topic: &str) -> bool {
        self.topics.iter().any(|f| f.matches(topic))
    }
}

/// A MAC sender the resolver vouches for (spec/mac.md): its derived key, the key id its
/// replay window is kept under, and the topics it may publish on.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct ResolvedMacSender<'a> {
    /// The key the tag must verify under; it pins the MAC algorithm.
    pub key: &'a MacKey,
    /// The topic filters the sender may publish on.
    pub topics: &'a [TopicFilter],
}

impl<'a> ResolvedMacSender<'a> {
    /// A resolved MAC sender.
    pub fn new(key: &'a MacKey, topics: &'a [TopicFilter]) -> Self {
        ResolvedMacSender { key, topics }
    }

    /// Whether the sender may publish on `topic`.
    pub fn may_publish(&self, topic: &str) -> bool {
        self.topics.iter().any(|f| f.matches(topic))
    }
}

/// How an [`Opener`](crate::Opener) finds out who sent an envelope: spec §5 step 5.
///
/// [`TrustStore`] looks the kid up among statically configured keys. A PKI resolver validates
/// the envelope's certificate chain instead and derives key, kid and topic rights from it. The
/// steps after this one (algorithm pin, topic authorization, signature, freshness, replay) run
/// unchanged on the result, whichever resolver produced it.
///
/// A resolver only vouches for a key; the signature is checked afterwards. It must not accept
/// a claim it cannot judge (unknown time, unparseable certificate): fail closed with a
/// [`Rejection`].
pub trait SenderResolver {
    /// Resolves the sender of an envelope.
    ///
    /// # Errors
    /// [`Rejection::UnknownSender`], or one of the certificate reasons
    /// ([`Rejection::CertificateInvalid`] and the others after it).
    fn resolve(&mut self, claim: &SenderClaim<'_>) -> Result<ResolvedSender<'_>, Rejection>;

    /// The MAC sender (spec/mac.md) the claim's kid names, if it names one; asked before
    /// [`resolve`](Self::resolve). A kid names one key: when this returns a sender, the
    /// envelope must be a MAC envelope of that sender's algorithm (else
    /// `algorithm_mismatch`). The default knows no MAC senders.
    ///
    /// # Errors
    /// None from the default; a resolver may fail closed with a [`Rejection`].
    fn resolve_mac(
        &mut self,
        claim: &SenderClaim<'_>,
    ) -> Result<Option<ResolvedMacSender<'_>>, Rejection> {
        let _ = claim;
        Ok(None)
    }
}

/// The static trust store resolves by kid alone and ignores `x5chain`/`x5t`: the key it holds
/// for the kid is what the signature must verify under.
impl SenderResolver for TrustStore {
    fn resolve(&mut self, claim: &SenderClaim<'_>) -> Result<ResolvedSender<'_>, Rejection> {
        let (kid, sender) = self
            .sender_by_bytes(claim.kid)
            .ok_or(Rejection::UnknownSender)?;
        // spec/key-management.md §3: a known key outside its window, before any signature work.
        sender.validity().check(claim.now)?;
        Ok(ResolvedSender::new(kid, sender.key(), sender.topics()))
    }

    fn resolve_mac(
        &mut self,
        claim: &SenderClaim<'_>,
    ) -> Result<Option<ResolvedMacSender<'_>>, Rejection> {
        let Some(sender) = self.mac_sender_by_bytes(claim.kid) else {
            return Ok(None);
        };
        // spec/key-management.md §3, as for a signature sender in `resolve`: a known key
        // outside its window, before any MAC work.
        sender.validity().check(claim.now)?;
        Ok(Some(ResolvedMacSender::new(sender.key(), sender.topics())))
    }
}
