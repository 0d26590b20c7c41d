//! payseal keys that never leave a PKCS#11 token: an HSM, a smart card, a TPM's PKCS#11
//! front end, or SoftHSM2 for development.
//!
//! - [`TokenSigningKey`] is a [`payseal::SealingKey`]: Ed25519 through `CKM_EDDSA`, ECDSA P-256
//!   through `CKM_ECDSA` (SHA-256 computed in-process, low `s` as the spec asks).
//! - [`TokenRecipientKey`] is a [`payseal::KeyAgreement`]: HPKE decapsulation for P-256 asks the
//!   token for the Diffie-Hellman step (`CKM_ECDH1_DERIVE`); the rest of HPKE is the core's.
//! - [`generate`] creates a key pair in the token (sensitive, not extractable) and returns its
//!   public key for export as SPKI PEM.
//!
//! Keys are named by RFC 7512 URIs ([`Pkcs11Uri`]); the PIN comes from the file a
//! `pin-source=file:...` names or from `PAYSEAL_PKCS11_PIN`, never from the URI.
//!
//! ```no_run
//! use payseal::{Counter, Sealer, SystemClock};
//! use payseal_pkcs11::{Pkcs11Uri, TokenSigningKey};
//!
//! let uri: Pkcs11Uri = "pkcs11:token=plant;object=sensor-7\
//!                       ?module-path=/usr/lib/softhsm/libsofthsm2.so\
//!                       &pin-source=file:/run/secrets/pin".parse()?;
//! let key = TokenSigningKey::open(&uri)?;
//! let mut sealer = Sealer::new(key, Counter::from_unix_micros(), SystemClock);
//! let envelope = sealer.seal("plant/3/temp", b"21.5")?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod keygen;
mod protection;
mod public;
mod recipient;
mod signer;
mod token;
mod uri;

pub use error::{Pkcs11Error, UriError};
pub use keygen::{TokenKeyKind, generate};
pub use protection::KeyProtection;
pub use public::TokenPublicKey;
pub use recipient::TokenRecipientKey;
pub use signer::TokenSigningKey;
pub use uri::{MODULE_ENV, PIN_ENV, Pkcs11Uri};
