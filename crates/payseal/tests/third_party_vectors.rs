//! Third-party vectors run through payseal's public verification API (`VerifyingKey::verify`):
//! Wycheproof ECDSA P-256 / secp256k1 (P1363 `r || s`) and Ed25519, and the COSE WG Sign1
//! examples. The vectors are copied into `test-vectors/third-party/` (licences and provenance in
//! its `PROVENANCE.md`); a missing file fails the tests, it never skips them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use coset::cbor::Value;
use coset::{
    Algorithm as CoseAlg, CborSerializable, CoseKeyBuilder, CoseSign1, TaggedCborSerializable,
    iana::{self, EnumI64},
};
use payseal::{Algorithm, Signature, VerifyingKey};
use serde::Deserialize;
use serde::de::DeserializeOwned;

const THIRD_PARTY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../test-vectors/third-party"
);

fn interop(rel: &str) -> PathBuf {
    let root = Path::new(THIRD_PARTY);
    assert!(
        root.join("PROVENANCE.md").is_file(),
        "third-party vectors not found at {THIRD_PARTY}; these tests never skip"
    );
    root.join(rel)
}

fn read_json<T: DeserializeOwned>(rel: &str) -> T {
    let path = interop(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()))
}

// ----- Wycheproof ----------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WpFile {
    algorithm: String,
    number_of_tests: usize,
    test_groups: Vec<WpGroup>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WpGroup {
    /// `pk` (Ed25519 groups only) is the raw 32-byte key.
    public_key: serde_json::Value,
    public_key_der: String,
    sha: Option<String>,
    tests: Vec<WpTest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WpTest {
    tc_id: u32,
    comment: String,
    flags: Vec<String>,
    msg: String,
    sig: String,
    result: String,
}

/// SPKI DER header of an Ed25519 key (RFC 8410): the raw key follows.
const ED25519_SPKI_PREFIX: &str = "302a300506032b6570032100";

/// Runs every test of one Wycheproof verify file. `expected_failures` lists `valid` vectors
/// payseal deliberately rejects, each with the Wycheproof flag that explains why; the list
/// must match exactly, so a vector cannot start or stop failing unnoticed.
fn run_wycheproof(file: &str, alg: Algorithm, expected_failures: &[(u32, &str)]) {
    let file = format!("{file}_test.json");
    let f: WpFile = read_json(&format!("wycheproof/{file}"));
    let (mut ran, mut valid, mut invalid, mut wrong_len) = (0, 0, 0, 0);
    let (mut acceptable_ok, mut acceptable_rejected) = (Vec::new(), Vec::new());
    let mut known = BTreeSet::new();
    let mut mismatches = Vec::new();

    for group in &f.test_groups {
        assert_eq!(group.sha.as_deref().unwrap_or("SHA-256"), "SHA-256");
        let der = hex::decode(&group.public_key_der).unwrap();
        if let Some(pk) = group.public_key["pk"].as_str() {
            // The DER the group carries must be exactly the raw key wrapped as SPKI.
            let wrapped = format!("{ED25519_SPKI_PREFIX}{pk}");
            assert_eq!(group.public_key_der, wrapped, "{file}");
        }
        // A key payseal refuses to load rejects every signature of its group.
        let key = VerifyingKey::from_public_key_der(&der).ok();
        if let Some(key) = &key {
            assert_eq!(
                key.algorithm(),
                alg,
                "{file}: SPKI loaded as another algorithm"
            );
        }
        for t in &group.tests {
            ran += 1;
            let msg = hex::decode(&t.msg).unwrap();
            let sig = hex::decode(&t.sig).unwrap();
            // COSE signatures are exactly 64 bytes; any other length is a rejection.
            let parsed = Signature::from_slice(&sig);
            let verified = match (&key, &parsed) {
                (Some(key), Some(sig)) => key.verify(&msg, sig).is_ok(),
                _ => false,
            };
            let expected = expected_failures.iter().find(|(id, _)| *id == t.tc_id);
            match (t.result.as_str(), verified) {
                ("valid", true) if expected.is_none() => valid += 1,
                ("valid", false)
                    if expected.is_some_and(|(_, flag)| t.flags.iter().any(|f| f == flag)) =>
                {
                    known.insert(t.tc_id);
                }
                ("invalid", false) => {
                    invalid += 1;
                    wrong_len += usize::from(parsed.is_none());
                }
                ("acceptable", true) => acceptable_ok.push(t.tc_id),
                ("acceptable", false) => acceptable_rejected.push(t.tc_id),
                (result, verified) => mismatches.push(format!(
                    "tcId {} ({result}, verified: {verified}, flags {:?}): {}",
                    t.tc_id, t.flags, t.comment
                )),
            }
        }
    }

    println!(
        "{file} ({}): {ran} tests: {valid} valid verified, {} valid rejected as expected {:?}, \
         {invalid} invalid rejected ({wrong_len} by length), {} acceptable \
         (verified {acceptable_ok:?}, rejected {acceptable_rejected:?})",
        f.algorithm,
        known.len(),
        known,
        acceptable_ok.len() + acceptable_rejected.len(),
    );
    let report = mismatches.join("\n");
    assert!(mismatches.is_empty(), "{file} mismatches:\n{report}");
    let listed: BTreeSet<u32> = expected_failures.iter().map(|(id, _)| *id).collect();
    assert_eq!(known, listed, "{file}: listed expected failures vs actual");
    assert_eq!(ran, f.number_of_tests, "{file}: tests run vs numberOfTests");
}

#[test]
fn wycheproof_ecdsa_p256_p1363() {
    run_wycheproof("ecdsa_secp256r1_sha256_p1363", Algorithm::EcdsaP256, &[]);
}

#[test]
fn wycheproof_ecdsa_secp256k1_p1363() {
    // This (non-Bitcoin) file counts high-S signatures as valid; payseal normalises s first.
    run_wycheproof(
        "ecdsa_secp256k1_sha256_p1363",
        Algorithm::EcdsaSecp256k1,
        &[],
    );
}

#[test]
fn wycheproof_ed25519() {
    // verify_strict rejects small-order keys and R; no `valid` vector here uses one.
    run_wycheproof("ed25519", Algorithm::Ed25519, &[]);
}

// ----- COSE WG examples (cose-wg/Examples) ---------------------------------------------------

/// One COSE WG example file, read through JSON pointers (schema in the interop README).
struct Example {
    title: String,
    fail: bool,
    json: serde_json::Value,
}

impl Example {
    fn load(path: &str) -> Self {
        let json: serde_json::Value = read_json(&format!("cose-wg-examples/{path}"));
        let title = json["title"].as_str().unwrap().to_owned();
        let fail = json["fail"].as_bool().unwrap_or(false);
        Example { title, fail, json }
    }

    fn str(&self, pointer: &str) -> Option<&str> {
        self.json.pointer(pointer).and_then(|v| v.as_str())
    }

    fn hex(&self, pointer: &str) -> Option<Vec<u8>> {
        self.str(pointer).map(|h| hex::decode(h).unwrap())
    }
}

/// How far a COSE_Sign1 got through verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Verified,
    /// Not a COSE_Sign1 coset can decode (wrong tag, unregistered alg value, ...).
    NotDecoded,
    /// `alg` missing or not one payseal supports.
    UnsupportedAlg,
    /// The key is refused, or belongs to another algorithm than `alg`.
    UnsupportedKey,
    BadSignature,
}
use Outcome::*;

