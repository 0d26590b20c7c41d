//! Where key updates travel.

use payseal::Kid;

/// The prefix of every member's key topic.
pub const KEY_TOPIC_PREFIX: &str = "payseal/keys/";

/// A member's key topic, `payseal/keys/<kid, lowercase hex>` (spec/key-management.md §4.1).
///
/// ```
/// let kid = payseal::Kid::new(vec![0xab, 0x01])?;
/// assert_eq!(payseal_keys::key_topic(&kid), "payseal/keys/ab01");
/// # Ok::<(), payseal::ConfigError>(())
/// ```
pub fn key_topic(kid: &Kid) -> String {
    format!("{KEY_TOPIC_PREFIX}{}", hex::encode(kid.as_bytes()))
}
