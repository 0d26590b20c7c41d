//! `payseal ca`: a development certificate authority, for examples and tests. Not for
//! production: the CA key is a plain file, nothing is audited, and revocation is left to the
//! receivers' deny lists.

use std::path::{Path, PathBuf};

use payseal::{Algorithm, TopicFilter};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber, SubjectPublicKeyInfo,
};
use time::{Duration, OffsetDateTime};

use crate::Failure;
use crate::keyfile::{self, AnyKey};

/// Where the CA's files live: `PREFIX.key` and `PREFIX.pem`.
fn ca_files(prefix: &Path) -> (PathBuf, PathBuf) {
    let with = |ext: &str| {
        let mut name = prefix.as_os_str().to_owned();
        name.push(ext);
        PathBuf::from(name)
    };
    (with(".key"), with(".pem"))
}

fn bad(what: &str) -> impl Fn(rcgen::Error) -> Failure + '_ {
    move |e| Failure::BadInput(format!("{what}: {e}"))
}

/// A random positive 128-bit serial number from the operating system's RNG. rcgen would
/// otherwise derive the serial from the subject key, so every certificate issued for one key
/// would share a serial (and a deny-list `serial:` entry for one would revoke all of them).
/// RFC 5280 §4.1.2.2: positive, at most 20 octets (here 16, 17 with DER's sign byte).
fn random_serial() -> Result<SerialNumber, Failure> {
    let mut bytes = [0u8; 16];
    // Zero is not a positive serial (a chance of 2^-128, but cheap to rule out).
    while bytes.iter().all(|b| *b == 0) {
        getrandom::fill(&mut bytes)
            .map_err(|e| Failure::Io(format!("the OS random number generator failed: {e}")))?;
    }
    Ok(SerialNumber::from_slice(&bytes))
}

/// Validity from now (less an hour, for clocks a little behind) for `days`.
fn validity(params: &mut CertificateParams, days: u32) {
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(i64::from(days));
}

pub(crate) fn init(prefix: &Path, name: &str, days: u32) -> Result<(), Failure> {
    let (key_path, cert_path) = ca_files(prefix);
    for path in [&key_path, &cert_path] {
        if path.exists() {
            return Err(Failure::Io(format!(
                "'{}' exists; refusing to overwrite",
                path.display()
            )));
        }
    }
    let key = KeyPair::generate_for(&rcgen::PKCS_ED25519).map_err(bad("CA key"))?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(bad("CA"))?;
    params.distinguished_name.push(DnType::CommonName, name);
    // Issues device certificates only: no intermediate CAs below it.
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.serial_number = Some(random_serial()?);
    validity(&mut params, days);
    let key_pem = zeroize::Zeroizing::new(key.serialize_pem());
    let ca = CertifiedIssuer::self_signed(params, key).map_err(bad("CA certificate"))?;
    keyfile::write_private(&key_path, &key_pem)?;
    keyfile::write_public(&cert_path, &ca.pem())?;
    eprintln!(
        "wrote {} (CA key, mode 0600) and {}: a DEVELOPMENT CA, not for production",
        key_path.display(),
        cert_path.display()
    );
    println!("sha256:{}", hex::encode(payseal_x509::sha256(ca.der())));
    Ok(())
}

/// What `payseal ca issue` was asked for.
pub(crate) struct Request<'a> {
    pub(crate) ca: &'a Path,
    pub(crate) key: &'a Path,
    pub(crate) cn: &'a str,
    pub(crate) topics: &'a [String],
    pub(crate) days: u32,
    pub(crate) out: &'a Path,
}