/// Every Sign1 example used, with the stage at which it must stop. All of `sign1-tests/`
/// must be listed (checked below), so no file is skipped silently.
const SIGN1_CASES: &[(&str, Outcome)] = &[
    ("sign1-tests/sign-pass-01.json", Verified), // protected h'A0', see `decode_sign1`
    ("sign1-tests/sign-pass-02.json", Verified), // external_aad
    ("sign1-tests/sign-pass-03.json", Verified), // untagged
    ("sign1-tests/sign-fail-01.json", NotDecoded), // tag 998 instead of 18
    ("sign1-tests/sign-fail-02.json", BadSignature), // payload altered
    ("sign1-tests/sign-fail-03.json", NotDecoded), // alg -999: coset refuses unregistered values
    ("sign1-tests/sign-fail-04.json", UnsupportedAlg), // alg "unknown" (text)
    ("sign1-tests/sign-fail-06.json", BadSignature), // protected header parameter added
    ("sign1-tests/sign-fail-07.json", BadSignature), // protected header parameter removed
    ("ecdsa-examples/ecdsa-sig-01.json", Verified), // ES256, P-256
    ("eddsa-examples/eddsa-sig-01.json", Verified), // EdDSA, Ed25519
    ("RFC8152/Appendix_C_2_1.json", Verified),   // ES256, P-256
    ("ecdsa-examples/ecdsa-sig-02.json", UnsupportedAlg), // ES384, P-384
    ("ecdsa-examples/ecdsa-sig-03.json", UnsupportedAlg), // ES512, P-521
    ("ecdsa-examples/ecdsa-sig-04.json", UnsupportedAlg), // ES512, P-256
    ("eddsa-examples/eddsa-sig-02.json", UnsupportedKey), // EdDSA, Ed448
];

