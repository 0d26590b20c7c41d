//! # payseal-x509: X.509 sender identities for payseal
//!
//! An [`X509Resolver`] is a [`payseal::SenderResolver`]: an [`payseal::Opener`] built with it
//! accepts envelopes whose sender carries a certificate chain (`x5chain`, COSE label 33,
//! RFC 9360) or names a registered certificate by thumbprint (`x5t`, label 34), instead of
//! looking the kid up among static keys. Everything after the sender lookup (algorithm pin,
//! topic authorization, signature, freshness, replay) is the same as for static keys
//! (spec/envelope.md §5).
//!
//! ## What is checked, in order
//! The numbered steps of `spec/x509.md` §1 (one home for them): time, which chain (`x5chain`,
//! `x5t`, neither: `unknown_sender`), the leaf (validity, not a CA, extended key usage), the
//! path by names, signatures and CRLs, the deny list ([`DenyList`]), keyUsage
//! digitalSignature, the key type (Ed25519 or P-256: webpki, and rcgen for issuing, have no
//! secp256k1), the `mqtt-topic:` filters and the kid. Validation is `rustls-webpki`'s;
//! [`X509Resolver::require_eku`] sets the accepted extended key usage (default
//! id-kp-clientAuth, "if present").
//!
//! ## Topic rights
//! A certificate grants the MQTT topic filters in its subjectAltName URI entries of the form
//! `mqtt-topic:<filter>` (e.g. `mqtt-topic:plant/3/+`), plus those the operator lists for its
//! subject common name ([`X509Resolver::allow_subject`]). The same
//! [`payseal::TopicFilter`] check as for static keys applies; a certificate with neither may
//! publish nowhere (`topic_not_authorized`).
//!
//! ## Caching
//! Only chains that validated are cached: under the SHA-256 thumbprint of their leaf, with the
//! thumbprints of the intermediates of the path that validated, until the earliest notAfter
//! (or before the latest notBefore) of those certificates. A later chain with the same leaf
//! is a cache hit when it carries every intermediate of that path (extra certificates are
//! ignored, as path building ignores them), so a broker cannot multiply cache entries by
//! appending junk certificates to a genuine chain, nor push a valid entry out by sending a
//! broken variant of it. The whole cache is dropped when the deny list or CRLs change.
//!
//! The cache holds at most [`X509Resolver::with_cache_capacity`] leaves (default 4096); when
//! full, the least recently used one is evicted, never the whole cache. A broker that cycles
//! through more *genuine* certificates than that (it needs that many distinct valid leaves)
//! forces at most one validation per message it sends, and the senders it pushes out are those
//! that have been quiet longest. [`X509Resolver::validations`] counts validations, for
//! monitoring. A cached message costs a hash of the chain's certificates and a map lookup on
//! top of the static-key path: see the `cached_chain` bench.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use payseal::{ManualClock, Opener, Policy};
//! use payseal_x509::X509Resolver;
//! # let ca_der: Vec<u8> = Vec::new();
//! # if ca_der.is_empty() { return Ok(()); }
//! let resolver = X509Resolver::new([ca_der.as_slice()])?.allow_subject("dashboard", ["ui/#"])?;
//! let opener = Opener::with_resolver(resolver, Policy::default(), ManualClock::new(1_700_000_000));
//! # let _ = opener; Ok(()) }
//! ```
//!
//! ## Features
//! This crate has no optional features: validation is always rustls-webpki on `ring`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod deny;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use payseal::{
    Algorithm, CertHash, Kid, Rejection, ResolvedSender, SenderClaim, SenderResolver, TopicFilter,
    VerifyingKey,
};
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, TrustAnchor, UnixTime};
use sha2::{Digest, Sha256};
use webpki::{
    CertRevocationList, EndEntityCert, KeyUsage, OwnedCertRevocationList, RevocationOptionsBuilder,
    UnknownStatusPolicy,
};
use x509_cert::Certificate;
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::KeyUsage as KeyUsageExt;

pub use deny::DenyList;

