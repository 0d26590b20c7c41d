//! COSE_Key encoding (RFC 9052 §7, RFC 9053 §7.1-7.2) and RFC 9679 thumbprint input.

use alloc::vec;
use alloc::vec::Vec;

use ciborium::Value;
use coset::{CborSerializable, CoseKey, Label, iana};
use zeroize::Zeroizing;

use super::{SigningKey, VerifyingKey};
use crate::alg::Algorithm;
use crate::error::KeyError;

pub(crate) const KTY_OKP: i64 = 1;
pub(crate) const KTY_EC2: i64 = 2;
pub(crate) const CRV_P256: i64 = 1;
pub(crate) const CRV_ED25519: i64 = 6;
pub(crate) const CRV_SECP256K1: i64 = 8;
const LABEL_KTY: i64 = 1;
const PARAM_CRV: i64 = -1;
const PARAM_X: i64 = -2;
const PARAM_Y: i64 = -3;
const PARAM_D: i64 = -4;

/// The parameters of a parsed COSE_Key that payseal uses.
pub(crate) struct ParsedKey {
    algorithm: Algorithm,
    x: Vec<u8>,
    y: Vec<u8>,
    d: Option<Zeroizing<Vec<u8>>>,
}

pub(crate) fn parse(bytes: &[u8]) -> Result<ParsedKey, KeyError> {
    let key = CoseKey::from_slice(bytes).map_err(|_| KeyError::CoseKey("not a COSE_Key"))?;
    let param = |label: i64| {
        key.params
            .iter()
            .find(|(l, _)| *l == Label::Int(label))
            .map(|(_, v)| v)
    };
    let bytes_param = |label: i64| match param(label) {
        Some(Value::Bytes(b)) => Ok(Some(b.clone())),
        Some(_) => Err(KeyError::CoseKey("key parameter must be a byte string")),
        None => Ok(None),
    };
    let crv = match param(PARAM_CRV) {
        Some(Value::Integer(i)) => i64::try_from(*i).map_err(|_| KeyError::CoseKey("crv"))?,
        _ => return Err(KeyError::CoseKey("missing or non-integer crv")),
    };
    let kty = match key.kty {
        coset::KeyType::Assigned(iana::KeyType::OKP) => KTY_OKP,
        coset::KeyType::Assigned(iana::KeyType::EC2) => KTY_EC2,
        _ => return Err(KeyError::CoseKey("kty must be OKP or EC2")),
    };
    let algorithm = match (kty, crv) {
        (KTY_OKP, CRV_ED25519) => Algorithm::Ed25519,
        (KTY_EC2, CRV_P256) => Algorithm::EcdsaP256,
        (KTY_EC2, CRV_SECP256K1) => Algorithm::EcdsaSecp256k1,
        _ => return Err(KeyError::CoseKey("unsupported kty/crv")),
    };
    // RFC 9052 §7: a key's `alg`, if present, restricts it to that algorithm.
    if let Some(alg) = &key.alg {
        let id = match alg {
            coset::RegisteredLabelWithPrivate::Assigned(a) => Some(*a as i64),
            coset::RegisteredLabelWithPrivate::PrivateUse(p) => Some(*p),
            coset::RegisteredLabelWithPrivate::Text(_) => None,
        };
        if id.and_then(Algorithm::from_cose_id) != Some(algorithm) {
            return Err(KeyError::CoseKey("alg does not match the key type"));
        }
    }
    let x = bytes_param(PARAM_X)?.ok_or(KeyError::CoseKey("missing x"))?;
    let y = if kty == KTY_EC2 {
        bytes_param(PARAM_Y)?.ok_or(KeyError::CoseKey(
            "missing y (compressed points are not supported)",
        ))?
    } else {
        Vec::new()
    };
    let d = bytes_param(PARAM_D)?.map(Zeroizing::new);
    // RFC 9053 §7.1.1: coordinates and d are exactly the field size (32 bytes for all three).
    let field_sized = |b: &[u8]| b.len() == 32;
    if !field_sized(&x)
        || (kty == KTY_EC2 && !field_sized(&y))
        || d.as_deref().is_some_and(|d| !field_sized(d))
    {
        return Err(KeyError::CoseKey("x, y and d must be 32 bytes"));
    }
    Ok(ParsedKey { algorithm, x, y, d })
}

