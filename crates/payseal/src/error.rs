//! Typed reasons for refusing an envelope, and the errors of sealing and key handling.
//!
//! Every reason has a stable [`Rejection::code`] that `spec/envelope.md` §6 and the test vectors
//! use, so other implementations can be checked reason for reason.

use crate::alg::Algorithm;

/// Why an envelope was refused. Returned by [`Opener::open`](crate::Opener::open).
///
/// Structural problems carry detail ([`Malformed`]); cryptographic failures say nothing beyond
/// their name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The bytes are not an envelope of this profile.
    #[error("malformed envelope: {0}")]
    Malformed(#[from] Malformed),
    /// The envelope, or one of its parts, is larger than the configured limit.
    #[error("too large: {what} is {actual} bytes, limit {limit}")]
    TooLarge {
        /// Which part was too large.
        what: &'static str,
        /// The configured limit in bytes.
        limit: usize,
        /// The size seen.
        actual: usize,
    },
    /// The topic the message arrived on is not a valid MQTT topic name.
    #[error("invalid topic name")]
    InvalidTopic,
    /// The `alg` header names an algorithm payseal does not support. The value is any CBOR
    /// integer (-2^64 to 2^64-1, spec/envelope.md §4.1): one outside the 64-bit signed range
    /// is an algorithm like any other that payseal does not support.
    #[error("unsupported algorithm {0}")]
    UnsupportedAlgorithm(i128),
    /// No trusted sender has this key id.
    #[error("unknown sender")]
    UnknownSender,
    /// The sender's certificate (or chain) could not be used: unparseable, a bad signature in
    /// the chain, a broken path (chain length, basic constraints), an unsupported key, a kid
    /// that is not the certificate key's, or an `x5t` naming no known certificate.
    #[error("certificate invalid")]
    CertificateInvalid,
    /// The sender's certificate, or one in its chain, has expired (at the opener's clock time,
    /// or the time is unknown).
    #[error("certificate expired")]
    CertificateExpired,
    /// The sender's certificate, or one in its chain, is not yet valid.
    #[error("certificate not yet valid")]
    CertificateNotYetValid,
    /// The chain does not lead to a configured trust anchor.
    #[error("certificate issued by an unknown CA")]
    UnknownCa,
    /// The sender's certificate, or one in its chain, is revoked (deny list or CRL).
    #[error("certificate revoked")]
    CertificateRevoked,
    /// The sender's certificate is not for signing payloads: no keyUsage digitalSignature,
    /// or an extended key usage the receiver does not accept.
    #[error("certificate key usage does not allow signing envelopes")]
    KeyUsage,
    /// The key has expired (spec/key-management.md): a trusted sender key past its
    /// `not_after` at the opener's clock time (or the time is unknown), or a group key epoch
    /// older than the receiver's current one whose grace period has ended (or that the
    /// receiver no longer holds).
    #[error("key expired")]
    KeyExpired,
    /// A trusted sender key before its `not_before` at the opener's clock time
    /// (spec/key-management.md §3).
    #[error("key not yet valid")]
    KeyNotYetValid,
    /// The `alg` header does not match the algorithm pinned to the sender's key.
    #[error("algorithm mismatch: sender key is {expected}, envelope says {found}")]
    AlgorithmMismatch {
        /// The sender key's algorithm.
        expected: Algorithm,
        /// The COSE `alg` value in the envelope.
        found: i64,
    },
    /// The `alg` header does not name the MAC algorithm pinned to the MAC sender's key
    /// (spec/mac.md; code `algorithm_mismatch`, as [`Rejection::AlgorithmMismatch`]). A signed
    /// envelope under a MAC sender's kid is refused so too.
    #[error("algorithm mismatch: MAC sender key is {expected}, envelope says {found}")]
    MacAlgorithmMismatch {
        /// The MAC sender key's algorithm.
        expected: crate::MacAlgorithm,
        /// The COSE `alg` value in the envelope.
        found: i64,
    },
    /// The sender is known but may not publish on this topic.
    #[error("sender is not authorized for this topic")]
    TopicNotAuthorized,
    /// The signature does not verify (tampered, moved to another topic, or forged).
    #[error("bad signature")]
    BadSignature,
    /// The timestamp is older than the freshness window allows.
    #[error("stale: sealed {age_secs} s ago, max age {max_age_secs} s")]
    Stale {
        /// How old the timestamp is, in seconds.
        age_secs: u64,
        /// The configured maximum age.
        max_age_secs: u64,
    },
    /// The timestamp is further in the future than the allowed clock skew.
    #[error("from the future: {ahead_secs} s ahead, max skew {max_skew_secs} s")]
    FromTheFuture {
        /// How far ahead the timestamp is, in seconds.
        ahead_secs: u64,
        /// The configured maximum future skew.
        max_skew_secs: u64,
    },
    /// This sequence number from this sender was already accepted.
    #[error("replayed: sequence number {seq} was already accepted")]
    Replayed {
        /// The replayed sequence number.
        seq: u64,
    },
    /// The replay store could not be reached or written (a durable or shared store failing).
    /// Nothing is accepted unchecked; the message may be retried once the store is back.
    #[error("replay store unavailable: sequence number {seq} could not be checked")]
    StoreUnavailable {
        /// The sequence number that could not be checked.
        seq: u64,
    },
    /// The topic requires encryption but the envelope is only signed (a downgrade).
    #[error("encryption required on this topic")]
    EncryptionRequired,
    /// More recipients than the configured limit; refused before any decryption work.
    #[error("too many recipients: {actual}, limit {limit}")]
    TooManyRecipients {
        /// The configured limit.
        limit: usize,
        /// The number in the envelope.
        actual: usize,
    },
    /// An authentic envelope encrypted for other receivers: none of its recipients, or its
    /// group key, is in this receiver's keyring. Not an attack; see [`Rejection::is_alarm`].
    #[error("not encrypted for this receiver")]
    NotForMe,
    /// The encrypted layer did not decrypt (wrong key, or altered by the sender's side).
    #[error("decryption failed")]
    DecryptFailed,
    /// The content key decrypted the payload but is not the key the signed encrypted layer
    /// commits to (spec/encryption.md §4.1): the sender gave recipients different content
    /// keys, so that one signature would carry different plaintexts. An alarm.
    #[error("content key does not match its signed commitment")]
    KeyCommitmentMismatch,
    /// The message arrived on a topic that matches none of the receiver's active subscription
    /// filters. The MQTT adapters check this before opening the envelope
    /// (`spec/mqtt-adapters.md` §1): a broker may not hand the application messages it never
    /// asked for, authentic or not. Not an alarm (MQTT itself delivers such messages after an
    /// `UNSUBSCRIBE` races messages in flight, and from subscriptions a persistent session kept
    /// from an earlier run); see [`Rejection::is_alarm`].
    #[error("not subscribed to this topic")]
    NotSubscribed,
    /// The message kind marker (spec §3.7) has a value this profile does not assign (0, or 3
    /// and above): the receiver cannot tell how to judge the message's age.
    #[error("unknown message kind {0}")]
    UnknownKind(u64),
    /// The sequence number is older than the sender's replay window can judge.
    #[error("below window: sequence number {seq} is older than the window (lowest {lowest})")]
    BelowWindow {
        /// The sequence number seen.
        seq: u64,
        /// The lowest sequence number the window still tracks.
        lowest: u64,
    },
}

