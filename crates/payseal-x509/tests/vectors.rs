//! test-vectors/x5chain.json: every vector has its expected outcome through an X509Resolver.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeSet;

use payseal::{Limits, ManualClock, Opener, Policy};
use payseal_x509::{DenyList, X509Resolver};
use serde_json::Value;

#[test]
fn every_x5chain_vector_has_its_expected_outcome() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../test-vectors/x5chain.json"
    );
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let anchor = hex::decode(file["trust_anchor"].as_str().unwrap()).unwrap();
    let deny: Vec<&str> = file["deny_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    let deny = DenyList::parse(&deny.join("\n")).unwrap();
    let mut seen = BTreeSet::new();
    for v in file["vectors"].as_array().unwrap() {
        let id = v["id"].as_str().unwrap();
        let clock = ManualClock::new(v["now"].as_u64().unwrap());
        let resolver = X509Resolver::new([anchor.as_slice()])
            .unwrap()
            .with_deny_list(deny.clone());
        // A vector may give the receiver another certificate budget (spec §4.3).
        let budget = &v["limits"];
        let limits = match (
            budget["max_x5chain_bytes"].as_u64(),
            budget["max_x5chain_certs"].as_u64(),
        ) {
            (Some(bytes), Some(certs)) => Limits::DEFAULT.with_max_x5chain(
                usize::try_from(bytes).unwrap(),
                usize::try_from(certs).unwrap(),
            ),
            _ => Limits::DEFAULT,
        };
        let policy = Policy::default().with_limits(limits);
        let mut opener = Opener::with_resolver(resolver, policy, &clock);
        let envelope = hex::decode(v["envelope"].as_str().unwrap()).unwrap();
        let outcome = opener.open(v["topic"].as_str().unwrap(), &envelope);
        let expected = v["expected"].as_str().unwrap();
        match &outcome {
            Ok(verified) => {
                assert_eq!(expected, "valid", "{id}: accepted");
                let payload = hex::decode(v["payload"].as_str().unwrap()).unwrap();
                assert_eq!(verified.payload(), payload.as_slice(), "{id}");
            }
            Err(rejection) => assert_eq!(rejection.code(), expected, "{id}"),
        }
        seen.insert(expected.to_owned());
    }
    for code in [
        "valid",
        "certificate_expired",
        "certificate_not_yet_valid",
        "unknown_ca",
        "key_usage",
        "certificate_revoked",
        "topic_not_authorized",
        "algorithm_mismatch",
        "certificate_invalid",
        "unknown_sender",
        "too_large",
    ] {
        assert!(seen.contains(code), "no vector for {code}");
    }
}
