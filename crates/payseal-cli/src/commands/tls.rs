//! `--cafile`: TLS to the broker, verified against a CA file (feature `tls`).
//!
//! TLS protects the hop to the broker; payseal protects the payload from the broker. Both
//! are worth having, and neither replaces the other.

use std::path::Path;

use crate::Failure;

#[cfg(not(feature = "tls"))]
pub(crate) fn check_available() -> Result<(), Failure> {
    Err(Failure::Usage(
        "--cafile needs TLS, and this payseal was built without it (cargo feature `tls`)".into(),
    ))
}

#[cfg(not(feature = "tls"))]
pub(crate) fn transport(_ca: &Path) -> Result<rumqttc::Transport, Failure> {
    check_available().map(|()| rumqttc::Transport::Tcp)
}

#[cfg(feature = "tls")]
pub(crate) fn check_available() -> Result<(), Failure> {
    Ok(())
}

/// A TLS transport that trusts exactly the certificates in `ca` (ring as the crypto provider).
#[cfg(feature = "tls")]
pub(crate) fn transport(ca: &Path) -> Result<rumqttc::Transport, Failure> {
    use std::sync::Arc;

    let pem = std::fs::read(ca).map_err(|e| Failure::io("read", ca, &e))?;
    let mut roots = rustls::RootCertStore::empty();
    let mut count = 0;
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        let cert = cert.map_err(|e| Failure::BadInput(format!("'{}': {e}", ca.display())))?;
        roots
            .add(cert)
            .map_err(|e| Failure::BadInput(format!("'{}': {e}", ca.display())))?;
        count += 1;
    }
    if count == 0 {
        return Err(Failure::BadInput(format!(
            "'{}' holds no PEM certificate",
            ca.display()
        )));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Failure::BadInput(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(rumqttc::Transport::tls_with_config(
        rumqttc::TlsConfiguration::Rustls(Arc::new(config)),
    ))
}
