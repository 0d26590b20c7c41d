//! The envelope on the wire: a tagged COSE_Sign1 (spec §3), its topic binding and its strict
//! decoding (spec §4).

use alloc::vec::Vec;

use ciborium::Value;

use crate::cbor::{self, ScanLimits, major};
use crate::error::{Malformed, Rejection};
use crate::header::{self, CertHash, Family, Fields, PROFILE};
use crate::keys::Signature;
use crate::mac::COSE_MAC0_TAG;
use crate::policy::Limits;

/// CBOR tag of a COSE_Sign1 (RFC 9052 §4.2).
pub(crate) const COSE_SIGN1_TAG: u64 = 18;

/// `external_aad` binding the envelope to its MQTT topic: the CBOR array
/// `["payseal/1", topic]` (spec §3.3). It is never transmitted; the receiver rebuilds it from
/// the topic the message actually arrived on.
pub fn external_aad(topic: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(topic.len() + PROFILE.len() + 5);
    write_external_aad(&mut out, topic);
    out
}

/// Writes [`external_aad`] into `out` (cleared first), for callers that reuse a buffer.
pub(crate) fn write_external_aad(out: &mut Vec<u8>, topic: &str) {
    out.clear();
    cbor::write_head(out, major::ARRAY, 2);
    cbor::write_string(out, major::TEXT, PROFILE.as_bytes());
    cbor::write_string(out, major::TEXT, topic.as_bytes());
}

/// `Sig_structure`'s context (RFC 9052 §4.4).
pub(crate) const SIGNATURE1: &[u8] = b"Signature1";

/// The bytes a signature covers: `Sig_structure = ["Signature1", protected, external_aad,
/// payload]` (RFC 9052 §4.4), over the protected header bytes exactly as received.
pub(crate) fn sig_structure(protected: &[u8], aad: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    write_to_be_stamped(&mut out, SIGNATURE1, protected, aad, payload);
    out
}

/// Writes the structure a signature or MAC tag covers (`[context, protected, external_aad,
/// payload]`, RFC 9052 §4.4 and §6.3) into `out` (cleared first).
pub(crate) fn write_to_be_stamped(
    out: &mut Vec<u8>,
    context: &[u8],
    protected: &[u8],
    aad: &[u8],
    payload: &[u8],
) {
    out.clear();
    out.reserve(context.len() + protected.len() + aad.len() + payload.len() + 28);
    cbor::write_head(out, major::ARRAY, 4);
    cbor::write_string(out, major::TEXT, context);
    cbor::write_string(out, major::BYTES, protected);
    cbor::write_string(out, major::BYTES, aad);
    cbor::write_string(out, major::BYTES, payload);
}

/// The exact size of a stamped envelope: tag, array head, protected bstr, empty map, payload
/// bstr and the signature or tag bstr (both root tags, 17 and 18, take one byte).
pub(crate) fn stamped_len(protected_len: usize, payload_len: usize, stamp_len: usize) -> usize {
    let bstr = |len: usize| cbor::shortest_head_len(len as u64) + len;
    1 + 1 + bstr(protected_len) + 1 + bstr(payload_len) + bstr(stamp_len)
}

/// The tagged envelope (`tag` 18, COSE_Sign1, or 17, COSE_Mac0): `[protected, {}, payload,
/// stamp]`, written once into a buffer of its exact size.
pub(crate) fn write_stamped(tag: u64, protected: &[u8], payload: &[u8], stamp: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(stamped_len(protected.len(), payload.len(), stamp.len()));
    cbor::write_head(&mut out, major::TAG, tag);
    cbor::write_head(&mut out, major::ARRAY, 4);
    cbor::write_string(&mut out, major::BYTES, protected);
    cbor::write_head(&mut out, major::MAP, 0);
    cbor::write_string(&mut out, major::BYTES, payload);
    cbor::write_string(&mut out, major::BYTES, stamp);
    out
}

/// What authenticates an envelope: a COSE_Sign1's signature, or a COSE_Mac0's tag
/// (spec/mac.md).
#[derive(Clone, Debug)]
enum Stamp {
    Signature(Signature),
    Mac(Vec<u8>),
}