/// The ways an envelope can be structurally wrong (spec §4).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// The bytes are not an envelope at all: empty, or the first byte is not the head of a
    /// CBOR tag (major type 6), as with plaintext, JSON or an untagged array (spec §4.1, the
    /// first check of strict decoding). An alarm like every strict-decoding failure: on a
    /// topic a receiver protects, something that is not a payseal sender published there.
    #[error("not an envelope: the bytes do not begin with a CBOR tag")]
    NotAnEnvelope,
    /// Not well-formed CBOR, or truncated.
    #[error("invalid CBOR at byte {offset}")]
    InvalidCbor {
        /// Byte offset where decoding failed.
        offset: usize,
    },
    /// Bytes follow the envelope.
    #[error("{count} trailing bytes after the envelope")]
    TrailingBytes {
        /// How many bytes follow.
        count: usize,
    },
    /// An indefinite-length string, array or map (the profile requires definite lengths).
    #[error("indefinite-length item at byte {offset}")]
    IndefiniteLength {
        /// Byte offset of the item.
        offset: usize,
    },
    /// An integer or length not in its shortest form (RFC 8949 §4.2.1).
    #[error("non-preferred encoding at byte {offset}")]
    NonPreferredEncoding {
        /// Byte offset of the item.
        offset: usize,
    },
    /// A CBOR item the profile does not allow (floats, tags inside the envelope, undefined).
    #[error("disallowed CBOR item at byte {offset}")]
    DisallowedItem {
        /// Byte offset of the item.
        offset: usize,
    },
    /// A map has the same key twice.
    #[error("duplicate map key at byte {offset}")]
    DuplicateLabel {
        /// Byte offset of the second occurrence.
        offset: usize,
    },
    /// Nesting or item counts exceed the profile's limits.
    #[error("too complex: {0}")]
    TooComplex(&'static str),
    /// Not a tagged COSE_Sign1 (tag 18).
    #[error("not a tagged COSE_Sign1")]
    WrongTag,
    /// The COSE structure is wrong (element count, types, detached payload).
    #[error("invalid structure: {0}")]
    InvalidStructure(&'static str),
    /// A header is missing, has the wrong type, or a value outside the profile.
    #[error("invalid header: {0}")]
    InvalidHeader(&'static str),
    /// The `crit` header lists a parameter this implementation does not understand.
    #[error("unknown critical header {0}")]
    UnknownCriticalHeader(alloc::string::String),
}

impl Rejection {
    /// The stable reason code used by the spec and the test vectors, e.g. `"replayed"`.
    ///
    /// ```
    /// assert_eq!(payseal::Rejection::BadSignature.code(), "bad_signature");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::Malformed(m) => m.code(),
            Rejection::TooLarge { .. } => "too_large",
            Rejection::InvalidTopic => "invalid_topic",
            Rejection::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            Rejection::UnknownKind(_) => "unknown_kind",
            Rejection::UnknownSender => "unknown_sender",
            Rejection::CertificateInvalid => "certificate_invalid",
            Rejection::CertificateExpired => "certificate_expired",
            Rejection::CertificateNotYetValid => "certificate_not_yet_valid",
            Rejection::UnknownCa => "unknown_ca",
            Rejection::CertificateRevoked => "certificate_revoked",
            Rejection::KeyUsage => "key_usage",
            Rejection::KeyExpired => "key_expired",
            Rejection::KeyNotYetValid => "key_not_yet_valid",
            Rejection::AlgorithmMismatch { .. } | Rejection::MacAlgorithmMismatch { .. } => {
                "algorithm_mismatch"
            }
            Rejection::TopicNotAuthorized => "topic_not_authorized",
            Rejection::BadSignature => "bad_signature",
            Rejection::Stale { .. } => "stale",
            Rejection::FromTheFuture { .. } => "from_the_future",
            Rejection::Replayed { .. } => "replayed",
            Rejection::BelowWindow { .. } => "below_window",
            Rejection::EncryptionRequired => "encryption_required",
            Rejection::StoreUnavailable { .. } => "store_unavailable",
            Rejection::TooManyRecipients { .. } => "too_many_recipients",
            Rejection::NotForMe => "not_for_me",
            Rejection::DecryptFailed => "decrypt_failed",
            Rejection::KeyCommitmentMismatch => "key_commitment_mismatch",
            Rejection::NotSubscribed => "not_subscribed",
        }
    }

    /// Whether the rejection points at tampering, forgery, replay or misconfiguration.
    /// [`Rejection::NotForMe`] does not (the message is authentic, just addressed to others),
    /// nor does [`Rejection::StoreUnavailable`] (an outage on the receiving side), nor
    /// [`Rejection::NotSubscribed`] (refused before any check, and also caused by MQTT's own
    /// delivery rules).
    ///
    /// ```
    /// assert!(!payseal::Rejection::NotSubscribed.is_alarm());
    /// assert!(payseal::Rejection::BadSignature.is_alarm());
    /// ```
    pub fn is_alarm(&self) -> bool {
        !matches!(
            self,
            Rejection::NotForMe | Rejection::StoreUnavailable { .. } | Rejection::NotSubscribed
        )
    }

    /// Whether the message could be accepted if delivered again later: the receiver could not
    /// judge it ([`Rejection::StoreUnavailable`]). Adapters leave such messages unacknowledged
    /// so the broker redelivers them.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Rejection::StoreUnavailable { .. })
    }

    /// Every reason code, in the order the spec lists them.
    pub const CODES: &'static [&'static str] = &[
        "too_large",
        "not_an_envelope",
        "invalid_cbor",
        "trailing_bytes",
        "indefinite_length",
        "non_preferred_encoding",
        "disallowed_item",
        "duplicate_label",
        "too_complex",
        "wrong_tag",
        "invalid_structure",
        "invalid_header",
        "unknown_critical_header",
        "unsupported_algorithm",
        "unknown_kind",
        "invalid_topic",
        "unknown_sender",
        "certificate_invalid",
        "certificate_expired",
        "certificate_not_yet_valid",
        "unknown_ca",
        "certificate_revoked",
        "key_usage",
        "key_expired",
        "key_not_yet_valid",
        "algorithm_mismatch",
        "topic_not_authorized",
        "encryption_required",
        "bad_signature",
        "stale",
        "from_the_future",
        "replayed",
        "below_window",
        "store_unavailable",
        "too_many_recipients",
        "not_for_me",
        "decrypt_failed",
        "key_commitment_mismatch",
        "not_subscribed",
    ];
}

