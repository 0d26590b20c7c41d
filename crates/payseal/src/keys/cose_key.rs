//! COSE_Key (RFC 9052 §7, RFC 9053 §7.1-7.2) and the RFC 9679 thumbprint input.
//!
//! Read with `ciborium` after the strict scan rather than with `coset`: coset refuses
//! unregistered `alg` values, and the COSE-HPKE suites (35..53) are not registered yet.

use alloc::vec;
use alloc::vec::Vec;

use ciborium::Value;
use zeroize::Zeroizing;

use super::{SigningKey, VerifyingKey};
use crate::alg::Algorithm;
use crate::cbor::{self, ScanLimits};
use crate::error::KeyError;
use crate::keys::Kid;

pub(crate) const KTY_OKP: i64 = 1;
pub(crate) const KTY_EC2: i64 = 2;
pub(crate) const CRV_P256: i64 = 1;
pub(crate) const CRV_X25519: i64 = 4;
pub(crate) const CRV_ED25519: i64 = 6;
pub(crate) const CRV_SECP256K1: i64 = 8;
const LABEL_KTY: i64 = 1;
const LABEL_KID: i64 = 2;
const LABEL_ALG: i64 = 3;
const PARAM_CRV: i64 = -1;
const PARAM_X: i64 = -2;
const PARAM_Y: i64 = -3;
const PARAM_D: i64 = -4;

/// The parameters of a COSE_Key that payseal uses, checked for type and size.
pub(crate) struct KeyParts {
    pub(crate) kty: i64,
    pub(crate) crv: i64,
    pub(crate) alg: Option<i64>,
    pub(crate) x: Vec<u8>,
    /// Empty for OKP keys.
    pub(crate) y: Vec<u8>,
    pub(crate) d: Option<Zeroizing<Vec<u8>>>,
}

/// Parses a COSE_Key map: `kty` and `crv` integers, `x` (and `y` for EC2), optional `d`, all
/// exactly 32 bytes (RFC 9053 §7.1.1: the field size of every curve payseal supports).
pub(crate) fn parse_parts(bytes: &[u8]) -> Result<KeyParts, KeyError> {
    let limits = ScanLimits {
        max_depth: 3,
        max_items: 64,
    };
    cbor::scan(bytes, limits).map_err(|_| KeyError::CoseKey("not strict CBOR"))?;
    let Ok(Value::Map(map)) = cbor::decode_scanned(bytes) else {
        return Err(KeyError::CoseKey("not a map"));
    };
    let param = |label: i64| {
        map.iter()
            .find(|(k, _)| *k == Value::from(label))
            .map(|(_, v)| v)
    };
    let int = |label: i64, what: &'static str| match param(label) {
        Some(Value::Integer(i)) => i64::try_from(*i)
            .map(Some)
            .map_err(|_| KeyError::CoseKey(what)),
        Some(_) => Err(KeyError::CoseKey(what)),
        None => Ok(None),
    };
    let bytes_param = |label: i64| match param(label) {
        Some(Value::Bytes(b)) if b.len() == 32 => Ok(Some(b.clone())),
        Some(_) => Err(KeyError::CoseKey("x, y and d must be 32-byte strings")),
        None => Ok(None),
    };
    let kty = int(LABEL_KTY, "kty must be an integer")?.ok_or(KeyError::CoseKey("missing kty"))?;
    let crv = int(PARAM_CRV, "crv must be an integer")?.ok_or(KeyError::CoseKey("missing crv"))?;
    let alg = int(LABEL_ALG, "alg must be an integer")?;
    let x = bytes_param(PARAM_X)?.ok_or(KeyError::CoseKey("missing x"))?;
    let y = match kty {
        KTY_EC2 => bytes_param(PARAM_Y)?.ok_or(KeyError::CoseKey(
            "missing y (compressed points are not supported)",
        ))?,
        _ => Vec::new(),
    };
    let d = bytes_param(PARAM_D)?.map(Zeroizing::new);
    Ok(KeyParts {
        kty,
        crv,
        alg,
        x,
        y,
        d,
    })
}