/// The prefix of a subjectAltName URI that grants a topic filter.
pub const TOPIC_URI_PREFIX: &str = "mqtt-topic:";

/// Configuring an [`X509Resolver`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A trust anchor certificate could not be parsed.
    #[error("trust anchor {index} is not a usable certificate")]
    TrustAnchor {
        /// Its position in the list given.
        index: usize,
    },
    /// A CRL could not be parsed.
    #[error("invalid CRL")]
    Crl,
    /// A topic filter breaks MQTT's rules.
    #[error(transparent)]
    Config(#[from] payseal::ConfigError),
    /// A deny-list line is neither `sha256:<hex>` nor `serial:<hex>`.
    #[error("deny list line {line} is not `sha256:<64 hex>` or `serial:<hex>`")]
    DenyList {
        /// The 1-based line number.
        line: usize,
    },
    /// Reading a file failed.
    #[error("reading a file failed: {0}")]
    Io(std::io::Error),
}

/// A validated sender, as cached.
#[derive(Debug)]
struct Sender {
    kid: Kid,
    key: VerifyingKey,
    topics: Vec<TopicFilter>,
    identity: String,
    /// The latest notBefore and earliest notAfter in the path, seconds since the epoch.
    not_before: u64,
    not_after: u64,
    /// SHA-256 thumbprints of the intermediates of the path that validated.
    path: Vec<[u8; 32]>,
    /// When it was last used (the resolver's use counter), its key in the eviction order.
    last_used: u64,
}

/// Default number of validated leaves kept (see [`X509Resolver::with_cache_capacity`]).
pub const DEFAULT_CACHE_CAPACITY: usize = 4096;

/// Resolves envelope senders from X.509 certificate chains: see the [crate] documentation.
#[derive(Debug)]
pub struct X509Resolver {
    anchors: Vec<TrustAnchor<'static>>,
    eku: KeyUsage,
    subjects: BTreeMap<String, Vec<TopicFilter>>,
    deny: DenyList,
    deny_file: Option<deny::DenyFile>,
    crls: Vec<CertRevocationList<'static>>,
    /// Registered chains for `x5t`, by the SHA-256 thumbprint of their leaf.
    registered: HashMap<[u8; 32], Vec<Vec<u8>>>,
    /// Validated senders by the SHA-256 thumbprint of their leaf.
    cache: HashMap<[u8; 32], Sender>,
    /// The cache's leaves by last use, least recent first.
    recency: BTreeMap<u64, [u8; 32]>,
    /// Counts cache uses; each use gets the next value.
    uses: u64,
    capacity: usize,
    validations: u64,
}