/// Decodes `output.cbor`: tagged (18) or untagged, as RFC 9052 §2 allows.
fn decode_sign1(ex: &Example) -> Option<CoseSign1> {
    let bytes = ex.hex("/output/cbor").unwrap();
    let mut sign1 = CoseSign1::from_tagged_slice(&bytes)
        .or_else(|_| CoseSign1::from_slice(&bytes))
        .ok()?;
    // sign-pass-01 carries protected = h'A0' (an encoded empty map) but was signed over h'':
    // the generator applied RFC 9052 §4.4 ("if there are no protected attributes, a
    // zero-length byte string is used") to the Sig_structure. coset keeps the received bytes,
    // so drop them and let coset re-encode the empty header as h'' (README "Quirks"). This
    // only touches an empty map; payseal's own envelopes always carry a non-empty one.
    if sign1.protected.original_data.as_deref() == Some(&[0xA0]) && sign1.protected.is_empty() {
        sign1.protected.original_data = None;
    }
    Some(sign1)
}

/// The integer `alg`, protected header first (sign-pass-01 has it unprotected only).
fn alg_id(sign1: &CoseSign1) -> Option<i64> {
    let protected = sign1.protected.header.alg.as_ref();
    match protected.or(sign1.unprotected.alg.as_ref())? {
        CoseAlg::Assigned(a) => Some(a.to_i64()),
        CoseAlg::PrivateUse(i) => Some(*i),
        CoseAlg::Text(_) => None,
    }
}

/// Builds the example's key as a public COSE_Key and loads it with
/// `VerifyingKey::from_cose_key`. EC keys carry base64url `x`/`y`, OKP keys `x_hex`.
fn cose_key(ex: &Example) -> Result<VerifyingKey, payseal::KeyError> {
    let field = |name: &str| ex.str(&format!("/input/sign0/key/{name}"));
    let curve = match field("crv").unwrap() {
        "P-256" => iana::EllipticCurve::P_256,
        "P-384" => iana::EllipticCurve::P_384,
        "P-521" => iana::EllipticCurve::P_521,
        "Ed25519" => iana::EllipticCurve::Ed25519,
        "Ed448" => iana::EllipticCurve::Ed448,
        other => panic!("{}: unknown curve {other}", ex.title),
    };
    let builder = match field("kty").unwrap() {
        "EC" => {
            let (x, y) = (field("x").unwrap(), field("y").unwrap());
            CoseKeyBuilder::new_ec2_pub_key(curve, base64url(x), base64url(y))
        }
        "OKP" => CoseKeyBuilder::new_okp_key()
            .param(iana::OkpKeyParameter::Crv as i64, Value::from(curve as i64))
            .param(
                iana::OkpKeyParameter::X as i64,
                Value::Bytes(hex::decode(field("x_hex").unwrap()).unwrap()),
            ),
        other => panic!("{}: unknown kty {other}", ex.title),
    };
    VerifyingKey::from_cose_key(&builder.build().to_vec().unwrap())
}

/// Runs one example through decode, algorithm, key and signature checks.
fn check_sign1(ex: &Example) -> Outcome {
    let Some(sign1) = decode_sign1(ex) else {
        return NotDecoded;
    };
    let Some(alg) = alg_id(&sign1).and_then(Algorithm::from_cose_id) else {
        return UnsupportedAlg;
    };
    // payseal binds each key to one algorithm; a key of another algorithm is refused.
    let Some(key) = cose_key(ex).ok().filter(|k| k.algorithm() == alg) else {
        return UnsupportedKey;
    };
    let aad = ex.hex("/input/sign0/external").unwrap_or_default();
    let tbs = sign1.tbs_data(&aad);
    if !ex.fail {
        // For pass cases the Sig_structure must be exactly the one the generator signed.
        let expected = ex.str("/intermediates/ToBeSign_hex").unwrap();
        assert_eq!(hex::encode_upper(&tbs), expected, "{}", ex.title);
    }
    match Signature::from_slice(&sign1.signature) {
        Some(sig) if key.verify(&tbs, &sig).is_ok() => Verified,
        _ => BadSignature,
    }
}