/// An envelope that has been decoded and checked against the profile's structure, but whose
/// signature (or MAC tag), sender, topic, freshness and sequence number have **not** been checked.
///
/// Use it to look inside envelopes (the CLI's `inspect`); never act on its payload. Only
/// [`Opener::open`](crate::Opener::open) returns payloads you can trust.
#[derive(Clone, Debug)]
pub struct UnverifiedEnvelope {
    protected: Vec<u8>,
    fields: Fields,
    payload: Vec<u8>,
    stamp: Stamp,
}

impl UnverifiedEnvelope {
    /// Decodes `bytes` strictly (spec §4), without any key.
    ///
    /// # Errors
    /// The structural [`Rejection`]s: `TooLarge`, `Malformed(..)`, `UnsupportedAlgorithm`.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Self, Rejection> {
        if bytes.len() > limits.max_envelope_bytes {
            return Err(Rejection::TooLarge {
                what: "envelope",
                limit: limits.max_envelope_bytes,
                actual: bytes.len(),
            });
        }
        // Before the scan: bytes that do not even begin with a tag head (plaintext, JSON, an
        // untagged array, nothing at all) are not an envelope (spec §4.1).
        if bytes.first().is_none_or(|&b| b >> 5 != cbor::major::TAG) {
            return Err(Malformed::NotAnEnvelope.into());
        }
        let scan_limits = ScanLimits {
            max_depth: limits.max_depth,
            max_items: limits.max_items,
        };
        let scanned = cbor::scan(bytes, scan_limits)?;
        // A signed envelope (COSE_Sign1) or a MAC one (COSE_Mac0, spec/mac.md §3): the root
        // tag decides which algorithms the header may name.
        let family = match scanned.top_tag {
            Some(COSE_SIGN1_TAG) => Family::Signed,
            Some(COSE_MAC0_TAG) => Family::Mac,
            _ => return Err(Malformed::WrongTag.into()),
        };
        let Ok(Value::Tag(_, sign1)) = cbor::decode_scanned(bytes) else {
            // The scan accepted it, so this cannot happen; fail closed anyway.
            return Err(Malformed::InvalidCbor { offset: 0 }.into());
        };
        let [protected, unprotected, payload, stamp] = sign1_parts(*sign1, family)?;
        match unprotected {
            Value::Map(m) if m.is_empty() => {}
            Value::Map(_) => {
                return Err(Malformed::InvalidHeader("unprotected header must be empty").into());
            }
            _ => return Err(structure("unprotected header must be a map")),
        }
        let payload = match payload {
            Value::Bytes(p) => p,
            Value::Null => return Err(structure("detached payloads are not allowed")),
            _ => return Err(structure("payload must be a byte string")),
        };
        let stamp = match (family, stamp) {
            (Family::Signed, Value::Bytes(s)) => Stamp::Signature(
                Signature::from_slice(&s).ok_or_else(|| structure("signature must be 64 bytes"))?,
            ),
            (Family::Signed, _) => return Err(structure("signature must be a byte string")),
            // Its length is the algorithm's, or it does not verify (spec/mac.md §4).
            (Family::Mac, Value::Bytes(tag)) => Stamp::Mac(tag),
            (Family::Mac, _) => return Err(structure("MAC tag must be a byte string")),
        };
        let Value::Bytes(protected) = protected else {
            return Err(structure("protected header must be a byte string"));
        };
        let fields = decode_protected(&protected, limits, scan_limits, family)?;
        Ok(UnverifiedEnvelope {
            protected,
            fields,
            payload,
            stamp,
        })
    }

    /// The outer content type: `Some(16)` or `Some(96)` when the payload is an encrypted layer
    /// (COSE_Encrypt0 or COSE_Encrypt), `None` for a plain signed payload.
    pub fn content_type(&self) -> Option<u64> {
        self.fields.content_type
    }

    /// The COSE `alg` value.
    pub fn alg(&self) -> i64 {
        self.fields.alg
    }

    /// The sender's key id.
    pub fn kid(&self) -> &[u8] {
        &self.fields.kid
    }

    /// The sequence number.
    pub fn seq(&self) -> u64 {
        self.fields.seq
    }

    /// The timestamp (`iat`), seconds since the Unix epoch.
    pub fn timestamp(&self) -> u64 {
        self.fields.iat
    }

    /// What the sender signed the message to be (spec §3.7), **unverified** until the
    /// signature is.
    pub fn kind(&self) -> crate::MessageKind {
        self.fields.kind
    }

    /// The payload, **unverified**.
    pub fn unverified_payload(&self) -> &[u8] {
        &self.payload
    }

    /// The sender's certificate chain (`x5chain`, DER, leaf first), **unvalidated**.
    pub fn x5chain(&self) -> Option<&[Vec<u8>]> {
        self.fields.x5chain.as_deref()
    }

    /// The sender's certificate thumbprint (`x5t`), if given.
    pub fn x5t(&self) -> Option<&CertHash> {
        self.fields.x5t.as_ref()
    }

    /// The encoded protected header, as received.
    pub fn protected_bytes(&self) -> &[u8] {
        &self.protected
    }

    /// The signature of a signed envelope; `None` for a MAC envelope.
    pub fn signature(&self) -> Option<&Signature> {
        match &self.stamp {
            Stamp::Signature(signature) => Some(signature),
            Stamp::Mac(_) => None,
        }
    }

    /// The tag of a MAC envelope (COSE_Mac0, spec/mac.md); `None` for a signed envelope.
    pub fn mac_tag(&self) -> Option<&[u8]> {
        match &self.stamp {
            Stamp::Signature(_) => None,
            Stamp::Mac(tag) => Some(tag),
        }
    }

    /// The stamp's bytes, as on the wire: the signature or the MAC tag.
    pub fn stamp_bytes(&self) -> &[u8] {
        match &self.stamp {
            Stamp::Signature(signature) => signature.as_ref(),
            Stamp::Mac(tag) => tag,
        }
    }

    /// Whether the envelope is a MAC envelope (COSE_Mac0) rather than a signed one.
    pub fn is_mac(&self) -> bool {
        matches!(self.stamp, Stamp::Mac(_))
    }

    pub(crate) fn into_payload(self) -> Vec<u8> {
        self.payload
    }
}