impl X509Resolver {
    /// A resolver trusting chains that end at one of `anchors` (DER certificates of root or
    /// intermediate CAs).
    ///
    /// # Errors
    /// [`Error::TrustAnchor`] for a certificate webpki cannot use as an anchor.
    pub fn new<'a>(anchors: impl IntoIterator<Item = &'a [u8]>) -> Result<Self, Error> {
        let anchors = anchors
            .into_iter()
            .enumerate()
            .map(|(index, der)| {
                let der = CertificateDer::from(der);
                webpki::anchor_from_trusted_cert(&der)
                    .map(|a| a.to_owned())
                    .map_err(|_| Error::TrustAnchor { index })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(X509Resolver {
            anchors,
            eku: KeyUsage::client_auth(),
            subjects: BTreeMap::new(),
            deny: DenyList::default(),
            deny_file: None,
            crls: Vec::new(),
            registered: HashMap::new(),
            cache: HashMap::new(),
            recency: BTreeMap::new(),
            uses: 0,
            capacity: DEFAULT_CACHE_CAPACITY,
            validations: 0,
        })
    }

    /// Keeps at most `capacity` validated leaves (at least 1; default
    /// [`DEFAULT_CACHE_CAPACITY`]), evicting the least recently used one when full.
    ///
    /// ```
    /// # let ca_der: Vec<u8> = Vec::new();
    /// # if ca_der.is_empty() { return; }
    /// let resolver = payseal_x509::X509Resolver::new([ca_der.as_slice()]).unwrap()
    ///     .with_cache_capacity(100_000);
    /// ```
    pub fn with_cache_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        while self.cache.len() > self.capacity {
            self.evict_least_recent();
        }
        self
    }

    /// Accepts leaves whose extended key usage, if present, lists `oid` (DER content bytes of
    /// the OID) instead of id-kp-clientAuth.
    pub fn require_eku(mut self, oid: &'static [u8]) -> Self {
        self.eku = KeyUsage::required_if_present(oid);
        self.clear_cache();
        self
    }

    /// Grants `filters` to certificates whose subject common name is `common_name`, on top of
    /// the filters in their own `mqtt-topic:` URIs.
    ///
    /// # Errors
    /// [`Error::Config`] for a bad topic filter.
    pub fn allow_subject<I, S>(mut self, common_name: &str, filters: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let filters = filters
            .into_iter()
            .map(|f| TopicFilter::new(f.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        self.subjects
            .entry(common_name.to_owned())
            .or_default()
            .extend(filters);
        self.clear_cache();
        Ok(self)
    }

    /// Refuses the certificates on `deny` (replacing any list set before).
    pub fn with_deny_list(mut self, deny: DenyList) -> Self {
        self.deny = deny;
        self.deny_file = None;
        self.clear_cache();
        self
    }

    /// Reads the deny list from `path` now, and again whenever the file changes (looked at no
    /// more than once per second of the opener's clock, while opening). If a later read fails
    /// (the file is missing or malformed), the list read before stays in force.
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::DenyList`] for the first read.
    pub fn with_deny_file(mut self, path: impl Into<PathBuf>) -> Result<Self, Error> {
        let (file, list) = deny::DenyFile::load(path.into())?;
        self.deny = list;
        self.deny_file = Some(file);
        self.clear_cache();
        Ok(self)
    }

    /// Checks chains against a CRL (DER) too: certificates it lists are `certificate_revoked`.
    /// Certificates from CAs without a configured CRL are not checked against any.
    ///
    /// # Errors
    /// [`Error::Crl`] if it cannot be parsed.
    pub fn add_crl(&mut self, der: &[u8]) -> Result<&mut Self, Error> {
        let crl =
            OwnedCertRevocationList::from_der(CertificateRevocationListDer::from(der).as_ref())
                .map_err(|_| Error::Crl)?;
        self.crls.push(CertRevocationList::Owned(crl));
        self.clear_cache();
        Ok(self)
    }

    /// Registers a chain (DER, leaf first) so senders may name it by `x5t` (SHA-256 of the
    /// leaf) instead of carrying it. It is validated when used, like a carried chain.
    pub fn register_chain(&mut self, chain: Vec<Vec<u8>>) -> &mut Self {
        if let Some(leaf) = chain.first() {
            self.registered.insert(sha256(leaf), chain);
        }
        self
    }

    /// The deny list in force.
    pub fn deny_list(&self) -> &DenyList {
        &self.deny
    }

    /// How many validated chains (leaves) are cached.
    pub fn cached(&self) -> usize {
        self.cache.len()
    }

    /// How many chain validations this resolver has run (cache misses, whether the chain then
    /// validated or not): what senders, or a broker cycling through chains, have cost it.
    pub fn validations(&self) -> u64 {
        self.validations
    }

    fn clear_cache(&mut self) {
        self.cache.clear();
        self.recency.clear();
    }

    fn evict_least_recent(&mut self) {
        if let Some((_, leaf)) = self.recency.pop_first() {
            self.cache.remove(&leaf);
        }
    }

    /// Marks a cached leaf as just used.
    fn touch(&mut self, leaf: &[u8; 32]) {
        self.uses += 1;
        if let Some(sender) = self.cache.get_mut(leaf) {
            self.recency.remove(&sender.last_used);
            sender.last_used = self.uses;
            self.recency.insert(self.uses, *leaf);
        }
    }

    /// Caches a validated sender under its leaf, replacing an entry for the same leaf, else
    /// evicting the least recently used leaf when full.
    fn insert(&mut self, leaf: [u8; 32], mut sender: Sender) {
        if let Some(old) = self.cache.remove(&leaf) {
            self.recency.remove(&old.last_used);
        }
        while self.cache.len() >= self.capacity {
            self.evict_least_recent();
        }
        self.uses += 1;
        sender.last_used = self.uses;
        self.recency.insert(self.uses, leaf);
        self.cache.insert(leaf, sender);
    }

    fn reload_deny_file(&mut self, now: u64) {
        let Some(file) = self.deny_file.as_mut() else {
            return;
        };
        // A failed re-read keeps the list in force (documented on with_deny_file).
        if let Ok(Some(list)) = file.changed(now) {
            self.deny = list;
            self.clear_cache();
        }
    }

    /// Validates `chain` at `now` (spec steps 1-4 of the crate documentation).
    fn validate(&self, chain: &[Vec<u8>], now: u64) -> Result<Sender, Rejection> {
        let (leaf_der, rest) = chain.split_first().ok_or(Rejection::CertificateInvalid)?;
        let leaf_der = CertificateDer::from(leaf_der.as_slice());
        let leaf = EndEntityCert::try_from(&leaf_der).map_err(|_| Rejection::CertificateInvalid)?;
        let intermediates: Vec<CertificateDer<'_>> = rest
            .iter()
            .map(|c| CertificateDer::from(c.as_slice()))
            .collect();
        let crls: Vec<&CertRevocationList<'_>> = self.crls.iter().collect();
        let revocation = RevocationOptionsBuilder::new(&crls)
            .ok()
            .map(|b| b.with_status_policy(UnknownStatusPolicy::Allow).build());
        let time = UnixTime::since_unix_epoch(Duration::from_secs(now));
        let algs = [webpki::ring::ED25519, webpki::ring::ECDSA_P256_SHA256];
        let path = leaf
            .verify_for_usage(
                &algs,
                &self.anchors,
                &intermediates,
                time,
                self.eku,
                revocation,
                None,
            )
            .map_err(map_webpki)?;
        // Deny list: every certificate of the validated path, leaf first.
        // (The anchor is not: remove it from the configuration instead.)
        let mut in_path = vec![leaf_der.clone()];
        in_path.extend(path.intermediate_certificates().map(|c| c.der()));
        let intermediates = in_path.iter().skip(1).map(|c| sha256(c.as_ref())).collect();
        let mut not_before = 0u64;
        let mut not_after = u64::MAX;
        let mut parsed_leaf = None;
        for der in in_path.iter().map(|c| c.as_ref()) {
            let cert = Certificate::from_der(der).map_err(|_| Rejection::CertificateInvalid)?;
            let serial = cert.tbs_certificate().serial_number().as_bytes();
            if self.deny.denies_thumbprint(&sha256(der)) || self.deny.denies_serial(serial) {
                return Err(Rejection::CertificateRevoked);
            }
            let validity = cert.tbs_certificate().validity();
            not_before = not_before.max(validity.not_before.to_unix_duration().as_secs());
            not_after = not_after.min(validity.not_after.to_unix_duration().as_secs());
            parsed_leaf.get_or_insert(cert);
        }
        let leaf_cert = parsed_leaf.ok_or(Rejection::CertificateInvalid)?;
        let key_usage = leaf_cert
            .tbs_certificate()
            .get_extension::<KeyUsageExt>()
            .map_err(|_| Rejection::CertificateInvalid)?;
        if !key_usage.is_some_and(|(_, ku)| ku.digital_signature()) {
            return Err(Rejection::KeyUsage);
        }
        let spki = leaf_cert
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|_| Rejection::CertificateInvalid)?;
        let key =
            VerifyingKey::from_public_key_der(&spki).map_err(|_| Rejection::CertificateInvalid)?;
        if !matches!(key.algorithm(), Algorithm::Ed25519 | Algorithm::EcdsaP256) {
            return Err(Rejection::CertificateInvalid);
        }
        let subject = leaf_cert.tbs_certificate().subject();
        let common_name = subject
            .common_name()
            .ok()
            .flatten()
            .map(|cn| cn.value().into_owned());
        let mut topics = leaf
            .valid_uri_names()
            .filter_map(|uri| uri.strip_prefix(TOPIC_URI_PREFIX))
            .map(TopicFilter::new)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| Rejection::CertificateInvalid)?;
        if let Some(granted) = common_name.as_ref().and_then(|cn| self.subjects.get(cn)) {
            topics.extend(granted.iter().cloned());
        }
        Ok(Sender {
            kid: key.kid(),
            key,
            topics,
            identity: subject.to_string(),
            not_before,
            not_after,
            path: intermediates,
            last_used: 0,
        })
    }
}

impl SenderResolver for X509Resolver {
    fn resolve(&mut self, claim: &SenderClaim<'_>) -> Result<ResolvedSender<'_>, Rejection> {
        // Unknown time: validity cannot be judged; fail closed.
        let now = claim.now.ok_or(Rejection::CertificateExpired)?;
        self.reload_deny_file(now);
        let chain: &[Vec<u8>] = match (claim.x5chain, claim.x5t) {
            (Some(chain), x5t) => {
                if let Some(x5t) = x5t {
                    let leaf = chain.first().ok_or(Rejection::CertificateInvalid)?;
                    if !thumbprint_matches(x5t, leaf) {
                        return Err(Rejection::CertificateInvalid);
                    }
                }
                chain
            }
            (None, Some(x5t)) => {
                let thumbprint: [u8; 32] = match x5t.alg() {
                    CertHash::SHA256 => x5t.value().try_into().ok(),
                    _ => None,
                }
                .ok_or(Rejection::CertificateInvalid)?;
                self.registered
                    .get(&thumbprint)
                    .ok_or(Rejection::CertificateInvalid)?
            }
            (None, None) => return Err(Rejection::UnknownSender),
        };
        let (leaf, rest) = chain.split_first().ok_or(Rejection::CertificateInvalid)?;
        let key = sha256(leaf);
        let carried: Vec<[u8; 32]> = rest.iter().map(|c| sha256(c)).collect();
        let hit = self.cache.get(&key).is_some_and(|s| {
            s.not_before <= now && now <= s.not_after && s.path.iter().all(|i| carried.contains(i))
        });
        if hit {
            self.touch(&key);
        } else {
            // Only a chain that validates is cached; a failure leaves any entry for the same
            // leaf (validated with another chain) in place.
            self.validations += 1;
            let sender = self.validate(chain, now)?;
            self.insert(key, sender);
        }
        let sender = self.cache.get(&key).ok_or(Rejection::CertificateInvalid)?;
        if sender.kid.as_bytes() != claim.kid {
            return Err(Rejection::CertificateInvalid);
        }
        Ok(
            ResolvedSender::new(&sender.kid, &sender.key, &sender.topics)
                .with_identity(&sender.identity),
        )
    }
}

fn thumbprint_matches(x5t: &CertHash, cert: &[u8]) -> bool {
    x5t.alg() == CertHash::SHA256 && x5t.value() == sha256(cert).as_slice()
}

/// SHA-256 of a DER certificate (its `x5t` and deny-list thumbprint).
pub fn sha256(der: &[u8]) -> [u8; 32] {
    Sha256::digest(der).into()
}

fn map_webpki(error: webpki::Error) -> Rejection {
    use webpki::Error as E;
    match error {
        E::CertExpired { .. } => Rejection::CertificateExpired,
        E::CertNotValidYet { .. } => Rejection::CertificateNotYetValid,
        E::UnknownIssuer => Rejection::UnknownCa,
        E::CertRevoked => Rejection::CertificateRevoked,
        E::RequiredEkuNotFoundContext(_) => Rejection::KeyUsage,
        #[allow(deprecated)]
        E::RequiredEkuNotFound => Rejection::KeyUsage,
        _ => Rejection::CertificateInvalid,
    }
}
