//! The certificate header parameters (spec §3.6): x5chain and x5t in the protected header,
//! their limits, and the sender resolver hook.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use payseal::{
    Algorithm, CertHash, Counter, Kid, Limits, Malformed, ManualClock, Opener, Policy, Rejection,
    ResolvedSender, Sealer, SenderClaim, SenderResolver, SigningKey, TopicFilter, TrustStore,
    UnverifiedEnvelope, VerifyingKey,
};

const NOW: u64 = 1_700_000_000;

fn seal_with_chain(chain: Vec<Vec<u8>>) -> Vec<u8> {
    let key = SigningKey::from_secret_bytes(Algorithm::Ed25519, &[7; 32]).unwrap();
    let mut sealer =
        Sealer::new(key, Counter::starting_at(1), ManualClock::new(NOW)).with_x5chain(chain);
    sealer.seal("plant/1", b"x").unwrap()
}

#[test]
fn one_certificate_is_a_bstr_several_an_array_and_both_decode() {
    for chain in [vec![vec![1u8; 300]], vec![vec![1u8; 300], vec![2u8; 400]]] {
        let envelope = seal_with_chain(chain.clone());
        let env = UnverifiedEnvelope::decode(&envelope, &Limits::default()).unwrap();
        assert_eq!(env.x5chain(), Some(chain.as_slice()));
        assert!(env.protected_bytes().len() > 256);
    }
}

#[test]
fn certificate_limits_are_enforced() {
    let limits = Limits::default();
    // 5 certificates: more than the default 4.
    let five = seal_with_chain(vec![vec![1u8; 10]; 5]);
    assert_eq!(
        UnverifiedEnvelope::decode(&five, &limits).unwrap_err(),
        Rejection::Malformed(Malformed::TooComplex("too many certificates in x5chain"))
    );
    // 4097 certificate bytes.
    let big = seal_with_chain(vec![vec![1u8; 2000], vec![2u8; 2097]]);
    assert!(matches!(
        UnverifiedEnvelope::decode(&big, &limits).unwrap_err(),
        Rejection::TooLarge {
            what: "x5chain",
            limit: 4096,
            actual: 4097
        }
    ));
    // Exactly 4096 bytes is fine; with chains refused it is not.
    let fits = seal_with_chain(vec![vec![1u8; 2000], vec![2u8; 2096]]);
    assert!(UnverifiedEnvelope::decode(&fits, &limits).is_ok());
    assert!(matches!(
        UnverifiedEnvelope::decode(&fits, &limits.with_max_x5chain(0, 0)).unwrap_err(),
        Rejection::TooLarge {
            what: "protected header",
            ..
        }
    ));
}

#[test]
fn x5t_round_trips() {
    let key = SigningKey::from_secret_bytes(Algorithm::Ed25519, &[7; 32]).unwrap();
    let hash = CertHash::sha256([9; 32]);
    let mut sealer =
        Sealer::new(key, Counter::starting_at(1), ManualClock::new(NOW)).with_x5t(hash.clone());
    let envelope = sealer.seal("plant/1", b"x").unwrap();
    let env = UnverifiedEnvelope::decode(&envelope, &Limits::default()).unwrap();
    assert_eq!(env.x5t(), Some(&hash));
    assert_eq!(env.x5chain(), None);
}

#[test]
fn the_trust_store_resolves_by_kid_and_ignores_certificates() {
    let key = SigningKey::from_secret_bytes(Algorithm::Ed25519, &[7; 32]).unwrap();
    let mut trust = TrustStore::new();
    trust.add_sender(key.verifying_key(), ["plant/#"]).unwrap();
    let clock = ManualClock::new(NOW);
    let mut opener = Opener::new(trust, Policy::default(), &clock);
    let envelope = seal_with_chain(vec![b"not even a certificate".to_vec()]);
    let verified = opener.open("plant/1", &envelope).unwrap();
    assert_eq!(verified.identity(), None);
}

/// A resolver that vouches for one key under a label, and records what it was shown.
struct OneKey {
    kid: Kid,
    key: VerifyingKey,
    topics: Vec<TopicFilter>,
    seen_chain_len: Option<usize>,
    seen_now: Option<u64>,
}

impl SenderResolver for OneKey {
    fn resolve(&mut self, claim: &SenderClaim<'_>) -> Result<ResolvedSender<'_>, Rejection> {
        self.seen_chain_len = claim.x5chain.map(<[Vec<u8>]>::len);
        self.seen_now = claim.now;
        if claim.kid != self.kid.as_bytes() {
            return Err(Rejection::UnknownCa);
        }
        Ok(ResolvedSender::new(&self.kid, &self.key, &self.topics).with_identity("CN=one"))
    }
}

#[test]
fn an_opener_runs_the_remaining_checks_on_what_a_resolver_returns() {
    let key = SigningKey::from_secret_bytes(Algorithm::Ed25519, &[7; 32]).unwrap();
    let resolver = OneKey {
        kid: key.kid(),
        key: key.verifying_key(),
        topics: vec![TopicFilter::new("plant/1").unwrap()],
        seen_chain_len: None,
        seen_now: None,
    };
    let clock = ManualClock::new(NOW);
    let mut opener = Opener::with_resolver(resolver, Policy::default(), &clock);
    let envelope = seal_with_chain(vec![vec![1; 10], vec![2; 10]]);
    assert_eq!(
        opener.open("plant/1", &envelope).unwrap().identity(),
        Some("CN=one")
    );
    assert_eq!(opener.trust().seen_chain_len, Some(2));
    assert_eq!(opener.trust().seen_now, Some(NOW));
    // Topic authorization still applies to a resolved sender...
    let mut sealer = Sealer::new(key, Counter::starting_at(5), &clock);
    let elsewhere = sealer.seal("plant/2", b"x").unwrap();
    assert_eq!(
        opener.open("plant/2", &elsewhere),
        Err(Rejection::TopicNotAuthorized)
    );
    // ... and so does the replay window.
    assert!(matches!(
        opener.open("plant/1", &envelope),
        Err(Rejection::Replayed { seq: 1 })
    ));
    // The resolver's own rejection is passed through.
    let other = SigningKey::from_secret_bytes(Algorithm::Ed25519, &[8; 32]).unwrap();
    let mut stranger = Sealer::new(other, Counter::starting_at(1), &clock);
    let strange = stranger.seal("plant/1", b"x").unwrap();
    assert_eq!(opener.open("plant/1", &strange), Err(Rejection::UnknownCa));
    assert_eq!(Rejection::UnknownCa.code(), "unknown_ca");
    assert!(Rejection::CODES.contains(&"certificate_revoked"));
}
