//! The protected header of a payseal envelope (spec §3.2): building it and reading it back.

use alloc::string::ToString;
use alloc::vec::Vec;

use ciborium::Value;

use crate::cbor::{self, major};
use crate::error::{Malformed, Rejection};
use crate::keys::Kid;
use crate::policy::Limits;

/// The profile identifier, carried in `typ` and in the topic binding.
pub const PROFILE: &str = "payseal/1";

/// Which kind of envelope a protected header belongs to, from the envelope's root tag: it
/// decides which `alg` values are supported (spec §3.4, spec/mac.md §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    /// COSE_Sign1 (tag 18): the signature algorithms.
    Signed,
    /// COSE_Mac0 (tag 17): HMAC 256/64 and HMAC 256/256.
    Mac,
}

impl Family {
    fn supports(self, alg: i64) -> bool {
        match self {
            Family::Signed => crate::Algorithm::from_cose_id(alg).is_some(),
            Family::Mac => crate::mac::MacAlgorithm::from_cose_id(alg).is_some(),
        }
    }
}

/// COSE header labels the profile uses (IANA "COSE Header Parameters").
pub(crate) mod label {
    pub(crate) const ALG: i64 = 1;
    pub(crate) const CRIT: i64 = 2;
    pub(crate) const CONTENT_TYPE: i64 = 3;
    pub(crate) const KID: i64 = 4;
    pub(crate) const IV: i64 = 5;
    pub(crate) const PARTIAL_IV: i64 = 6;
    pub(crate) const COUNTER_SIGNATURE: i64 = 7;
    /// CWT Claims in headers (RFC 9597).
    pub(crate) const CWT_CLAIMS: i64 = 15;
    /// `typ` (RFC 9596).
    pub(crate) const TYP: i64 = 16;
    /// The `iat` claim inside CWT Claims (RFC 8392).
    pub(crate) const CLAIM_IAT: i64 = 6;
    /// `x5chain` (RFC 9360): the sender's certificate, or chain leaf first.
    pub(crate) const X5CHAIN: i64 = 33;
    /// `x5t` (RFC 9360): a hash of the sender's certificate, `[alg, hash]`.
    pub(crate) const X5T: i64 = 34;
    /// The message kind marker (spec §3.7), a private-use label.
    pub(crate) const KIND: i64 = crate::kind::MessageKind::LABEL;
    /// Labels a verifier of this profile understands, so they may be listed in `crit`.
    pub(crate) const UNDERSTOOD: [i64; 9] = [
        ALG,
        CONTENT_TYPE,
        KID,
        PARTIAL_IV,
        CWT_CLAIMS,
        TYP,
        X5CHAIN,
        X5T,
        KIND,
    ];
    /// CWT claims a verifier of this profile understands: with CWT Claims (15) listed in
    /// `crit`, any other claim (`exp`, `nbf`, ...) makes the envelope invalid (spec §3.5).
    pub(crate) const UNDERSTOOD_CLAIMS: [i64; 1] = [CLAIM_IAT];
}

/// The security-relevant fields of a protected header, after validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fields {
    pub(crate) alg: i64,
    pub(crate) kid: Vec<u8>,
    pub(crate) seq: u64,
    pub(crate) iat: u64,
    /// 16 (COSE_Encrypt0) or 96 (COSE_Encrypt) when the payload is encrypted.
    pub(crate) content_type: Option<u64>,
    /// `x5chain`: DER certificates, leaf first.
    pub(crate) x5chain: Option<Vec<Vec<u8>>>,
    /// `x5t`: a certificate thumbprint.
    pub(crate) x5t: Option<CertHash>,
    /// What the sender signed the message to be (spec §3.7); `Live` without a marker.
    pub(crate) kind: crate::kind::MessageKind,
}

