//! Hand-built CBOR, for envelopes a correct sealer would never produce.
//!
//! Structural vectors (duplicate labels, indefinite lengths, ...) are signed over their altered
//! protected header, so that only the strict decoding rules of spec §4 can catch them.

use payseal::SigningKey;

/// One CBOR data item as raw bytes.
#[derive(Clone)]
pub(crate) struct Cbor(pub(crate) Vec<u8>);

fn head(major: u8, n: u64) -> Vec<u8> {
    let m = major << 5;
    match n {
        0..=23 => vec![m | n as u8],
        24..=0xff => vec![m | 24, n as u8],
        0x100..=0xffff => [vec![m | 25], (n as u16).to_be_bytes().to_vec()].concat(),
        0x1_0000..=0xffff_ffff => [vec![m | 26], (n as u32).to_be_bytes().to_vec()].concat(),
        _ => [vec![m | 27], n.to_be_bytes().to_vec()].concat(),
    }
}

pub(crate) fn uint(n: u64) -> Cbor {
    Cbor(head(0, n))
}

/// Any CBOR integer, including those outside i64 (-2^64 to 2^64-1).
pub(crate) fn big_int(n: i128) -> Cbor {
    if n >= 0 {
        uint(u64::try_from(n).expect("at most 2^64-1"))
    } else {
        Cbor(head(1, u64::try_from(-1 - n).expect("at least -2^64")))
    }
}

pub(crate) fn int(n: i64) -> Cbor {
    if n >= 0 {
        uint(n as u64)
    } else {
        Cbor(head(1, (-1 - n) as u64))
    }
}

pub(crate) fn bstr(b: &[u8]) -> Cbor {
    Cbor([head(2, b.len() as u64), b.to_vec()].concat())
}

pub(crate) fn tstr(s: &str) -> Cbor {
    Cbor([head(3, s.len() as u64), s.as_bytes().to_vec()].concat())
}

pub(crate) fn array(items: &[Cbor]) -> Cbor {
    let mut out = head(4, items.len() as u64);
    items.iter().for_each(|i| out.extend_from_slice(&i.0));
    Cbor(out)
}

pub(crate) fn map(entries: &[(Cbor, Cbor)]) -> Cbor {
    let mut out = head(5, entries.len() as u64);
    for (k, v) in entries {
        out.extend_from_slice(&k.0);
        out.extend_from_slice(&v.0);
    }
    Cbor(out)
}

/// A map with an indefinite-length head (`bf ... ff`).
pub(crate) fn indefinite_map(entries: &[(Cbor, Cbor)]) -> Cbor {
    let mut out = vec![0xbf];
    for (k, v) in entries {
        out.extend_from_slice(&k.0);
        out.extend_from_slice(&v.0);
    }
    out.push(0xff);
    Cbor(out)
}

pub(crate) fn raw(bytes: &[u8]) -> Cbor {
    Cbor(bytes.to_vec())
}

/// The standard protected header entries, in the order a sealer writes them.
pub(crate) fn header_entries(alg: i64, kid: &[u8], seq: &[u8], iat: u64) -> Vec<(Cbor, Cbor)> {
    vec![
        (uint(1), int(alg)),
        (uint(4), bstr(kid)),
        (uint(6), bstr(seq)),
        (uint(15), map(&[(uint(6), uint(iat))])),
        (uint(16), tstr(payseal::PROFILE)),
    ]
}

/// The sequence number as a minimal Partial IV.
pub(crate) fn seq_bytes(seq: u64) -> Vec<u8> {
    let bytes = seq.to_be_bytes();
    let skip = ((seq.leading_zeros() / 8) as usize).min(7);
    bytes[skip..].to_vec()
}

/// RFC 9052 Sig_structure over exactly these protected bytes.
pub(crate) fn tbs(protected: &[u8], topic: &str, payload: &[u8]) -> Vec<u8> {
    array(&[
        tstr("Signature1"),
        bstr(protected),
        bstr(&payseal::external_aad(topic)),
        bstr(payload),
    ])
    .0
}

/// Signs `protected` and assembles `18([protected, unprotected, payload, signature])`.
pub(crate) fn envelope(
    key: &SigningKey,
    protected: &[u8],
    unprotected: Cbor,
    topic: &str,
    payload: &[u8],
) -> Vec<u8> {
    let signature = key.sign(&tbs(protected, topic, payload)).to_bytes();
    let body = array(&[
        bstr(protected),
        unprotected,
        bstr(payload),
        bstr(&signature),
    ]);
    [vec![0xd2], body.0].concat()
}

/// The envelope's ECDSA signature (its last 64 bytes) with `s` replaced by `n - s`: the same
/// signature in its other, equally valid form (spec §3.4). Panics if the sealer did not write
/// low `s`, which is what the vectors pin.
pub(crate) fn high_s(alg: payseal::Algorithm) -> impl FnOnce(&mut Vec<u8>) {
    move |envelope| {
        let at = envelope.len() - 64;
        let sig = &envelope[at..];
        let high: [u8; 64] = match alg {
            payseal::Algorithm::EcdsaP256 => {
                let low = p256::ecdsa::Signature::from_slice(sig).expect("r || s");
                assert_eq!(low, low.normalize_s(), "the sealer writes low s");
                p256::ecdsa::Signature::from_scalars(low.r(), -*low.s())
                    .expect("n - s is a valid s")
                    .to_bytes()
                    .into()
            }
            payseal::Algorithm::EcdsaSecp256k1 => {
                let low = k256::ecdsa::Signature::from_slice(sig).expect("r || s");
                assert_eq!(low, low.normalize_s(), "the sealer writes low s");
                k256::ecdsa::Signature::from_scalars(low.r(), -*low.s())
                    .expect("n - s is a valid s")
                    .to_bytes()
                    .into()
            }
            other => panic!("{other:?} has no high-s form"),
        };
        envelope[at..].copy_from_slice(&high);
    }
}
