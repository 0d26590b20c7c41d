//! `payseal keygen` and `payseal key show`.

use std::path::Path;

use payseal::{Algorithm, KemKind, MacAlgorithm, MacSecret, RecipientKey, SigningKey};

use crate::Failure;
use crate::cli::{KeyAlg, KeygenArgs};
use crate::keyfile::{self, AnyKey};
use crate::macfile::{self, MacFile};

pub(crate) fn keygen(args: &KeygenArgs) -> Result<(), Failure> {
    if let Some(uri) = &args.pkcs11 {
        return crate::pkcs11::keygen(args, uri);
    }
    if args.recipient {
        return Err(Failure::Usage(
            "--recipient is for --pkcs11 (a P-256 decryption key in a token); a file \
             encryption key is --alg x25519"
                .into(),
        ));
    }
    let mac = match args.alg {
        KeyAlg::Hmac256_64 => Some(Some(MacAlgorithm::Hmac256_64)),
        KeyAlg::Hmac256_256 => Some(Some(MacAlgorithm::Hmac256_256)),
        KeyAlg::Hmac => Some(None),
        _ => None,
    };
    match mac {
        Some(alg) => mac_keygen(args, alg),
        None if args.secret.is_some() => Err(Failure::Usage(
            "--secret and --kid derive MAC sender keys: use them with --alg hmac".into(),
        )),
        None => key_pair(args),
    }
}

/// A MAC secret (`alg` or HMAC 256/256), or with `--secret` a sender key derived from one
/// (with the secret's algorithm, which `alg` must match). Never printed; the kid of a sender
/// key is.
fn mac_keygen(args: &KeygenArgs, alg: Option<MacAlgorithm>) -> Result<(), Failure> {
    let bad = |e: payseal::KeyError| Failure::BadInput(format!("key generation failed: {e}"));
    if args.out.exists() {
        return Err(Failure::Io(format!(
            "'{}' exists; refusing to overwrite a key",
            args.out.display()
        )));
    }
    let (Some(secret_path), Some(kid)) = (&args.secret, &args.kid) else {
        let alg = alg.unwrap_or(MacAlgorithm::Hmac256_256);
        let secret = MacSecret::generate().map_err(bad)?;
        keyfile::write_private(&args.out, &macfile::secret_text(&secret, alg))?;
        eprintln!(
            "wrote {} (MAC secret, {alg}, private, mode 0600): give it to receivers only; \
             each sender gets a key derived from it (keygen --secret --kid)",
            args.out.display()
        );
        return Ok(());
    };
    let MacFile::Secret(secret, secret_alg) = macfile::read(secret_path)? else {
        return Err(Failure::BadInput(format!(
            "'{}' is a MAC sender key; --secret needs a MAC secret",
            secret_path.display()
        )));
    };
    if alg.is_some_and(|alg| alg != secret_alg) {
        return Err(Failure::Usage(format!(
            "'{}' is a {secret_alg} secret: receivers derive {secret_alg} keys from it (give --alg hmac)",
            secret_path.display()
        )));
    }
    let kid = macfile::kid_from_text(kid).map_err(Failure::Usage)?;
    let key = secret.sender_key(kid, secret_alg);
    keyfile::write_private(&args.out, &macfile::sender_key_text(&key))?;
    eprintln!(
        "wrote {} (MAC sender key, {secret_alg}, private, mode 0600)",
        args.out.display()
    );
    println!("{}", key.kid());
    Ok(())
}

fn key_pair(args: &KeygenArgs) -> Result<(), Failure> {
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
