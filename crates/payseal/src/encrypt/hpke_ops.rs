//! HPKE base-mode seal and open (RFC 9180 §6.1) for the supported suites, via the `hpke` crate.
//! The suite is chosen at run time from the COSE alg, then dispatched once to `hpke`'s generics.

use alloc::vec::Vec;

use hpke::aead::{AeadCtxR, AesGcm128, AesGcm256, ChaCha20Poly1305};
use hpke::kdf::{HkdfSha256, Kdf as _};
use hpke::kem::{DhP256HkdfSha256, SharedSecret, X25519HkdfSha256};
use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::agreement::KeyAgreement;
use super::suite::HpkeSuite;

/// Any HPKE failure: bad key bytes, bad encapsulated key, or a failed AEAD open. Deliberately
/// without detail.
#[derive(Debug)]
pub(crate) struct HpkeFailed;

/// Something to do with one HPKE suite's `hpke` types: the one place where the suite chosen at
/// run time becomes `hpke`'s generics (a generic closure, which Rust does not have).
trait WithSuite {
    type Output;
    fn run<A: hpke::aead::Aead, K: hpke::Kem>(self) -> Self::Output;
}

fn with_suite<W: WithSuite>(suite: HpkeSuite, work: W) -> W::Output {
    match suite {
        HpkeSuite::P256Aes128Gcm => work.run::<AesGcm128, DhP256HkdfSha256>(),
        HpkeSuite::P256Aes256Gcm => work.run::<AesGcm256, DhP256HkdfSha256>(),
        HpkeSuite::X25519Aes128Gcm => work.run::<AesGcm128, X25519HkdfSha256>(),
        HpkeSuite::X25519ChaCha20Poly1305 => work.run::<ChaCha20Poly1305, X25519HkdfSha256>(),
    }
}

/// Seals `plaintext` to `recipient` (its HPKE public key bytes); returns `(enc, ciphertext)`.
pub(crate) fn seal(
    suite: HpkeSuite,
    recipient: &[u8],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    rng: &mut impl CryptoRng,
) -> Result<(Vec<u8>, Vec<u8>), HpkeFailed> {
    struct Seal<'a, R> {
        recipient: &'a [u8],
        info: &'a [u8],
        aad: &'a [u8],
        plaintext: &'a [u8],
        rng: &'a mut R,
    }
    impl<R: CryptoRng> WithSuite for Seal<'_, R> {
        type Output = Result<(Vec<u8>, Vec<u8>), HpkeFailed>;
        fn run<A: hpke::aead::Aead, K: hpke::Kem>(self) -> Self::Output {
            seal_with::<A, K>(
                self.recipient,
                self.info,
                self.aad,
                self.plaintext,
                self.rng,
            )
        }
    }
    with_suite(
        suite,
        Seal {
            recipient,
            info,
            aad,
            plaintext,
            rng,
        },
    )
}

/// Opens `ciphertext` with the recipient's private key bytes and the encapsulated key `enc`.
pub(crate) fn open(
    suite: HpkeSuite,
    secret: &[u8],
    enc: &[u8],
    info: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, HpkeFailed> {
    struct Open<'a> {
        secret: &'a [u8],
        sealed: Sealed<'a>,
    }
    impl WithSuite for Open<'_> {
        type Output = Result<Vec<u8>, HpkeFailed>;
        fn run<A: hpke::aead::Aead, K: hpke::Kem>(self) -> Self::Output {
            open_with::<A, K>(self.secret, &self.sealed)
        }
    }
    let sealed = Sealed {
        enc,
        info,
        aad,
        ciphertext,
    };
    with_suite(suite, Open { secret, sealed })
}

/// What an opener is handed besides its key: the encapsulated key, the context and the AEAD's
/// input.
#[derive(Clone, Copy)]
struct Sealed<'a> {
    enc: &'a [u8],
    info: &'a [u8],
    aad: &'a [u8],
    ciphertext: &'a [u8],
}

fn seal_with<A: hpke::aead::Aead, K: hpke::Kem>(
    recipient: &[u8],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    rng: &mut impl CryptoRng,
) -> Result<(Vec<u8>, Vec<u8>), HpkeFailed> {
    let pk = K::PublicKey::from_bytes(recipient).map_err(|_| HpkeFailed)?;
    let (enc, ciphertext) = hpke::single_shot_seal_with_rng::<A, HkdfSha256, K>(
        &OpModeS::Base,
        &pk,
        info,
        plaintext,
        aad,
        rng,
    )
    .map_err(|_| HpkeFailed)?;
    Ok((enc.to_bytes().to_vec(), ciphertext))
}