/// Encodes a COSE_Key in deterministic order (1 kty, 2 kid, 3 alg, -1 crv, -2 x, -3 y, -4 d).
pub(crate) fn encode_parts(parts: &KeyParts, kid: &Kid) -> Vec<u8> {
    let mut entries = vec![
        (Value::from(LABEL_KTY), Value::from(parts.kty)),
        (
            Value::from(LABEL_KID),
            Value::Bytes(kid.as_bytes().to_vec()),
        ),
    ];
    if let Some(alg) = parts.alg {
        entries.push((Value::from(LABEL_ALG), Value::from(alg)));
    }
    entries.push((Value::from(PARAM_CRV), Value::from(parts.crv)));
    entries.push((Value::from(PARAM_X), Value::Bytes(parts.x.clone())));
    if !parts.y.is_empty() {
        entries.push((Value::from(PARAM_Y), Value::Bytes(parts.y.clone())));
    }
    if let Some(d) = &parts.d {
        entries.push((Value::from(PARAM_D), Value::Bytes(d.to_vec())));
    }
    to_vec(&Value::Map(entries))
}

/// RFC 9679 §3: the required public parameters in deterministic CBOR (1, -1, -2, -3).
pub(crate) fn thumbprint_input(kty: i64, crv: i64, x: &[u8], y: &[u8]) -> Vec<u8> {
    let mut entries = vec![
        (Value::from(LABEL_KTY), Value::from(kty)),
        (Value::from(PARAM_CRV), Value::from(crv)),
        (Value::from(PARAM_X), Value::Bytes(x.to_vec())),
    ];
    if !y.is_empty() {
        entries.push((Value::from(PARAM_Y), Value::Bytes(y.to_vec())));
    }
    to_vec(&Value::Map(entries))
}

fn to_vec(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = ciborium::into_writer(value, &mut out);
    out
}

/// The `04 || x || y` SEC1 point of EC2 parts.
pub(crate) fn sec1(parts: &KeyParts) -> Vec<u8> {
    let mut point = vec![0x04];
    point.extend_from_slice(&parts.x);
    point.extend_from_slice(&parts.y);
    point
}

impl KeyParts {
    /// The signature algorithm these parts are a key for, checking `alg` if present
    /// (RFC 9052 §7: it restricts the key to that algorithm).
    fn signature_algorithm(&self) -> Result<Algorithm, KeyError> {
        let algorithm = match (self.kty, self.crv) {
            (KTY_OKP, CRV_ED25519) => Algorithm::Ed25519,
            (KTY_EC2, CRV_P256) => Algorithm::EcdsaP256,
            (KTY_EC2, CRV_SECP256K1) => Algorithm::EcdsaSecp256k1,
            _ => return Err(KeyError::CoseKey("not an Ed25519, P-256 or secp256k1 key")),
        };
        match self.alg {
            Some(alg) if Algorithm::from_cose_id(alg) != Some(algorithm) => {
                Err(KeyError::CoseKey("alg does not match the key type"))
            }
            _ => Ok(algorithm),
        }
    }
}

pub(crate) fn verifying_key(bytes: &[u8]) -> Result<VerifyingKey, KeyError> {
    verifying_key_of(&parse_parts(bytes)?)
}

fn verifying_key_of(parts: &KeyParts) -> Result<VerifyingKey, KeyError> {
    match parts.signature_algorithm()? {
        Algorithm::Ed25519 => {
            let x: &[u8; 32] = parts
                .x
                .as_slice()
                .try_into()
                .map_err(|_| KeyError::Invalid)?;
            ed25519_dalek::VerifyingKey::from_bytes(x)
                .map_err(|_| KeyError::Invalid)
                .and_then(VerifyingKey::ed25519)
        }
        Algorithm::EcdsaP256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1(parts))
            .map(VerifyingKey::P256)
            .map_err(|_| KeyError::Invalid),
        Algorithm::EcdsaSecp256k1 => k256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1(parts))
            .map(VerifyingKey::K256)
            .map_err(|_| KeyError::Invalid),
    }
}

pub(crate) fn signing_key(bytes: &[u8]) -> Result<SigningKey, KeyError> {
    let parts = parse_parts(bytes)?;
    let d = parts.d.as_ref().ok_or(KeyError::CoseKey("missing d"))?;
    let key = SigningKey::from_secret_bytes(parts.signature_algorithm()?, d)?;
    if key.verifying_key() != verifying_key_of(&parts)? {
        return Err(KeyError::CoseKey("d does not match the public key"));
    }
    Ok(key)
}

/// A signature key as COSE_Key parts, with its `alg`.
pub(crate) fn signature_key_parts(key: &VerifyingKey, d: Option<&[u8]>) -> KeyParts {
    let (crv, x, y) = key.coordinates();
    KeyParts {
        kty: if key.algorithm() == Algorithm::Ed25519 {
            KTY_OKP
        } else {
            KTY_EC2
        },
        crv,
        alg: Some(key.algorithm().cose_id()),
        x,
        y,
        d: d.map(|d| Zeroizing::new(d.to_vec())),
    }
}
