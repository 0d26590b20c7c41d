//! What the sender signed a message to be (spec §3.7): live, retained state or a Last Will.
//!
//! The MQTT retain flag and the topic are chosen by the broker; only this signed marker says
//! that a message is meant to be kept and delivered late, so only it may earn a longer
//! freshness limit, and only it moves a message into a replay window of its own.

use alloc::vec::Vec;

use ciborium::Value;
use sha2::{Digest, Sha256};

use crate::keys::Kid;

/// What a message is, as its sender signed it in the protected header (label
/// [`MessageKind::LABEL`], spec §3.7). Absent means [`MessageKind::Live`].
///
/// ```
/// use payseal::MessageKind;
/// assert_eq!(MessageKind::from_value(1), Some(MessageKind::Retained));
/// assert_eq!(MessageKind::Will.value(), Some(2));
/// assert_eq!(MessageKind::Live.value(), None); // live messages carry no marker
/// assert_eq!(MessageKind::from_value(0), None); // not a kind: `unknown_kind`
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MessageKind {
    /// An ordinary message, judged with the live freshness limits. Carries no marker.
    #[default]
    Live,
    /// Retained state (value 1): published with the MQTT retain flag, meant to reach late
    /// subscribers.
    Retained,
    /// A Last Will (value 2): registered at connect, published by the broker later.
    Will,
}

impl MessageKind {
    /// The protected header label of the marker: a private-use COSE label (RFC 9052 §16.2
    /// reserves labels below -65536 for private use).
    pub const LABEL: i64 = -65540;

    /// The marker's value, `None` for [`MessageKind::Live`] (which is written as no marker).
    pub fn value(self) -> Option<u64> {
        match self {
            MessageKind::Live => None,
            MessageKind::Retained => Some(1),
            MessageKind::Will => Some(2),
        }
    }

    /// The kind a marker value stands for; `None` for values not assigned (0 included: a
    /// live message carries no marker at all).
    pub fn from_value(value: u64) -> Option<Self> {
        match value {
            1 => Some(MessageKind::Retained),
            2 => Some(MessageKind::Will),
            _ => None,
        }
    }

    /// The stable name used in the spec and the vectors: `live`, `retained` or `will`.
    pub fn name(self) -> &'static str {
        match self {
            MessageKind::Live => "live",
            MessageKind::Retained => "retained",
            MessageKind::Will => "will",
        }
    }
}

/// The replay window a message is recorded in (spec §5.3): the sender's kid for live
/// messages; for retained state and wills, a window of their own per sender, kind and topic,
/// named by `SHA-256(CBOR(["payseal/1 window", kind value, kid, topic]))` (32 bytes, used as
/// a kid by the replay store).
///
/// ```
/// use payseal::{Kid, MessageKind, replay_window_key};
/// let kid = Kid::new(vec![1, 2, 3])?;
/// assert_eq!(replay_window_key(&kid, MessageKind::Live, "a/b"), kid);
/// let retained = replay_window_key(&kid, MessageKind::Retained, "a/b");
/// assert_eq!(retained.as_bytes().len(), 32);
/// assert_ne!(retained, replay_window_key(&kid, MessageKind::Retained, "a/c"));
/// assert_ne!(retained, replay_window_key(&kid, MessageKind::Will, "a/b"));
/// # Ok::<(), payseal::ConfigError>(())
/// ```
pub fn replay_window_key(sender: &Kid, kind: MessageKind, topic: &str) -> Kid {
    let Some(value) = kind.value() else {
        return sender.clone();
    };
    let name = Value::Array(alloc::vec![
        Value::Text(alloc::string::String::from("payseal/1 window")),
        Value::from(value),
        Value::Bytes(sender.as_bytes().to_vec()),
        Value::Text(alloc::string::String::from(topic)),
    ]);
    let mut encoded: Vec<u8> = Vec::new();
    // Writing into a Vec cannot fail; an empty encoding still yields a distinct, fixed key.
    let _ = ciborium::into_writer(&name, &mut encoded);
    let digest = Sha256::digest(&encoded);
    // 32 bytes is exactly Kid::MAX_LEN, so this cannot fail; fall back to the sender's own
    // window (never an unchecked accept) if it somehow did.
    Kid::new(digest.to_vec()).unwrap_or_else(|_| sender.clone())
}
