//! Who a sender encrypts to: one or more recipients' public keys, or a group key.

use alloc::vec::Vec;

use super::group::GroupKey;
use super::keys::RecipientPublicKey;
use super::suite::{ContentAlg, HpkeSuite};
use crate::error::ConfigError;
use crate::keys::Kid;
use crate::validity::KeyValidity;

/// One recipient of encrypted envelopes: a public key, the kid it is known by, and the HPKE
/// suite to use for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    key: RecipientPublicKey,
    kid: Kid,
    suite: HpkeSuite,
    validity: KeyValidity,
}

impl Recipient {
    /// A recipient under its derived kid, with the default suite for its curve (AES-128-GCM).
    pub fn new(key: RecipientPublicKey) -> Self {
        Recipient {
            kid: key.kid(),
            suite: HpkeSuite::default_for(key.kem()),
            key,
            validity: KeyValidity::always(),
        }
    }

    /// Encrypts to this key only within `validity`, on the sealer's clock
    /// (spec/key-management.md §3): list a receiver's old key with `not_after` and its new
    /// key with `not_before` at the switch date, and the sealer moves to the new key then.
    /// Outside every recipient's window, sealing fails ([`SealError::NoValidRecipient`](crate::SealError::NoValidRecipient)).
    ///
    /// ```
    /// use payseal::{Audience, KemKind, KeyValidity, Recipient, RecipientKey};
    /// let (old, new) = (RecipientKey::generate(KemKind::X25519)?, RecipientKey::generate(KemKind::X25519)?);
    /// let switch = 1_700_000_000;
    /// let audience = Audience::recipients([
    ///     Recipient::new(old.public_key()).with_validity(KeyValidity::always().until(switch - 1)),
    ///     Recipient::new(new.public_key()).with_validity(KeyValidity::always().from(switch)),
    /// ])?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_validity(mut self, validity: KeyValidity) -> Self {
        self.validity = validity;
        self
    }

    /// When this key is encrypted to.
    pub fn validity(&self) -> KeyValidity {
        self.validity
    }

    /// Uses an assigned kid (the one the subscriber's keyring knows its key by).
    pub fn with_kid(mut self, kid: Kid) -> Self {
        self.kid = kid;
        self
    }

    /// Uses another HPKE suite.
    ///
    /// # Errors
    /// [`ConfigError::Policy`] if the suite's curve is not the key's.
    pub fn with_suite(mut self, suite: HpkeSuite) -> Result<Self, ConfigError> {
        if suite.kem() != self.key.kem() {
            return Err(ConfigError::Policy(
                "HPKE suite does not match the recipient key's curve",
            ));
        }
        self.suite = suite;
        Ok(self)
    }

    /// The public key.
    pub fn key(&self) -> &RecipientPublicKey {
        &self.key
    }

    /// The kid written into envelopes for this recipient.
    pub fn kid(&self) -> &Kid {
        &self.kid
    }

    /// The HPKE suite.
    pub fn suite(&self) -> HpkeSuite {
        self.suite
    }
}

/// What a sealer encrypts a topic's payloads to.
///
/// One recipient gives a COSE_Encrypt0 in HPKE integrated mode (smallest); two or more give a
/// COSE_Encrypt whose content key is sealed to each recipient with HPKE; a group key gives a
/// COSE_Encrypt0 under that shared key.
#[derive(Clone, Debug)]
pub enum Audience {
    /// Per-recipient HPKE.
    Recipients {
        /// The recipients, at least one.
        recipients: Vec<Recipient>,
        /// Content encryption when there are two or more recipients.
        content: ContentAlg,
    },
    /// A shared topic key.
    Group(GroupKey),
}

impl Audience {
    /// Per-recipient encryption to `recipients`, with AES-128-GCM content encryption.
    ///
    /// # Errors
    /// [`ConfigError::Policy`] if there is no recipient or two share a kid.
    ///
    /// ```
    /// use payseal::{Audience, KemKind, Recipient, RecipientKey};
    /// let alice = RecipientKey::generate(KemKind::X25519)?;
    /// let bob = RecipientKey::generate(KemKind::P256)?;
    /// let audience = Audience::recipients([
    ///     Recipient::new(alice.public_key()),
    ///     Recipient::new(bob.public_key()),
    /// ])?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recipients(
        recipients: impl IntoIterator<Item = Recipient>,
    ) -> Result<Self, ConfigError> {
        let recipients: Vec<Recipient> = recipients.into_iter().collect();
        if recipients.is_empty() {
            return Err(ConfigError::Policy(
                "an audience needs at least one recipient",
            ));
        }
        for (i, r) in recipients.iter().enumerate() {
            if recipients
                .iter()
                .skip(i + 1)
                .any(|other| other.kid == r.kid)
            {
                return Err(ConfigError::DuplicateKid(r.kid.clone()));
            }
        }
        Ok(Audience::Recipients {
            recipients,
            content: ContentAlg::A128Gcm,
        })
    }

    /// Uses another content algorithm for multi-recipient messages (no effect on groups).
    pub fn with_content_alg(mut self, alg: ContentAlg) -> Self {
        if let Audience::Recipients { content, .. } = &mut self {
            *content = alg;
        }
        self
    }

    /// Encryption under a shared group key.
    pub fn group(key: GroupKey) -> Self {
        Audience::Group(key)
    }
}
