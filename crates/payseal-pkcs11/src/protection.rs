//! What the token says about a private key's protection, to check that it cannot leave.

use cryptoki::object::{Attribute, AttributeType, ObjectHandle};
use cryptoki::session::Session;

use crate::error::{Pkcs11Error, from_ck};

/// A private key's protection attributes, as the token reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // One flag per PKCS#11 attribute, named as there.
pub struct KeyProtection {
    /// `CKA_SENSITIVE`: the secret value cannot be read.
    pub sensitive: bool,
    /// `CKA_EXTRACTABLE`: the key can be wrapped out of the token.
    pub extractable: bool,
    /// `CKA_ALWAYS_SENSITIVE`: it has been sensitive since it was made.
    pub always_sensitive: bool,
    /// `CKA_NEVER_EXTRACTABLE`: it has never been extractable.
    pub never_extractable: bool,
    /// Whether asking for `CKA_VALUE` returned the secret (it must not).
    pub value_readable: bool,
}

pub(crate) fn read(session: &Session, key: ObjectHandle) -> Result<KeyProtection, Pkcs11Error> {
    let mut protection = KeyProtection {
        sensitive: false,
        extractable: true,
        always_sensitive: false,
        never_extractable: false,
        value_readable: false,
    };
    let flags = session
        .get_attributes(
            key,
            &[
                AttributeType::Sensitive,
                AttributeType::Extractable,
                AttributeType::AlwaysSensitive,
                AttributeType::NeverExtractable,
            ],
        )
        .map_err(from_ck)?;
    for attribute in flags {
        match attribute {
            Attribute::Sensitive(v) => protection.sensitive = v,
            Attribute::Extractable(v) => protection.extractable = v,
            Attribute::AlwaysSensitive(v) => protection.always_sensitive = v,
            Attribute::NeverExtractable(v) => protection.never_extractable = v,
            _ => {}
        }
    }
    // A sensitive value is refused (CKR_ATTRIBUTE_SENSITIVE): either an error or no value.
    protection.value_readable = session
        .get_attributes(key, &[AttributeType::Value])
        .is_ok_and(|found| found.iter().any(|a| matches!(a, Attribute::Value(_))));
    Ok(protection)
}