/// A certificate thumbprint as carried in `x5t` (RFC 9360 §2: `COSE_CertHash = [hashAlg,
/// hashValue]`), e.g. SHA-256 (COSE alg -16) of the DER certificate.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CertHash {
    alg: i64,
    value: Vec<u8>,
}

impl CertHash {
    /// COSE algorithm id of SHA-256 (RFC 9054).
    pub const SHA256: i64 = -16;
    /// Longest hash value accepted in an envelope, in bytes.
    pub const MAX_LEN: usize = 64;

    /// A SHA-256 thumbprint of a DER certificate.
    pub fn sha256(thumbprint: [u8; 32]) -> Self {
        CertHash {
            alg: Self::SHA256,
            value: thumbprint.to_vec(),
        }
    }

    /// The COSE hash algorithm id.
    pub fn alg(&self) -> i64 {
        self.alg
    }

    /// The hash value.
    pub fn value(&self) -> &[u8] {
        &self.value
    }
}

/// Optional certificate parameters a sealer writes after `typ`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CertParams {
    pub(crate) x5chain: Option<Vec<Vec<u8>>>,
    pub(crate) x5t: Option<CertHash>,
}

/// Encodes the protected header in the profile's fixed order: alg, content type, kid,
/// Partial IV, CWT Claims, typ, then x5chain and x5t when configured, then the kind marker for
/// retained state and wills (already sorted for deterministic CBOR: negative labels follow
/// positive ones). Written straight into `out` (cleared first): a sealer encodes it once and
/// measures, signs and sends those same bytes.
#[allow(clippy::too_many_arguments, reason = "one argument per header field")]
pub(crate) fn encode(
    out: &mut Vec<u8>,
    alg: i64,
    content_type: Option<u64>,
    kid: &Kid,
    seq: u64,
    iat: u64,
    certs: &CertParams,
    kind: crate::kind::MessageKind,
) {
    let x5chain = certs.x5chain.as_deref().filter(|chain| !chain.is_empty());
    let entries = 5
        + usize::from(content_type.is_some())
        + usize::from(x5chain.is_some())
        + usize::from(certs.x5t.is_some())
        + usize::from(kind.value().is_some());
    out.clear();
    cbor::write_head(out, major::MAP, entries as u64);
    cbor::write_int(out, label::ALG);
    cbor::write_int(out, alg);
    if let Some(content_type) = content_type {
        cbor::write_int(out, label::CONTENT_TYPE);
        cbor::write_head(out, major::UNSIGNED, content_type);
    }
    cbor::write_int(out, label::KID);
    cbor::write_string(out, major::BYTES, kid.as_bytes());
    cbor::write_int(out, label::PARTIAL_IV);
    let seq_bytes = seq.to_be_bytes();
    cbor::write_string(out, major::BYTES, partial_iv(&seq_bytes));
    cbor::write_int(out, label::CWT_CLAIMS);
    cbor::write_head(out, major::MAP, 1);
    cbor::write_int(out, label::CLAIM_IAT);
    cbor::write_head(out, major::UNSIGNED, iat);
    cbor::write_int(out, label::TYP);
    cbor::write_string(out, major::TEXT, PROFILE.as_bytes());
    match x5chain {
        // RFC 9360 §2: one certificate is a bstr, several an array of bstr.
        Some([one]) => {
            cbor::write_int(out, label::X5CHAIN);
            cbor::write_string(out, major::BYTES, one);
        }
        Some(chain) => {
            cbor::write_int(out, label::X5CHAIN);
            cbor::write_head(out, major::ARRAY, chain.len() as u64);
            for cert in chain {
                cbor::write_string(out, major::BYTES, cert);
            }
        }
        None => {}
    }
    if let Some(x5t) = &certs.x5t {
        cbor::write_int(out, label::X5T);
        cbor::write_head(out, major::ARRAY, 2);
        cbor::write_int(out, x5t.alg);
        cbor::write_string(out, major::BYTES, &x5t.value);
    }
    if let Some(value) = kind.value() {
        cbor::write_int(out, label::KIND);
        cbor::write_head(out, major::UNSIGNED, value);
    }
}