pub(crate) fn issue(request: &Request<'_>) -> Result<(), Failure> {
    if request.out.exists() {
        return Err(Failure::Io(format!(
            "'{}' exists; refusing to overwrite",
            request.out.display()
        )));
    }
    for topic in request.topics {
        TopicFilter::new(topic).map_err(|e| Failure::Usage(e.to_string()))?;
    }
    let device = match keyfile::read_any(request.key)? {
        AnyKey::Signing(key) => key.verifying_key(),
        AnyKey::Verifying(key) => key,
        other => {
            return Err(Failure::BadInput(format!(
                "'{}' is a {}; a device certificate needs a signing key",
                request.key.display(),
                other.describe()
            )));
        }
    };
    if device.algorithm() == Algorithm::EcdsaSecp256k1 {
        return Err(Failure::BadInput(
            "secp256k1 keys cannot be certified: webpki and rcgen do not support the curve".into(),
        ));
    }
    let spki_der = device
        .to_public_key_der()
        .map_err(|e| Failure::BadInput(format!("device key: {e}")))?;
    let subject = SubjectPublicKeyInfo::from_der(&spki_der).map_err(bad("device key"))?;

    let (key_path, cert_path) = ca_files(request.ca);
    let read =
        |path: &Path| std::fs::read_to_string(path).map_err(|e| Failure::io("read", path, &e));
    let ca_key_pem = zeroize::Zeroizing::new(read(&key_path)?);
    let ca_key = KeyPair::from_pem(&ca_key_pem).map_err(bad("CA key"))?;
    let issuer =
        Issuer::from_ca_cert_pem(&read(&cert_path)?, ca_key).map_err(bad("CA certificate"))?;

    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(bad("certificate"))?;
    params
        .distinguished_name
        .push(DnType::CommonName, request.cn);
    for topic in request.topics {
        let uri = format!("mqtt-topic:{topic}")
            .try_into()
            .map_err(|_| Failure::Usage(format!("{topic:?} cannot be a URI")))?;
        params.subject_alt_names.push(SanType::URI(uri));
    }
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.serial_number = Some(random_serial()?);
    validity(&mut params, request.days);
    let cert = params
        .signed_by(&subject, &issuer)
        .map_err(bad("certificate"))?;
    keyfile::write_public(request.out, &cert.pem())?;
    eprintln!(
        "wrote {}: {} may publish on {} (kid {})",
        request.out.display(),
        request.cn,
        request.topics.join(", "),
        device.kid()
    );
    println!("sha256:{}", hex::encode(payseal_x509::sha256(cert.der())));
    Ok(())
}

/// Appends a certificate's SHA-256 thumbprint to a deny list (payseal-x509's format), with a
/// comment line naming it, so that receivers refuse it (`certificate_revoked`).
pub(crate) fn revoke(cert: &Path, deny_list: &Path) -> Result<(), Failure> {
    use std::io::Write;
    let bytes = std::fs::read(cert).map_err(|e| Failure::io("read", cert, &e))?;
    let certs = crate::config::read_certificates(&bytes)
        .map_err(|e| Failure::BadInput(format!("'{}': {e}", cert.display())))?;
    let Some((leaf, der)) = certs.first() else {
        return Err(Failure::BadInput(format!(
            "'{}': no certificate",
            cert.display()
        )));
    };
    let thumbprint = format!("sha256:{}", hex::encode(payseal_x509::sha256(der)));
    let subject = leaf.tbs_certificate().subject().to_string();
    // A subject is the CA's text, but a newline in it must not end the comment line.
    let subject: String = subject.chars().filter(|c| !c.is_control()).collect();
    let listed = std::fs::read_to_string(deny_list)
        .is_ok_and(|existing| existing.lines().any(|line| line.trim() == thumbprint));
    if listed {
        eprintln!("{subject} is already on {}", deny_list.display());
        println!("{thumbprint}");
        return Ok(());
    }
    let serial = hex::encode(leaf.tbs_certificate().serial_number().as_bytes());
    let entry = format!(
        "# {subject}, serial {serial}, revoked {}\n{thumbprint}\n",
        crate::time::utc(
            OffsetDateTime::now_utc()
                .unix_timestamp()
                .try_into()
                .unwrap_or(0)
        )
    );
    // One write of the whole entry, so that a receiver reloading the file sees all of it or
    // none of it (a half line would be refused and the old list kept).
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(deny_list)
        .and_then(|mut file| {
            file.write_all(entry.as_bytes())
                .and_then(|()| file.sync_all())
        })
        .map_err(|e| Failure::io("append to", deny_list, &e))?;
    eprintln!("revoked {subject}: added to {}", deny_list.display());
    println!("{thumbprint}");
    Ok(())
}
