//! The 64-byte signature all three algorithms produce in COSE (RFC 9053 §2.1, RFC 8032).

/// A COSE signature: Ed25519's `R || S`, or ECDSA's fixed-size `r || s` (never DER).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature([u8; Signature::LEN]);

impl Signature {
    /// Every supported algorithm signs with 64 bytes.
    pub const LEN: usize = 64;

    /// Wraps raw signature bytes.
    pub const fn from_bytes(bytes: [u8; Self::LEN]) -> Self {
        Signature(bytes)
    }

    /// Wraps a slice, if it has exactly [`Signature::LEN`] bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Signature)
    }

    /// The raw bytes.
    pub const fn to_bytes(&self) -> [u8; Self::LEN] {
        self.0
    }
}

impl AsRef<[u8]> for Signature {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl core::fmt::Debug for Signature {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Signature(")?;
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}