#[test]
fn cose_wg_sign1_examples() {
    // Every file in sign1-tests/ must be covered by SIGN1_CASES.
    let listed: BTreeSet<String> = SIGN1_CASES.iter().map(|(p, _)| p.to_string()).collect();
    for entry in std::fs::read_dir(interop("cose-wg-examples/sign1-tests")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let path = format!("sign1-tests/{name}");
        assert!(listed.contains(&path), "{path} is not covered");
    }

    let mut failures = Vec::new();
    for &(path, expected) in SIGN1_CASES {
        let ex = Example::load(path);
        let outcome = check_sign1(&ex);
        println!("{path} ({}): fail={} -> {outcome:?}", ex.title, ex.fail);
        // The file's verdict and our table must agree: a `fail` example is never verified, a
        // pass example is verified unless payseal does not support its algorithm or key.
        let consistent = match expected {
            Verified => !ex.fail,
            NotDecoded | BadSignature => ex.fail,
            UnsupportedAlg | UnsupportedKey => true,
        };
        if !consistent {
            let fail = ex.fail;
            failures.push(format!("{path}: table says {expected:?} but fail={fail}"));
        }
        // ...and the example must stop exactly where the table says.
        if outcome != expected {
            failures.push(format!("{path}: expected {expected:?}, got {outcome:?}"));
        }
    }
    let report = failures.join("\n");
    assert!(failures.is_empty(), "COSE WG mismatches:\n{report}");
    println!("COSE WG Sign1: {} examples checked", SIGN1_CASES.len());
}

/// The ES384/ES512/Ed448 examples are refused for the right reason: payseal has no id for
/// their `alg`, or (Ed448 under the polymorphic `EdDSA` id) refuses the key itself.
#[test]
fn cose_wg_unsupported_algorithms_and_keys() {
    let load = |path: &str| -> (Example, i64) {
        let ex = Example::load(path);
        let alg = alg_id(&decode_sign1(&ex).expect(path)).expect(path);
        (ex, alg)
    };
    for (path, alg_expected) in [
        ("ecdsa-examples/ecdsa-sig-02.json", -35), // ES384
        ("ecdsa-examples/ecdsa-sig-03.json", -36), // ES512
        ("ecdsa-examples/ecdsa-sig-04.json", -36), // ES512
    ] {
        let (ex, alg) = load(path);
        assert_eq!(alg, alg_expected, "{path}");
        assert_eq!(Algorithm::from_cose_id(alg), None, "{path}");
        // P-384 / P-521 keys are refused too; sig-04's P-256 key loads, but its
        // SHA-512 signature must not verify as ES256 (no downgrade through the key).
        match cose_key(&ex) {
            Ok(key) => {
                assert_eq!(path, "ecdsa-examples/ecdsa-sig-04.json");
                let sign1 = decode_sign1(&ex).unwrap();
                let sig = Signature::from_slice(&sign1.signature).unwrap();
                assert!(key.verify(&sign1.tbs_data(b""), &sig).is_err(), "{path}");
            }
            Err(e) => assert_ne!(
                ex.str("/input/sign0/key/crv"),
                Some("P-256"),
                "{path}: {e:?}"
            ),
        }
    }

    let (ex, alg) = load("eddsa-examples/eddsa-sig-02.json");
    assert_eq!(alg, -8);
    // EdDSA (-8) maps to Ed25519 in payseal, so the Ed448 key (OKP, crv 7) must be refused.
    assert_eq!(Algorithm::from_cose_id(alg), Some(Algorithm::Ed25519));
    assert_eq!(ex.str("/input/sign0/key/crv"), Some("Ed448"));
    assert!(cose_key(&ex).is_err(), "Ed448 key accepted");
    // Its 114-byte signature does not even fit payseal's 64-byte Signature.
    let sign1 = decode_sign1(&ex).unwrap();
    assert!(Signature::from_slice(&sign1.signature).is_none());
}

/// Base64url without padding (RFC 4648 §5), as the COSE WG JSON keys use.
fn base64url(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0u32);
    for c in s.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base64url");
        acc = (acc << 6) | u32::try_from(v).unwrap();
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from(acc >> bits).unwrap());
            acc &= (1 << bits) - 1;
        }
    }
    assert_eq!(acc, 0, "non-zero trailing bits in {s}");
    out
}
