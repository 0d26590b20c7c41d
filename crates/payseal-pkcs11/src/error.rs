//! Typed errors, each with a stable reason code.

use std::path::PathBuf;

use cryptoki::error::{Error as CkError, RvError};

/// A `pkcs11:` URI that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UriError {
    /// The text does not start with `pkcs11:`.
    #[error("not a pkcs11: URI")]
    Scheme,
    /// `pin-value=`: a PIN is read from a file or the environment, never from the URI.
    #[error(
        "pin-value is refused: give the PIN in a file (pin-source=file:...) or PAYSEAL_PKCS11_PIN"
    )]
    PinValue,
    /// An attribute payseal does not interpret (and so would not honour).
    #[error("unsupported attribute {0:?}")]
    UnknownAttribute(String),
    /// An attribute given twice.
    #[error("attribute {0:?} given twice")]
    Repeated(String),
    /// A textual attribute that is not UTF-8.
    #[error("attribute {0:?} is not UTF-8")]
    NotUtf8(String),
    /// Any other malformed part.
    #[error("invalid pkcs11: URI: {0}")]
    Invalid(&'static str),
}

/// Using a key in a PKCS#11 token failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Pkcs11Error {
    /// The URI is malformed or asks for something unsupported.
    #[error(transparent)]
    Uri(#[from] UriError),
    /// No `module-path=` in the URI and no `PAYSEAL_PKCS11_MODULE`.
    #[error("no PKCS#11 module: give module-path= in the URI or set PAYSEAL_PKCS11_MODULE")]
    NoModule,
    /// The module could not be loaded or initialized.
    #[error("cannot load PKCS#11 module {path:?}: {detail}")]
    Module {
        /// The module's path.
        path: PathBuf,
        /// What the loader or `C_Initialize` said.
        detail: String,
    },
    /// No PIN: no `pin-source=` in the URI and no `PAYSEAL_PKCS11_PIN`.
    #[error("no PIN: give pin-source=file:... in the URI or set PAYSEAL_PKCS11_PIN")]
    NoPin,
    /// The PIN file could not be read.
    #[error("cannot read PIN file {path:?}: {detail}")]
    PinFile {
        /// The file.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// No token with that label is present (never there, deleted, or unplugged).
    #[error("no token labelled {0:?} is present")]
    TokenNotFound(String),
    /// The token refused the PIN.
    #[error("the token refused the PIN")]
    WrongPin,
    /// The token locked the PIN after too many wrong attempts.
    #[error("the token's PIN is locked")]
    PinLocked,
    /// No key matches the URI's `object=`/`id=` in the token.
    #[error("no key {0} in the token")]
    ObjectNotFound(String),
    /// More than one key matches the URI's `object=`/`id=`.
    #[error("more than one key matches {0}: add id= to the URI")]
    Ambiguous(String),
    /// A key exists already where a new one was to be generated.
    #[error("a key {0} exists already in the token")]
    ObjectExists(String),
    /// The token was removed, or its slot or session vanished, while in use.
    #[error("the token was removed or its session closed")]
    TokenRemoved,
    /// The key is of a type or curve payseal does not use (or cannot use for this purpose).
    #[error("unsupported key: {0}")]
    UnsupportedKey(&'static str),
    /// The token returned something malformed (a wrong-length signature, a bad point).
    #[error("the token returned malformed data: {0}")]
    Malformed(&'static str),
    /// Any other PKCS#11 failure.
    #[error("PKCS#11 call failed: {0}")]
    Device(String),
}

impl Pkcs11Error {
    /// A stable, machine-readable reason code (`pkcs11_wrong_pin`, ...), for logs and metrics.
    ///
    /// ```
    /// assert_eq!(payseal_pkcs11::Pkcs11Error::WrongPin.reason(), "pkcs11_wrong_pin");
    /// ```
    pub fn reason(&self) -> &'static str {
        match self {
            Pkcs11Error::Uri(_) => "pkcs11_bad_uri",
            Pkcs11Error::NoModule => "pkcs11_no_module",
            Pkcs11Error::Module { .. } => "pkcs11_module",
            Pkcs11Error::NoPin => "pkcs11_no_pin",
            Pkcs11Error::PinFile { .. } => "pkcs11_pin_file",
            Pkcs11Error::TokenNotFound(_) => "pkcs11_token_not_found",
            Pkcs11Error::WrongPin => "pkcs11_wrong_pin",
            Pkcs11Error::PinLocked => "pkcs11_pin_locked",
            Pkcs11Error::ObjectNotFound(_) => "pkcs11_object_not_found",
            Pkcs11Error::Ambiguous(_) => "pkcs11_object_ambiguous",
            Pkcs11Error::ObjectExists(_) => "pkcs11_object_exists",
            Pkcs11Error::TokenRemoved => "pkcs11_token_removed",
            Pkcs11Error::UnsupportedKey(_) => "pkcs11_unsupported_key",
            Pkcs11Error::Malformed(_) => "pkcs11_malformed",
            Pkcs11Error::Device(_) => "pkcs11_device",
        }
    }
}

/// Maps a cryptoki failure to the error a caller can act on.
pub(crate) fn from_ck(error: CkError) -> Pkcs11Error {
    match &error {
        CkError::Pkcs11(rv, _) => match rv {
            RvError::PinIncorrect | RvError::PinInvalid | RvError::PinLenRange => {
                Pkcs11Error::WrongPin
            }
            RvError::PinLocked => Pkcs11Error::PinLocked,
            RvError::DeviceRemoved
            | RvError::TokenNotPresent
            | RvError::TokenNotRecognized
            | RvError::SessionHandleInvalid
            | RvError::SessionClosed
            | RvError::SlotIdInvalid
            | RvError::ObjectHandleInvalid
            | RvError::KeyHandleInvalid => Pkcs11Error::TokenRemoved,
            _ => Pkcs11Error::Device(error.to_string()),
        },
        _ => Pkcs11Error::Device(error.to_string()),
    }
}
