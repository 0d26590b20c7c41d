//! MAC mode (spec/mac.md): envelopes stamped with HMAC-SHA256 under a per-sender key, as a
//! tagged COSE_Mac0 (RFC 9052 §6.2), for senders too small for signatures.
//!
//! Everything but the stamp is the signed profile's: the protected header, the topic binding,
//! strict decoding, limits, freshness, the replay window and the optional encryption layer.
//! What changes is who can forge: every holder of the secret a sender key is derived from
//! (the receivers) can stamp as any sender; a sender holding only its own derived key cannot
//! stamp as another.

mod algorithm;
mod key;
#[cfg(test)]
mod tests;

use alloc::vec::Vec;

pub use algorithm::MacAlgorithm;
pub use key::{MacKey, MacSecret};

/// CBOR tag of a COSE_Mac0 (RFC 9052 §6.2).
pub(crate) const COSE_MAC0_TAG: u64 = 17;

/// The bytes a tag covers: `MAC_structure = ["MAC0", protected, external_aad, payload]`
/// (RFC 9052 §6.3), over the protected header bytes exactly as received.
pub(crate) fn mac_structure(protected: &[u8], aad: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    crate::envelope::write_to_be_stamped(&mut out, MAC0, protected, aad, payload);
    out
}

/// `MAC_structure`'s context for a COSE_Mac0 (RFC 9052 §6.3).
pub(crate) const MAC0: &[u8] = b"MAC0";