fn structure(what: &'static str) -> Rejection {
    Malformed::InvalidStructure(what).into()
}

/// The four parts of a COSE_Sign1 or COSE_Mac0: both are `[protected, unprotected, payload,
/// signature or tag]`.
fn sign1_parts(sign1: Value, family: Family) -> Result<[Value; 4], Rejection> {
    let (array, count) = match family {
        Family::Signed => (
            "COSE_Sign1 must be an array",
            "COSE_Sign1 must have 4 elements",
        ),
        Family::Mac => (
            "COSE_Mac0 must be an array",
            "COSE_Mac0 must have 4 elements",
        ),
    };
    match sign1 {
        Value::Array(items) => items.try_into().map_err(|_| structure(count)),
        _ => Err(structure(array)),
    }
}

fn decode_protected(
    protected: &[u8],
    limits: &Limits,
    scan_limits: ScanLimits,
    family: Family,
) -> Result<Fields, Rejection> {
    // Certificates have their own budget; the header without them is held to
    // `max_protected_bytes` once parsed (header::parse).
    let cap = limits.max_protected_bytes_with_chain();
    if protected.len() > cap {
        return Err(Rejection::TooLarge {
            what: "protected header",
            limit: cap,
            actual: protected.len(),
        });
    }
    if protected.is_empty() {
        return Err(Malformed::InvalidHeader("protected header is empty").into());
    }
    // No tag at all, not even at the root: flagged at its own head (spec §4.1).
    cbor::scan_untagged(protected, scan_limits)?;
    match cbor::decode_scanned(protected) {
        Ok(Value::Map(map)) => header::parse(&map, protected.len(), limits, family),
        _ => Err(Malformed::InvalidHeader("protected header must be a map").into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_aad_is_the_profile_and_topic_array() {
        // 82 69 "payseal/1" 63 "a/b"
        let mut expected = alloc::vec![0x82, 0x69];
        expected.extend_from_slice(b"payseal/1");
        expected.push(0x63);
        expected.extend_from_slice(b"a/b");
        assert_eq!(external_aad("a/b"), expected);
    }

    #[test]
    fn sig_structure_matches_coset() {
        let header = coset::HeaderBuilder::new()
            .key_id(alloc::vec![1, 2])
            .build();
        let protected = coset::ProtectedHeader {
            original_data: None,
            header,
        };
        let protected_bytes = {
            let Ok(Value::Bytes(b)) = protected.clone().cbor_bstr() else {
                panic!("encodes")
            };
            b
        };
        let ours = sig_structure(&protected_bytes, b"aad", b"payload");
        let theirs = coset::sig_structure_data(
            coset::SignatureContext::CoseSign1,
            protected,
            None,
            b"aad",
            b"payload",
        );
        assert_eq!(ours, theirs);
    }
}
