//! Signature algorithms and their COSE identifiers (RFC 9053, RFC 9864).

use core::fmt;

/// A signature algorithm a payseal key signs with.
///
/// Each key is bound to exactly one algorithm: an envelope whose `alg` header names a
/// different one is rejected before its signature is looked at (spec §5, step 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// Ed25519 (RFC 8032, PureEdDSA). Sealed as COSE `Ed25519` (-19); `EdDSA` (-8) is accepted
    /// on open.
    Ed25519,
    /// ECDSA over P-256 with SHA-256. Sealed as COSE `ESP256` (-9); `ES256` (-7) is accepted on
    /// open.
    EcdsaP256,
    /// ECDSA over secp256k1 with SHA-256, COSE `ES256K` (-47).
    EcdsaSecp256k1,
}

/// COSE `alg` values (IANA "COSE Algorithms" registry).
pub(crate) mod cose {
    pub(crate) const ED25519: i64 = -19;
    pub(crate) const EDDSA: i64 = -8;
    pub(crate) const ESP256: i64 = -9;
    pub(crate) const ES256: i64 = -7;
    pub(crate) const ES256K: i64 = -47;
}

impl Algorithm {
    /// All algorithms this build supports.
    pub const ALL: [Algorithm; 3] = [
        Algorithm::Ed25519,
        Algorithm::EcdsaP256,
        Algorithm::EcdsaSecp256k1,
    ];

    /// The COSE `alg` value a sealer writes for this algorithm.
    ///
    /// ```
    /// assert_eq!(payseal::Algorithm::Ed25519.cose_id(), -19);
    /// ```
    pub const fn cose_id(self) -> i64 {
        match self {
            Algorithm::Ed25519 => cose::ED25519,
            Algorithm::EcdsaP256 => cose::ESP256,
            Algorithm::EcdsaSecp256k1 => cose::ES256K,
        }
    }

    /// The algorithm a COSE `alg` value denotes, if payseal supports it.
    ///
    /// The polymorphic `EdDSA` (-8) and `ES256` (-7) map to the only curve payseal pairs them
    /// with; the key's own algorithm is still pinned when an envelope is opened.
    ///
    /// ```
    /// use payseal::Algorithm;
    /// assert_eq!(Algorithm::from_cose_id(-7), Some(Algorithm::EcdsaP256));
    /// assert_eq!(Algorithm::from_cose_id(-35), None); // ES384
    /// ```
    pub const fn from_cose_id(id: i64) -> Option<Self> {
        match id {
            cose::ED25519 | cose::EDDSA => Some(Algorithm::Ed25519),
            cose::ESP256 | cose::ES256 => Some(Algorithm::EcdsaP256),
            cose::ES256K => Some(Algorithm::EcdsaSecp256k1),
            _ => None,
        }
    }

    /// A short, stable name: `ed25519`, `p256` or `k256` (used in files and the CLI).
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::Ed25519 => "ed25519",
            Algorithm::EcdsaP256 => "p256",
            Algorithm::EcdsaSecp256k1 => "k256",
        }
    }

    /// The inverse of [`Algorithm::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Algorithm::Ed25519 => "Ed25519",
            Algorithm::EcdsaP256 => "ESP256",
            Algorithm::EcdsaSecp256k1 => "ES256K",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_legacy_ids_map_to_the_same_curve() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_cose_id(alg.cose_id()), Some(alg));
            assert_eq!(Algorithm::from_name(alg.name()), Some(alg));
        }
        assert_eq!(Algorithm::from_cose_id(-8), Some(Algorithm::Ed25519));
        assert_eq!(Algorithm::from_cose_id(-7), Some(Algorithm::EcdsaP256));
        assert_eq!(Algorithm::from_cose_id(-35), None);
        assert_eq!(Algorithm::from_cose_id(0), None);
    }
}
