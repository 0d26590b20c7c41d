//! X25519 keys in PKCS#8 and SPKI (RFC 8410), built with the `pkcs8`/`spki` crates' DER types.
//! Neither `hpke` nor `x25519-dalek` reads or writes these files.

use pkcs8::der::asn1::{BitStringRef, OctetStringRef};
use pkcs8::{
    AlgorithmIdentifierRef, EncodePrivateKey, ObjectIdentifier, PrivateKeyInfoRef, SecretDocument,
};
use spki::{Document, EncodePublicKey, SubjectPublicKeyInfoRef};
use zeroize::Zeroizing;

/// id-X25519 (RFC 8410 §3).
const OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.110");
const ALGORITHM: AlgorithmIdentifierRef<'static> = AlgorithmIdentifierRef {
    oid: OID,
    parameters: None,
};

/// A raw X25519 private key as read from or written to PKCS#8.
pub(crate) struct X25519Secret(pub(crate) Zeroizing<[u8; 32]>);

impl TryFrom<PrivateKeyInfoRef<'_>> for X25519Secret {
    type Error = pkcs8::Error;

    fn try_from(info: PrivateKeyInfoRef<'_>) -> pkcs8::Result<Self> {
        info.algorithm.assert_algorithm_oid(OID)?;
        if info.algorithm.parameters.is_some() {
            return Err(pkcs8::Error::ParametersMalformed);
        }
        // CurvePrivateKey ::= OCTET STRING, nested in the PrivateKeyInfo's OCTET STRING.
        match info.private_key.as_bytes() {
            [0x04, 0x20, rest @ ..] => {
                let bytes: [u8; 32] = rest.try_into().map_err(|_| pkcs8::KeyError::Invalid)?;
                Ok(X25519Secret(Zeroizing::new(bytes)))
            }
            _ => Err(pkcs8::KeyError::Invalid.into()),
        }
    }
}

impl EncodePrivateKey for X25519Secret {
    fn to_pkcs8_der(&self) -> pkcs8::Result<SecretDocument> {
        let mut nested = Zeroizing::new(alloc::vec::Vec::with_capacity(34));
        nested.extend_from_slice(&[0x04, 0x20]);
        nested.extend_from_slice(self.0.as_ref());
        let info = PrivateKeyInfoRef {
            algorithm: ALGORITHM,
            private_key: OctetStringRef::new(nested.as_ref())?,
            public_key: None,
        };
        Ok(SecretDocument::encode_msg(&info)?)
    }
}

/// A raw X25519 public key as read from or written to SPKI.
pub(crate) struct X25519Public(pub(crate) [u8; 32]);

impl TryFrom<SubjectPublicKeyInfoRef<'_>> for X25519Public {
    type Error = spki::Error;

    fn try_from(info: SubjectPublicKeyInfoRef<'_>) -> spki::Result<Self> {
        info.algorithm.assert_algorithm_oid(OID)?;
        if info.algorithm.parameters.is_some() {
            return Err(spki::Error::KeyMalformed);
        }
        info.subject_public_key
            .as_bytes()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .map(X25519Public)
            .ok_or(spki::Error::KeyMalformed)
    }
}

impl EncodePublicKey for X25519Public {
    fn to_public_key_der(&self) -> spki::Result<Document> {
        SubjectPublicKeyInfoRef {
            algorithm: ALGORITHM,
            subject_public_key: BitStringRef::new(0, &self.0)?,
        }
        .try_into()
    }
}