/// The sequence number's bytes as a Partial IV, within its big-endian `u64`: without leading
/// zero bytes; 0 is `h'00'`.
fn partial_iv(be: &[u8; 8]) -> &[u8] {
    let skip = be.iter().take(7).take_while(|&&b| b == 0).count();
    be.get(skip..).unwrap_or_default()
}

fn decode_seq(piv: &[u8]) -> Result<u64, Malformed> {
    let minimal = match piv {
        [] => false,
        [0, _, ..] => false,
        _ => piv.len() <= 8,
    };
    if !minimal {
        return Err(Malformed::InvalidHeader(
            "Partial IV must be 1 to 8 bytes without leading zeros",
        ));
    }
    Ok(piv.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

/// Validates a decoded protected header map against the profile and extracts its fields.
///
/// `coset` would parse this map too, but it refuses unregistered `alg` and `crit` values with
/// one generic error, where the profile needs distinct reasons (`unsupported_algorithm`,
/// `unknown_critical_header`), so the map is read here. Structural problems come first, then
/// the size of the kid, then whether the algorithm is supported (spec §5, steps 4-5).
pub(crate) fn parse(
    map: &[(Value, Value)],
    protected_len: usize,
    limits: &Limits,
    family: Family,
) -> Result<Fields, Rejection> {
    if map.len() > limits.max_header_entries {
        return Err(Malformed::TooComplex("too many protected header entries").into());
    }
    let mut alg = None;
    let mut crit: &[Value] = &[];
    let mut kid = None;
    let mut seq = None;
    let mut iat = None;
    let mut claims: Option<&[(Value, Value)]> = None;
    let mut typ_ok = false;
    let mut content_type = None;
    let mut x5chain = None;
    let mut x5t = None;
    let mut kind = None;
    for (key, value) in map {
        let Value::Integer(key) = key else {
            continue; // text labels: not understood, ignored unless critical (below)
        };
        let Ok(key) = i64::try_from(*key) else {
            continue;
        };
        match (key, value) {
            (label::ALG, Value::Integer(a)) => {
                // Any CBOR integer: one outside i64 is simply not a supported algorithm.
                alg = Some(i128::from(*a));
            }
            (label::ALG, _) => return Err(invalid("alg must be an integer")),
            (label::CRIT, Value::Array(labels))
                if !labels.is_empty()
                    && labels
                        .iter()
                        .all(|l| matches!(l, Value::Integer(_) | Value::Text(_))) =>
            {
                crit = labels;
            }
            (label::CRIT, _) => {
                return Err(invalid("crit must be a non-empty array of labels"));
            }
            (label::KID, Value::Bytes(k)) if !k.is_empty() => kid = Some(k),
            (label::KID, _) => return Err(invalid("kid must be a non-empty byte string")),
            (label::PARTIAL_IV, Value::Bytes(piv)) => seq = Some(decode_seq(piv)?),
            (label::PARTIAL_IV, _) => return Err(invalid("Partial IV must be a byte string")),
            (label::CWT_CLAIMS, Value::Map(map)) => {
                // Only the type of iat here; its presence is checked after crit (step 7).
                iat = parse_iat(map)?;
                claims = Some(map);
            }
            (label::CWT_CLAIMS, _) => return Err(invalid("CWT Claims must be a map")),
            (label::TYP, Value::Text(t)) if t == PROFILE => typ_ok = true,
            (label::TYP, _) => return Err(invalid("typ is not \"payseal/1\"")),
            (label::CONTENT_TYPE, Value::Integer(ct))
                if [crate::encrypt::COSE_ENCRYPT0, crate::encrypt::COSE_ENCRYPT]
                    .iter()
                    .any(|known| i128::from(*known) == i128::from(*ct)) =>
            {
                content_type = u64::try_from(*ct).ok();
            }
            (label::CONTENT_TYPE, _) => {
                return Err(invalid(
                    "content type must be 16 (COSE_Encrypt0) or 96 (COSE_Encrypt)",
                ));
            }
            (label::X5CHAIN, value) => x5chain = Some(parse_x5chain(value)?),
            (label::X5T, value) => x5t = Some(parse_x5t(value)?),
            (label::KIND, Value::Integer(k)) => {
                kind = Some(
                    u64::try_from(*k)
                        .map_err(|_| invalid("message kind must be an unsigned integer"))?,
                );
            }
            (label::KIND, _) => return Err(invalid("message kind must be an unsigned integer")),
            (label::IV | label::COUNTER_SIGNATURE, _) => {
                return Err(invalid(
                    "IV and countersignature are not part of an envelope",
                ));
            }
            _ => {} // other labels are ignored unless critical (below)
        }
    }
    let unknown_claim = claims.unwrap_or_default().iter().find(|(k, _)| {
        !label::UNDERSTOOD_CLAIMS
            .iter()
            .any(|&known| is_label(k, known))
    });
    for c in crit {
        let understood = match c {
            Value::Integer(i) => i64::try_from(*i).is_ok_and(|i| label::UNDERSTOOD.contains(&i)),
            _ => false,
        };
        if !understood {
            return Err(Malformed::UnknownCriticalHeader(crit_name(c)).into());
        }
        // A critical CWT Claims parameter makes its claims critical too: one this profile
        // does not act on (`exp`, `nbf`, ...) must not be silently ignored.
        if let (true, Some((claim, _))) = (is_label(c, label::CWT_CLAIMS), unknown_claim) {
            return Err(Malformed::UnknownCriticalHeader(alloc::format!(
                "15 (CWT claim {})",
                crit_name(claim)
            ))
            .into());
        }
    }
    let alg = alg.ok_or(invalid("alg is missing"))?;
    let kid = kid.ok_or(invalid("kid is missing"))?;
    let seq = seq.ok_or(invalid("Partial IV (sequence number) is missing"))?;
    let iat = iat.ok_or(invalid(if claims.is_some() {
        "CWT Claims lack iat"
    } else {
        "CWT Claims (timestamp) are missing"
    }))?;
    if !typ_ok {
        return Err(invalid("typ is missing"));
    }
    if kid.len() > Kid::MAX_LEN {
        return Err(Rejection::TooLarge {
            what: "kid",
            limit: Kid::MAX_LEN,
            actual: kid.len(),
        });
    }
    if let Some(chain) = &x5chain {
        check_chain_size(chain, protected_len, limits)?;
    } else if protected_len > limits.max_protected_bytes {
        return Err(too_large_header(protected_len, limits));
    }
    let alg = i64::try_from(alg)
        .ok()
        .filter(|&id| family.supports(id))
        .ok_or(Rejection::UnsupportedAlgorithm(alg))?;
    let kind = match kind {
        None => crate::kind::MessageKind::Live,
        Some(value) => {
            crate::kind::MessageKind::from_value(value).ok_or(Rejection::UnknownKind(value))?
        }
    };
    Ok(Fields {
        alg,
        kid: kid.clone(),
        seq,
        iat,
        content_type,
        x5chain: x5chain.map(|c| c.into_iter().cloned().collect()),
        x5t,
        kind,
    })
}

fn too_large_header(actual: usize, limits: &Limits) -> Rejection {
    Rejection::TooLarge {
        what: "protected header",
        limit: limits.max_protected_bytes,
        actual,
    }
}

/// The chain's limits (spec §4.3): certificate count, certificate bytes, then the rest of the
/// protected header.
fn check_chain_size(
    chain: &[&Vec<u8>],
    protected_len: usize,
    limits: &Limits,
) -> Result<(), Rejection> {
    if chain.len() > limits.max_x5chain_certs {
        return Err(Malformed::TooComplex("too many certificates in x5chain").into());
    }
    let cert_bytes = chain.iter().map(|c| c.len()).sum::<usize>();
    if cert_bytes > limits.max_x5chain_bytes {
        return Err(Rejection::TooLarge {
            what: "x5chain",
            limit: limits.max_x5chain_bytes,
            actual: cert_bytes,
        });
    }
    let rest = protected_len.saturating_sub(cert_bytes);
    if rest > limits.max_protected_bytes {
        return Err(too_large_header(rest, limits));
    }
    Ok(())
}

/// `x5chain`: one non-empty bstr, or a non-empty array of them (RFC 9360 §2).
fn parse_x5chain(value: &Value) -> Result<Vec<&Vec<u8>>, Rejection> {
    const WHAT: &str = "x5chain must be a certificate bstr or a non-empty array of them";
    match value {
        Value::Bytes(cert) if !cert.is_empty() => Ok(alloc::vec![cert]),
        Value::Array(certs) if !certs.is_empty() => certs
            .iter()
            .map(|c| match c {
                Value::Bytes(cert) if !cert.is_empty() => Ok(cert),
                _ => Err(invalid(WHAT)),
            })
            .collect(),
        _ => Err(invalid(WHAT)),
    }
}

/// `x5t`: `[hashAlg: int, hashValue: bstr]` (RFC 9360 §2). Text algorithm names are not
/// accepted; which algorithms are acceptable is the sender resolver's decision.
fn parse_x5t(value: &Value) -> Result<CertHash, Rejection> {
    const WHAT: &str = "x5t must be [integer alg, bstr of 1 to 64 bytes]";
    let Value::Array(parts) = value else {
        return Err(invalid(WHAT));
    };
    match parts.as_slice() {
        [Value::Integer(alg), Value::Bytes(hash)]
            if !hash.is_empty() && hash.len() <= CertHash::MAX_LEN =>
        {
            let alg = i64::try_from(*alg).map_err(|_| invalid(WHAT))?;
            Ok(CertHash {
                alg,
                value: hash.clone(),
            })
        }
        _ => Err(invalid(WHAT)),
    }
}

fn invalid(what: &'static str) -> Rejection {
    Malformed::InvalidHeader(what).into()
}

/// The `iat` claim, if present; present but not an unsigned integer is `invalid_header`.
fn parse_iat(claims: &[(Value, Value)]) -> Result<Option<u64>, Malformed> {
    let iat = claims.iter().find_map(|(k, v)| match k {
        Value::Integer(i) if i128::from(*i) == i128::from(label::CLAIM_IAT) => Some(v),
        _ => None,
    });
    match iat {
        Some(Value::Integer(i)) => u64::try_from(*i)
            .map(Some)
            .map_err(|_| Malformed::InvalidHeader("iat must be a non-negative integer")),
        Some(_) => Err(Malformed::InvalidHeader(
            "iat must be a non-negative integer",
        )),
        None => Ok(None),
    }
}

/// Whether a label value is the integer `label`.
fn is_label(value: &Value, label: i64) -> bool {
    matches!(value, Value::Integer(i) if i128::from(*i) == i128::from(label))
}

fn crit_name(label: &Value) -> alloc::string::String {
    match label {
        Value::Integer(i) => i128::from(*i).to_string(),
        other => alloc::format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coset::HeaderBuilder;

    fn encode_seq(seq: u64) -> Vec<u8> {
        partial_iv(&seq.to_be_bytes()).to_vec()
    }

    #[test]
    fn sequence_numbers_are_minimal_big_endian() {
        assert_eq!(encode_seq(0), [0]);
        assert_eq!(encode_seq(255), [255]);
        assert_eq!(encode_seq(256), [1, 0]);
        assert_eq!(encode_seq(u64::MAX), [0xff; 8]);
        for seq in [0, 1, 255, 256, 1 << 40, u64::MAX] {
            assert_eq!(decode_seq(&encode_seq(seq)), Ok(seq));
        }
        assert!(decode_seq(&[]).is_err());
        assert!(decode_seq(&[0, 1]).is_err());
        assert!(decode_seq(&[1; 9]).is_err());
    }

    /// The standard header entries with CWT Claims `claims` and, if `critical`, crit [15].
    fn header(claims: Vec<(Value, Value)>, critical: bool) -> Vec<(Value, Value)> {
        let mut map = alloc::vec![
            (Value::from(1), Value::from(-19)),
            (Value::from(4), Value::Bytes(alloc::vec![1; 8])),
            (Value::from(6), Value::Bytes(alloc::vec![7])),
            (Value::from(15), Value::Map(claims)),
            (Value::from(16), Value::from(PROFILE)),
        ];
        if critical {
            map.insert(
                1,
                (Value::from(2), Value::Array(alloc::vec![Value::from(15)])),
            );
        }
        map
    }

    /// Issue 16 item 17: `exp` and `nbf` were ignored even with CWT Claims marked critical.
    #[test]
    fn critical_cwt_claims_other_than_iat_are_refused() {
        let iat = (Value::from(6), Value::from(1_700_000_000u64));
        let limits = Limits::DEFAULT;
        for claim in [
            (Value::from(4), Value::from(1_600_000_000u64)), // exp, long past
            (Value::from(5), Value::from(1_800_000_000u64)), // nbf, far ahead
            (Value::from("custom"), Value::from(1)),
        ] {
            let critical = header(alloc::vec![claim.clone(), iat.clone()], true);
            assert!(
                matches!(
                    parse(&critical, 64, &limits, Family::Signed),
                    Err(Rejection::Malformed(Malformed::UnknownCriticalHeader(_)))
                ),
                "{claim:?}"
            );
            // Not critical: ignored, as any claim a sealer of this profile does not write.
            let plain = header(alloc::vec![claim, iat.clone()], false);
            assert!(parse(&plain, 64, &limits, Family::Signed).is_ok());
        }
        assert!(parse(&header(alloc::vec![iat], true), 64, &limits, Family::Signed).is_ok());
    }

    /// Issue 17: CWT Claims without iat plus an unknown critical label was `invalid_header`;
    /// envelope.md §4.2 step 7 checks crit before the presence of iat.
    #[test]
    fn crit_is_checked_before_iat_presence() {
        let limits = Limits::DEFAULT;
        let exp = (Value::from(4), Value::from(1_800_000_000u64));
        let mut unknown = header(alloc::vec![], false);
        unknown.insert(
            1,
            (
                Value::from(2),
                Value::Array(alloc::vec![Value::from(-70000)]),
            ),
        );
        unknown.push((Value::from(-70000), Value::from("must understand")));
        for map in [unknown, header(alloc::vec![exp.clone()], true)] {
            assert!(
                matches!(
                    parse(&map, 64, &limits, Family::Signed),
                    Err(Rejection::Malformed(Malformed::UnknownCriticalHeader(_)))
                ),
                "{map:?}"
            );
        }
        assert_eq!(
            parse(
                &header(alloc::vec![exp], false),
                64,
                &limits,
                Family::Signed
            )
            .err(),
            Some(invalid("CWT Claims lack iat"))
        );
    }

    /// Issue 17: an alg outside i64 was `invalid_header` ("alg is out of range"); it is any
    /// CBOR integer, so an algorithm the profile does not support.
    #[test]
    fn alg_outside_i64_is_an_unsupported_algorithm() {
        let iat = (Value::from(6), Value::from(1_700_000_000u64));
        for alg in [
            1i128 << 63,
            -(1i128 << 63) - 1,
            -(1i128 << 64),
            (1i128 << 64) - 1,
        ] {
            let mut map = header(alloc::vec![iat.clone()], false);
            map[0].1 = Value::Integer(ciborium::value::Integer::try_from(alg).unwrap());
            assert_eq!(
                parse(&map, 64, &Limits::DEFAULT, Family::Signed).err(),
                Some(Rejection::UnsupportedAlgorithm(alg)),
                "{alg}"
            );
        }
    }

    /// The same header through `coset`'s builder and encoder: the direct encoder must write
    /// exactly the bytes a general COSE library writes for it.
    fn coset_encoding(
        alg: i64,
        content_type: Option<u64>,
        kid: &Kid,
        seq: u64,
        iat: u64,
        certs: &CertParams,
        kind: crate::kind::MessageKind,
    ) -> Vec<u8> {
        use coset::CborSerializable;
        use coset::iana::EnumI64;
        let alg = coset::iana::Algorithm::from_i64(alg).unwrap();
        let mut builder = HeaderBuilder::new().algorithm(alg);
        builder = match content_type {
            Some(16) => builder.content_format(coset::iana::CoapContentFormat::CoseEncrypt0),
            Some(96) => builder.content_format(coset::iana::CoapContentFormat::CoseEncrypt),
            Some(other) => panic!("no content format {other}"),
            None => builder,
        };
        let claims = Value::Map(alloc::vec![(
            Value::from(label::CLAIM_IAT),
            Value::from(iat)
        )]);
        builder = builder
            .key_id(kid.as_bytes().to_vec())
            .partial_iv(encode_seq(seq))
            .value(label::CWT_CLAIMS, claims)
            .value(label::TYP, Value::Text(PROFILE.to_string()));
        match certs.x5chain.as_deref() {
            Some([one]) => builder = builder.value(label::X5CHAIN, Value::Bytes(one.clone())),
            Some(chain) if !chain.is_empty() => {
                let chain = chain.iter().map(|c| Value::Bytes(c.clone())).collect();
                builder = builder.value(label::X5CHAIN, Value::Array(chain));
            }
            _ => {}
        }
        if let Some(x5t) = &certs.x5t {
            let hash = Value::Array(alloc::vec![
                Value::from(x5t.alg),
                Value::Bytes(x5t.value.clone())
            ]);
            builder = builder.value(label::X5T, hash);
        }
        if let Some(value) = kind.value() {
            builder = builder.value(label::KIND, Value::from(value));
        }
        builder.build().to_vec().unwrap()
    }

    #[test]
    fn direct_encoding_is_cosets() {
        use crate::kind::MessageKind;
        let kids = [
            Kid::new(alloc::vec![7; 1]).unwrap(),
            Kid::new(alloc::vec![0xab; 32]).unwrap(),
        ];
        let chains = [
            CertParams::default(),
            CertParams {
                x5chain: Some(alloc::vec![alloc::vec![1; 30]]),
                x5t: None,
            },
            CertParams {
                x5chain: Some(alloc::vec![alloc::vec![2; 300], alloc::vec![3; 70000]]),
                x5t: Some(CertHash::sha256([9; 32])),
            },
            CertParams {
                x5chain: Some(alloc::vec![]),
                x5t: Some(CertHash::sha256([1; 32])),
            },
        ];
        let mut out = Vec::new();
        for alg in [-19, -7, -9, -47, -8, 4, 5] {
            for content_type in [None, Some(16), Some(96)] {
                for kid in &kids {
                    for (seq, iat) in [(0, 0), (23, 24), (256, 1_700_000_000), (u64::MAX, u64::MAX)]
                    {
                        for certs in &chains {
                            for kind in
                                [MessageKind::Live, MessageKind::Retained, MessageKind::Will]
                            {
                                encode(&mut out, alg, content_type, kid, seq, iat, certs, kind);
                                let theirs =
                                    coset_encoding(alg, content_type, kid, seq, iat, certs, kind);
                                assert_eq!(out, theirs, "alg {alg} ct {content_type:?} seq {seq}");
                            }
                        }
                    }
                }
            }
        }
    }
}