fn open_with<A: hpke::aead::Aead, K: hpke::Kem>(
    secret: &[u8],
    sealed: &Sealed<'_>,
) -> Result<Vec<u8>, HpkeFailed> {
    let sk = K::PrivateKey::from_bytes(secret).map_err(|_| HpkeFailed)?;
    let enc = K::EncappedKey::from_bytes(sealed.enc).map_err(|_| HpkeFailed)?;
    let Sealed {
        info,
        aad,
        ciphertext,
        ..
    } = *sealed;
    hpke::single_shot_open::<A, HkdfSha256, K>(&OpModeR::Base, &sk, &enc, info, ciphertext, aad)
        .map_err(|_| HpkeFailed)
}

/// Opens `ciphertext` sealed to a key held by `agent`, which does only `DH(skR, pkE)`.
pub(crate) fn open_agreed(
    suite: HpkeSuite,
    agent: &dyn KeyAgreement,
    enc: &[u8],
    info: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, HpkeFailed> {
    struct OpenAgreed<'a> {
        agent: &'a dyn KeyAgreement,
        sealed: Sealed<'a>,
    }
    impl WithSuite for OpenAgreed<'_> {
        type Output = Result<Vec<u8>, HpkeFailed>;
        fn run<A: hpke::aead::Aead, K: hpke::Kem>(self) -> Self::Output {
            open_agreed_with::<A, K>(self.agent, &self.sealed)
        }
    }
    if agent.public_key().kem() != suite.kem() {
        return Err(HpkeFailed);
    }
    let sealed = Sealed {
        enc,
        info,
        aad,
        ciphertext,
    };
    with_suite(suite, OpenAgreed { agent, sealed })
}

/// DHKEM `Decap` (RFC 9180 §4.1) around an external DH, then hpke's own key schedule and AEAD.
///
/// The `hpke` crate's `Kem::decap` wants the private key itself, so the KEM's glue is done
/// here, with the crate's public building blocks rather than a second HPKE: the DH comes from
/// the device, `ExtractAndExpand(dh, enc || pkRm)` is `hpke`'s `Kdf::extract_and_expand`
/// under the KEM's suite id, and `combine_secrets` is its key schedule. Both are
/// `#[doc(hidden)]` in hpke 0.15; the tests open envelopes sealed by the ordinary sealer through
/// this path, so a change in them fails the build or the tests, not silently.
fn open_agreed_with<A: hpke::aead::Aead, K: hpke::Kem>(
    agent: &dyn KeyAgreement,
    sealed: &Sealed<'_>,
) -> Result<Vec<u8>, HpkeFailed> {
    let Sealed {
        enc,
        info,
        aad,
        ciphertext,
    } = *sealed;
    // The ephemeral key must be a valid key of the suite's curve before the device sees it.
    let parsed = K::EncappedKey::from_bytes(enc).map_err(|_| HpkeFailed)?;
    let recipient = agent.public_key();
    let dh = agent.diffie_hellman(enc).map_err(|_| HpkeFailed)?;
    // RFC 9180 §7.1.4: an all-zero X25519 output means a small-order peer key; P-256 has no
    // such output (the point at infinity has no x-coordinate), so the check is harmless there.
    if dh.len() != 32 || bool::from(dh.as_slice().ct_eq(&[0u8; 32])) {
        return Err(HpkeFailed);
    }
    let mut kem_context = Zeroizing::new(parsed.to_bytes().to_vec());
    kem_context.extend_from_slice(&recipient.to_bytes());
    // RFC 9180 §4.1: suite_id = "KEM" || I2OSP(kem_id, 2).
    let [hi, lo] = K::KEM_ID.to_be_bytes();
    let suite_id = [b'K', b'E', b'M', hi, lo];
    let mut shared = SharedSecret::<K>::default();
    HkdfSha256::extract_and_expand(&dh, &suite_id, &kem_context, &mut shared.0)
        .map_err(|_| HpkeFailed)?;
    let mut ctx: AeadCtxR<A, HkdfSha256, K> =
        HkdfSha256::combine_secrets(&OpModeR::<K>::Base, shared, info).into();
    ctx.open(ciphertext, aad).map_err(|_| HpkeFailed)
}
