//! `payseal keygen` and `payseal key show`.

use std::path::Path;

use payseal::{Algorithm, KemKind, RecipientKey, SigningKey};

use crate::Failure;
use crate::cli::{KeyAlg, KeygenArgs};
use crate::keyfile::{self, AnyKey};

pub(crate) fn keygen(args: &KeygenArgs) -> Result<(), Failure> {
    let public_path = keyfile::public_path_for(&args.out);
    for path in [&args.out, &public_path] {
        if path.exists() {
            return Err(Failure::Io(format!(
                "'{}' exists; refusing to overwrite a key",
                path.display()
            )));
        }
    }
    let bad = |e: payseal::KeyError| Failure::BadInput(format!("key generation failed: {e}"));
    let (private_pem, public_pem, kid, what) = match args.alg {
        KeyAlg::X25519 => {
            let key = RecipientKey::generate(KemKind::X25519).map_err(bad)?;
            let public = key.public_key().to_public_key_pem().map_err(bad)?;
            (
                key.to_pkcs8_pem().map_err(bad)?,
                public,
                key.kid(),
                "X25519 encryption key",
            )
        }
        signing => {
            let alg = match signing {
                KeyAlg::P256 => Algorithm::EcdsaP256,
                KeyAlg::K256 => Algorithm::EcdsaSecp256k1,
                _ => Algorithm::Ed25519,
            };
            let key = SigningKey::generate(alg).map_err(bad)?;
            let public = key.verifying_key().to_public_key_pem().map_err(bad)?;
            (
                key.to_pkcs8_pem().map_err(bad)?,
                public,
                key.kid(),
                keyfile::alg_label(alg),
            )
        }
    };
    keyfile::write_private(&args.out, &private_pem)?;
    keyfile::write_public(&public_path, &public_pem)?;
    eprintln!(
        "wrote {} ({what}, private, mode 0600) and {}",
        args.out.display(),
        public_path.display()
    );
    println!("{kid}");
    Ok(())
}

pub(crate) fn show(path: &Path, public_pem: bool) -> Result<(), Failure> {
    let key = keyfile::read_any(path)?;
    let bad = |e: payseal::KeyError| Failure::BadInput(format!("'{}': {e}", path.display()));
    let (public, cose_key) = match &key {
        AnyKey::Signing(k) => {
            let v = k.verifying_key();
            (
                v.to_public_key_pem().map_err(bad)?,
                v.to_cose_key().map_err(bad)?,
            )
        }
        AnyKey::Verifying(v) => (
            v.to_public_key_pem().map_err(bad)?,
            v.to_cose_key().map_err(bad)?,
        ),
        AnyKey::Recipient(k) => {
            let p = k.public_key();
            (p.to_public_key_pem().map_err(bad)?, p.to_cose_key())
        }
        AnyKey::RecipientPublic(p) => (p.to_public_key_pem().map_err(bad)?, p.to_cose_key()),
    };
    if public_pem {
        print!("{public}");
        return Ok(());
    }
    let (alg, use_) = match &key {
        AnyKey::Signing(k) => (k.algorithm().name(), "sign (sender)"),
        AnyKey::Verifying(k) => (k.algorithm().name(), "verify (a trusted sender)"),
        AnyKey::Recipient(k) => (kem_name(k.kem()), "decrypt (recipient)"),
        AnyKey::RecipientPublic(k) => (kem_name(k.kem()), "encrypt to (a recipient)"),
    };
    println!("file       {}", path.display());
    println!("kind       {}", key.describe());
    println!("algorithm  {alg}");
    println!("use        {use_}");
    println!("kid        {}", key.kid());
    println!("cose_key   {}", hex::encode(&cose_key));
    let value = ciborium::de::from_reader::<ciborium::value::Value, _>(cose_key.as_slice())
        .map_err(|e| Failure::BadInput(format!("COSE_Key does not decode: {e}")))?;
    println!("           {}", crate::diag::diag(&value));
    Ok(())
}

fn kem_name(kem: KemKind) -> &'static str {
    match kem {
        KemKind::P256 => "p256-hpke",
        _ => "x25519",
    }
}