impl Malformed {
    /// The stable reason code of this structural error.
    pub fn code(&self) -> &'static str {
        match self {
            Malformed::NotAnEnvelope => "not_an_envelope",
            Malformed::InvalidCbor { .. } => "invalid_cbor",
            Malformed::TrailingBytes { .. } => "trailing_bytes",
            Malformed::IndefiniteLength { .. } => "indefinite_length",
            Malformed::NonPreferredEncoding { .. } => "non_preferred_encoding",
            Malformed::DisallowedItem { .. } => "disallowed_item",
            Malformed::DuplicateLabel { .. } => "duplicate_label",
            Malformed::TooComplex(_) => "too_complex",
            Malformed::WrongTag => "wrong_tag",
            Malformed::InvalidStructure(_) => "invalid_structure",
            Malformed::InvalidHeader(_) => "invalid_header",
            Malformed::UnknownCriticalHeader(_) => "unknown_critical_header",
        }
    }
}

/// Why [`Sealer::seal`](crate::Sealer::seal) could not produce an envelope.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The topic is not a valid MQTT topic name (empty, wildcards, NUL, too long).
    #[error("invalid topic name")]
    InvalidTopic,
    /// The payload would make the envelope larger than the configured limit.
    #[error("too large: envelope would be {actual} bytes, limit {limit}")]
    TooLarge {
        /// The configured limit in bytes.
        limit: usize,
        /// The envelope size the payload would give.
        actual: usize,
    },
    /// The sequence source is exhausted or could not reserve a number.
    #[error("sequence source failed: {0}")]
    Sequence(SequenceError),
    /// The clock could not be read.
    #[error("clock unavailable")]
    Clock,
    /// Encrypting the payload failed (for example an invalid recipient key).
    #[error("encryption failed")]
    Encryption,
    /// The operating system's random number generator failed.
    #[error("random number generator failed")]
    Rng,
    /// Every recipient key of the topic's audience is outside its validity window at the
    /// sealer's clock time (spec/key-management.md §3): nothing to encrypt to.
    #[error("no recipient key is valid now")]
    NoValidRecipient,
    /// The topic has an audience, but this build has no OS RNG: use
    /// [`Sealer::seal_with_rng`](crate::Sealer::seal_with_rng).
    #[error("encryption needs a random number generator")]
    NoRng,
    /// The signer failed (for example a hardware signer refused).
    #[error("signing failed")]
    Signing,
}