impl ParsedKey {
    pub(crate) fn verifying_key(&self) -> Result<VerifyingKey, KeyError> {
        match self.algorithm {
            Algorithm::Ed25519 => {
                let x: &[u8; 32] = self
                    .x
                    .as_slice()
                    .try_into()
                    .map_err(|_| KeyError::Invalid)?;
                ed25519_dalek::VerifyingKey::from_bytes(x)
                    .map_err(|_| KeyError::Invalid)
                    .and_then(VerifyingKey::ed25519)
            }
            Algorithm::EcdsaP256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(&self.sec1())
                .map(VerifyingKey::P256)
                .map_err(|_| KeyError::Invalid),
            Algorithm::EcdsaSecp256k1 => k256::ecdsa::VerifyingKey::from_sec1_bytes(&self.sec1())
                .map(VerifyingKey::K256)
                .map_err(|_| KeyError::Invalid),
        }
    }

    pub(crate) fn signing_key(&self) -> Result<SigningKey, KeyError> {
        let d = self.d.as_ref().ok_or(KeyError::CoseKey("missing d"))?;
        let key = SigningKey::from_secret_bytes(self.algorithm, d)?;
        if key.verifying_key() != self.verifying_key()? {
            return Err(KeyError::CoseKey("d does not match the public key"));
        }
        Ok(key)
    }

    fn sec1(&self) -> Vec<u8> {
        let mut point = vec![0x04];
        point.extend_from_slice(&self.x);
        point.extend_from_slice(&self.y);
        point
    }
}

/// Encodes a COSE_Key with `kty`, `kid`, `alg`, `crv`, `x`, `y` and optionally `d`, in
/// deterministic (length-first, then lexicographic) order.
pub(crate) fn encode(key: &VerifyingKey, d: Option<&[u8]>) -> Result<Vec<u8>, KeyError> {
    let (crv, x, y) = key.coordinates();
    let mut builder = coset::CoseKeyBuilder::new()
        .key_id(key.kid().as_bytes().to_vec())
        .param(PARAM_CRV, Value::from(crv))
        .param(PARAM_X, Value::Bytes(x));
    builder = match key.algorithm() {
        Algorithm::Ed25519 => builder.key_type(iana::KeyType::OKP),
        _ => builder
            .key_type(iana::KeyType::EC2)
            .param(PARAM_Y, Value::Bytes(y)),
    };
    if let Some(d) = d {
        builder = builder.param(PARAM_D, Value::Bytes(d.to_vec()));
    }
    let mut cose_key = builder.algorithm(key.algorithm().iana()).build();
    cose_key.canonicalize(coset::CborOrdering::LengthFirstLexicographic);
    cose_key.to_vec().map_err(|_| KeyError::Encode)
}

/// RFC 9679 §3: the required public parameters, in deterministic CBOR (keys sorted:
/// 1, -1, -2, -3).
pub(crate) fn thumbprint_input(key: &VerifyingKey) -> Vec<u8> {
    let (crv, x, y) = key.coordinates();
    let kty = if key.algorithm() == Algorithm::Ed25519 {
        KTY_OKP
    } else {
        KTY_EC2
    };
    let mut entries = vec![
        (Value::from(LABEL_KTY), Value::from(kty)),
        (Value::from(PARAM_CRV), Value::from(crv)),
        (Value::from(PARAM_X), Value::Bytes(x)),
    ];
    if !y.is_empty() {
        entries.push((Value::from(PARAM_Y), Value::Bytes(y)));
    }
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = ciborium::into_writer(&Value::Map(entries), &mut out);
    out
}
