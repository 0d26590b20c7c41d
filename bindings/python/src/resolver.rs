//! Who a receiver trusts: a list of senders and their topics (`TrustStore`, or a trust
//! file), or an X.509 PKI whose certificates carry the topic rights (payseal-x509).

use payseal::{
    Rejection, ResolvedMacSender, ResolvedSender, SenderClaim, SenderResolver, TrustStore,
};
use payseal_x509::X509Resolver;

pub(crate) enum Resolver {
    Trust(TrustStore),
    X509(Box<X509Resolver>),
}

impl SenderResolver for Resolver {
    fn resolve(&mut self, claim: &SenderClaim<'_>) -> Result<ResolvedSender<'_>, Rejection> {
        match self {
            Resolver::Trust(trust) => trust.resolve(claim),
            Resolver::X509(x509) => x509.resolve(claim),
        }
    }

    // Forwarded, not left to the trait's default (which knows no MAC sender).
    fn resolve_mac(
        &mut self,
        claim: &SenderClaim<'_>,
    ) -> Result<Option<ResolvedMacSender<'_>>, Rejection> {
        match self {
            Resolver::Trust(trust) => trust.resolve_mac(claim),
            Resolver::X509(x509) => x509.resolve_mac(claim),
        }
    }
}
