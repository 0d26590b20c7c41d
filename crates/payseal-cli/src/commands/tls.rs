//! `--cafile`: TLS to the broker, verified against a CA file, and with `--tls-cert` and
//! `--tls-key` a client certificate for brokers that require one (mutual TLS; feature `tls`).
//!
//! TLS protects the hop to the broker; payseal protects the payload from the broker. Both
//! are worth having, and neither replaces the other.

use std::path::Path;

use crate::Failure;
use crate::cli::Broker;

#[cfg(not(feature = "tls"))]
pub(crate) fn check_available() -> Result<(), Failure> {
    Err(Failure::Usage(
        "--cafile needs TLS, and this payseal was built without it (cargo feature `tls`)".into(),
    ))
}

#[cfg(not(feature = "tls"))]
pub(crate) fn transport(_ca: &Path, _broker: &Broker) -> Result<rumqttc::Transport, Failure> {
    check_available().map(|()| rumqttc::Transport::Tcp)
}

#[cfg(feature = "tls")]
pub(crate) fn check_available() -> Result<(), Failure> {
    Ok(())
}

/// A TLS transport that trusts exactly the certificates in `ca` (ring as the crypto
/// provider), presenting the client certificate of `--tls-cert`/`--tls-key` if given.
#[cfg(feature = "tls")]
pub(crate) fn transport(ca: &Path, broker: &Broker) -> Result<rumqttc::Transport, Failure> {
    use std::sync::Arc;

    let mut roots = rustls::RootCertStore::empty();
    for cert in certificates(ca)? {
        roots
            .add(cert)
            .map_err(|e| Failure::BadInput(format!("'{}': {e}", ca.display())))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Failure::BadInput(format!("TLS: {e}")))?
        .with_root_certificates(roots);
    let config = match (&broker.tls_cert, &broker.tls_key) {
        (Some(cert), Some(key)) => builder
            .with_client_auth_cert(certificates(cert)?, private_key(key)?)
            .map_err(|e| {
                Failure::BadInput(format!(
                    "'{}' and '{}' do not make a client certificate: {e}",
                    cert.display(),
                    key.display()
                ))
            })?,
        // clap requires both or neither.
        _ => builder.with_no_client_auth(),
    };
    Ok(rumqttc::Transport::tls_with_config(
        rumqttc::TlsConfiguration::Rustls(Arc::new(config)),
    ))
}

/// Every PEM certificate in `file`, in order (a chain: the leaf first); at least one.
#[cfg(feature = "tls")]
fn certificates(file: &Path) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, Failure> {
    let pem = std::fs::read(file).map_err(|e| Failure::io("read", file, &e))?;
    let certs = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::BadInput(format!("'{}': {e}", file.display())))?;
    if certs.is_empty() {
        return Err(Failure::BadInput(format!(
            "'{}' holds no PEM certificate",
            file.display()
        )));
    }
    Ok(certs)
}

/// The client certificate's private key (PKCS#8, SEC1 or PKCS#1 PEM). The file text is
/// wiped when dropped; rustls wipes the key it keeps.
#[cfg(feature = "tls")]
fn private_key(file: &Path) -> Result<rustls::pki_types::PrivateKeyDer<'static>, Failure> {
    let pem =
        zeroize::Zeroizing::new(std::fs::read(file).map_err(|e| Failure::io("read", file, &e))?);
    rustls_pemfile::private_key(&mut pem.as_slice())
        .map_err(|e| Failure::BadInput(format!("'{}': {e}", file.display())))?
        .ok_or_else(|| {
            Failure::BadInput(format!(
                "'{}' holds no PEM private key (PKCS#8, SEC1 or PKCS#1)",
                file.display()
            ))
        })
}
