//! Certificate senders from the command line: `seal`/`pub --cert` attach a device chain (or
//! its thumbprint), and `open`/`sub` validate certificate senders against the trust file's
//! `[[ca]]` entries with `payseal-x509`.

use std::collections::HashSet;
use std::path::Path;

use payseal::{CertHash, Rejection, ResolvedMacSender, ResolvedSender, SenderClaim};
use payseal::{SenderResolver, TrustStore, VerifyingKey};
use payseal_x509::X509Resolver;
use x509_cert::der::Encode;

use crate::Failure;
use crate::config::{CaAnchor, read_certificates};

/// Largest certificate chain file `--cert` reads.
const MAX_CHAIN_BYTES: u64 = 256 * 1024;

/// The CLI's sender resolver: the trust file's static keys (`[[sender]]`, `[[mac_sender]]`),
/// and its `[[ca]]` entries for envelopes that carry a certificate chain or thumbprint.
#[derive(Debug)]
pub(crate) struct CliResolver {
    keys: TrustStore,
    cas: Vec<CaResolver>,
}

#[derive(Debug)]
struct CaResolver {
    resolver: X509Resolver,
    /// Leaf thumbprints of the entry's registered chains (`x5t` names one of them).
    registered: HashSet<[u8; 32]>,
}

impl CliResolver {
    /// Static keys, and a resolver per `[[ca]]` entry. `file` names the trust file in errors.
    pub(crate) fn new(keys: TrustStore, cas: &[CaAnchor], file: &Path) -> Result<Self, Failure> {
        let cas = cas
            .iter()
            .map(|ca| ca_resolver(ca, file))
            .collect::<Result<_, _>>()?;
        Ok(CliResolver { keys, cas })
    }

    /// Which `[[ca]]` entry resolves the claim: the only candidate, else the first that
    /// accepts it. When none does, the first refusal that is not `unknown_ca` says why (a
    /// revoked certificate is `certificate_revoked` even when another CA does not know it).
    fn pick(&mut self, claim: &SenderClaim<'_>) -> Result<usize, Rejection> {
        let candidates: Vec<usize> = match (claim.x5chain, claim.x5t) {
            (None, Some(x5t)) => {
                let thumbprint: [u8; 32] = (x5t.alg() == CertHash::SHA256)
                    .then(|| x5t.value().try_into().ok())
                    .flatten()
                    .ok_or(Rejection::CertificateInvalid)?;
                (0..self.cas.len())
                    .filter(|&i| {
                        self.cas
                            .get(i)
                            .is_some_and(|c| c.registered.contains(&thumbprint))
                    })
                    .collect()
            }
            _ => (0..self.cas.len()).collect(),
        };
        match candidates.as_slice() {
            [] => Err(Rejection::CertificateInvalid),
            [only] => Ok(*only),
            _ => {
                let mut refusal = None;
                for i in candidates {
                    let Some(ca) = self.cas.get_mut(i) else {
                        continue;
                    };
                    match ca.resolver.resolve(claim) {
                        Ok(_) => return Ok(i),
                        Err(Rejection::UnknownCa) => {}
                        Err(e) => {
                            refusal.get_or_insert(e);
                        }
                    }
                }
                Err(refusal.unwrap_or(Rejection::UnknownCa))
            }
        }
    }
}

impl SenderResolver for CliResolver {
    fn resolve(&mut self, claim: &SenderClaim<'_>) -> Result<ResolvedSender<'_>, Rejection> {
        // Without `[[ca]]` entries a chain is ignored, as the static trust store always did.
        if self.cas.is_empty() || (claim.x5chain.is_none() && claim.x5t.is_none()) {
            return self.keys.resolve(claim);
        }
        let index = self.pick(claim)?;
        // With several entries `pick` resolved it once already: this is a cache hit.
        self.cas
            .get_mut(index)
            .ok_or(Rejection::CertificateInvalid)?
            .resolver
            .resolve(claim)
    }

    fn resolve_mac(
        &mut self,
        claim: &SenderClaim<'_>,
    ) -> Result<Option<ResolvedMacSender<'_>>, Rejection> {
        self.keys.resolve_mac(claim)
    }
}

fn ca_resolver(ca: &CaAnchor, file: &Path) -> Result<CaResolver, Failure> {
    let bad =
        |e: payseal_x509::Error| Failure::BadInput(format!("{}: {}: {e}", file.display(), ca.name));
    let mut resolver = X509Resolver::new(ca.roots.iter().map(|c| c.der.as_slice()))
        .map_err(bad)?
        .require_eku(ca.eku.oid());
    for (cn, topics) in &ca.subjects {
        resolver = resolver.allow_subject(cn, topics).map_err(bad)?;
    }
    if let Some(deny) = &ca.deny_list {
        let (line, col) = deny.at;
        let message = |e: &payseal_x509::Error| {
            format!(
                "{}:{line}:{col}: {}: deny_list '{}': {e}",
                file.display(),
                ca.name,
                deny.value.display()
            )
        };
        resolver = resolver.with_deny_file(&deny.value).map_err(|e| match e {
            payseal_x509::Error::Io(_) => Failure::Io(message(&e)),
            _ => Failure::BadInput(message(&e)),
        })?;
    }
    for crl in &ca.crls {
        resolver.add_crl(crl).map_err(bad)?;
    }
    let mut registered = HashSet::new();
    for chain in &ca.chains {
        if let Some(leaf) = chain.first() {
            registered.insert(payseal_x509::sha256(&leaf.der));
        }
        resolver.register_chain(chain.iter().map(|c| c.der.clone()).collect());
    }
    Ok(CaResolver {
        resolver,
        registered,
    })
}

/// What `--cert` attaches to every envelope.
pub(crate) enum Attached {
    /// The whole chain (`x5chain`), leaf first.
    Chain(Vec<Vec<u8>>),
    /// The leaf's SHA-256 thumbprint only (`x5t`): the receiver has the chain registered.
    Thumbprint(CertHash),
}

/// Reads a device chain (PEM, leaf first) for `key`: the leaf must certify `key`.
pub(crate) fn device_chain(
    path: &Path,
    key: &VerifyingKey,
    x5t: bool,
) -> Result<Attached, Failure> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_CHAIN_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| Failure::io("read", path, &e))?;
    if bytes.len() as u64 > MAX_CHAIN_BYTES {
        return Err(Failure::BadInput(format!(
            "'{}' is too large for a certificate chain",
            path.display()
        )));
    }
    let certs = read_certificates(&bytes)
        .map_err(|e| Failure::BadInput(format!("'{}': {e}", path.display())))?;
    let (leaf, _) = certs
        .first()
        .ok_or_else(|| Failure::BadInput(format!("'{}': no certificate", path.display())))?;
    let certified = leaf
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| Failure::BadInput(format!("'{}': {e}", path.display())))?;
    let ours = key
        .to_public_key_der()
        .map_err(|e| Failure::BadInput(format!("signing key: {e}")))?;
    if certified != ours {
        return Err(Failure::BadInput(format!(
            "'{}' certifies another key than --key (kid {}): its first certificate must be the device's",
            path.display(),
            key.kid()
        )));
    }
    let ders: Vec<Vec<u8>> = certs.into_iter().map(|(_, der)| der).collect();
    if x5t {
        let leaf = ders.first().map(Vec::as_slice).unwrap_or_default();
        Ok(Attached::Thumbprint(CertHash::sha256(
            payseal_x509::sha256(leaf),
        )))
    } else {
        Ok(Attached::Chain(ders))
    }
}
