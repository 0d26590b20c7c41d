//! COSE-HPKE suites (draft-ietf-cose-hpke-25 §6) and content encryption algorithms (RFC 9053).

use core::fmt;

/// The key-agreement curve of a recipient key (the HPKE KEM).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KemKind {
    /// DHKEM(X25519, HKDF-SHA256), HPKE KEM id 0x0020.
    X25519,
    /// DHKEM(P-256, HKDF-SHA256), HPKE KEM id 0x0010.
    P256,
}

/// An HPKE ciphersuite as COSE-HPKE names it. All use HKDF-SHA256 and HPKE base mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HpkeSuite {
    /// HPKE-0: DHKEM(P-256) + AES-128-GCM. COSE alg 35, key encryption 46.
    P256Aes128Gcm,
    /// HPKE-3: DHKEM(X25519) + AES-128-GCM. COSE alg 41, key encryption 49.
    X25519Aes128Gcm,
    /// HPKE-4: DHKEM(X25519) + ChaCha20-Poly1305. COSE alg 42, key encryption 50.
    X25519ChaCha20Poly1305,
    /// HPKE-7: DHKEM(P-256) + AES-256-GCM. COSE alg 45, key encryption 53.
    P256Aes256Gcm,
}

impl HpkeSuite {
    /// Every supported suite.
    pub const ALL: [HpkeSuite; 4] = [
        HpkeSuite::P256Aes128Gcm,
        HpkeSuite::X25519Aes128Gcm,
        HpkeSuite::X25519ChaCha20Poly1305,
        HpkeSuite::P256Aes256Gcm,
    ];

    /// The suite a recipient key of this kind gets unless configured otherwise: AES-128-GCM,
    /// the fastest AEAD on hardware with AES instructions.
    pub const fn default_for(kem: KemKind) -> Self {
        match kem {
            KemKind::X25519 => HpkeSuite::X25519Aes128Gcm,
            KemKind::P256 => HpkeSuite::P256Aes128Gcm,
        }
    }

    /// The KEM, i.e. which recipient keys the suite works with.
    pub const fn kem(self) -> KemKind {
        match self {
            HpkeSuite::P256Aes128Gcm | HpkeSuite::P256Aes256Gcm => KemKind::P256,
            HpkeSuite::X25519Aes128Gcm | HpkeSuite::X25519ChaCha20Poly1305 => KemKind::X25519,
        }
    }

    /// COSE alg for integrated encryption (COSE_Encrypt0).
    pub const fn integrated_id(self) -> i64 {
        match self {
            HpkeSuite::P256Aes128Gcm => 35,
            HpkeSuite::X25519Aes128Gcm => 41,
            HpkeSuite::X25519ChaCha20Poly1305 => 42,
            HpkeSuite::P256Aes256Gcm => 45,
        }
    }

    /// COSE alg for key encryption (a COSE_recipient).
    pub const fn key_encryption_id(self) -> i64 {
        match self {
            HpkeSuite::P256Aes128Gcm => 46,
            HpkeSuite::X25519Aes128Gcm => 49,
            HpkeSuite::X25519ChaCha20Poly1305 => 50,
            HpkeSuite::P256Aes256Gcm => 53,
        }
    }

    /// The suite of an integrated-encryption alg.
    pub fn from_integrated_id(id: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.integrated_id() == id)
    }

    /// The suite of a key-encryption alg.
    pub fn from_key_encryption_id(id: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key_encryption_id() == id)
    }
}

impl fmt::Display for HpkeSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HpkeSuite::P256Aes128Gcm => "HPKE-0",
            HpkeSuite::X25519Aes128Gcm => "HPKE-3",
            HpkeSuite::X25519ChaCha20Poly1305 => "HPKE-4",
            HpkeSuite::P256Aes256Gcm => "HPKE-7",
        })
    }
}

/// The AEAD that encrypts the content of a multi-recipient message or a group message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContentAlg {
    /// AES-128-GCM, COSE alg 1 (`A128GCM`).
    A128Gcm,
    /// AES-256-GCM, COSE alg 3 (`A256GCM`).
    A256Gcm,
    /// ChaCha20-Poly1305, COSE alg 24.
    ChaCha20Poly1305,
}

impl ContentAlg {
    /// The COSE alg value.
    pub const fn cose_id(self) -> i64 {
        match self {
            ContentAlg::A128Gcm => 1,
            ContentAlg::A256Gcm => 3,
            ContentAlg::ChaCha20Poly1305 => 24,
        }
    }

    /// The algorithm of a COSE alg value, if supported.
    pub const fn from_cose_id(id: i64) -> Option<Self> {
        match id {
            1 => Some(ContentAlg::A128Gcm),
            3 => Some(ContentAlg::A256Gcm),
            24 => Some(ContentAlg::ChaCha20Poly1305),
            _ => None,
        }
    }

    /// Key length in bytes.
    pub const fn key_len(self) -> usize {
        match self {
            ContentAlg::A128Gcm => 16,
            ContentAlg::A256Gcm | ContentAlg::ChaCha20Poly1305 => 32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_draft_25() {
        let ids: [(i64, i64); 4] =
            HpkeSuite::ALL.map(|s| (s.integrated_id(), s.key_encryption_id()));
        assert_eq!(ids, [(35, 46), (41, 49), (42, 50), (45, 53)]);
        for s in HpkeSuite::ALL {
            assert_eq!(HpkeSuite::from_integrated_id(s.integrated_id()), Some(s));
            assert_eq!(
                HpkeSuite::from_key_encryption_id(s.key_encryption_id()),
                Some(s)
            );
        }
        assert_eq!(HpkeSuite::from_integrated_id(46), None);
    }
}