/// A sequence source could not hand out a number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SequenceError {
    /// Every sequence number has been used; the sender needs a new key id.
    #[error("sequence numbers exhausted")]
    Exhausted,
    /// The backing store could not persist the reservation.
    #[error("sequence store unavailable")]
    StoreUnavailable,
}

/// Loading, parsing or converting a key failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The PEM or DER could not be parsed as a key of a supported algorithm.
    #[error("not a supported {0} key")]
    Unsupported(&'static str),
    /// The key bytes are invalid for the curve (wrong length, not on the curve, zero scalar).
    #[error("invalid key material")]
    Invalid,
    /// A weak key: an Ed25519 public key of small order (one of the points whose order divides
    /// 8). Strict verification refuses every signature under it, and it is no one's key: spec
    /// §7 makes refusing it a MUST.
    #[error(
        "weak key: a small-order Ed25519 public key, which can verify nothing and is no one's key"
    )]
    WeakKey,
    /// A COSE_Key lacks a parameter or has a wrong type.
    #[error("invalid COSE_Key: {0}")]
    CoseKey(&'static str),
    /// Encoding the key failed.
    #[error("could not encode key")]
    Encode,
    /// The operating system's random number generator failed.
    #[error("random number generator failed")]
    Rng,
}

/// Building a [`TrustStore`](crate::TrustStore) or topic filter failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A topic filter breaks MQTT's rules (misplaced `#` or `+`, empty, NUL, too long).
    #[error("invalid topic filter {0:?}")]
    InvalidTopicFilter(alloc::string::String),
    /// Two senders share a key id.
    #[error("duplicate key id {0}")]
    DuplicateKid(crate::Kid),
    /// A key id is empty or longer than the limit.
    #[error("key id must be 1 to {max} bytes, got {len}")]
    KidLength {
        /// The length given.
        len: usize,
        /// The maximum length.
        max: usize,
    },
    /// A policy value is out of range.
    #[error("invalid policy: {0}")]
    Policy(&'static str),
}
