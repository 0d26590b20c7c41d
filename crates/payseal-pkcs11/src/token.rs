//! Reaching a token: the module (loaded and initialized once per process), the slot whose
//! token has the URI's label, a logged-in session, and the key objects the URI names.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;

use crate::error::{Pkcs11Error, from_ck};
use crate::uri::Pkcs11Uri;

/// One context per module path: PKCS#11 allows one `C_Initialize` per process, and every key
/// of the process shares it.
fn context(path: &Path) -> Result<Pkcs11, Pkcs11Error> {
    static MODULES: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let modules = MODULES.get_or_init(Mutex::default);
    let mut modules = modules.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(ctx) = modules.get(path) {
        return Ok(ctx.clone());
    }
    let failed = |detail: String| Pkcs11Error::Module {
        path: path.to_owned(),
        detail,
    };
    let ctx = Pkcs11::new(path).map_err(|e| failed(e.to_string()))?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        // Another library in the process initialized it first: it is ready all the same.
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(failed(e.to_string())),
    }
    modules.insert(path.to_owned(), ctx.clone());
    Ok(ctx)
}

/// A logged-in session on the token a URI names.
pub(crate) fn login(uri: &Pkcs11Uri) -> Result<Session, Pkcs11Error> {
    let ctx = context(&uri.module()?)?;
    let label = uri
        .token()
        .ok_or(crate::UriError::Invalid("name the token with token="))?;
    let mut found = None;
    for slot in ctx.get_slots_with_token().map_err(from_ck)? {
        // A slot whose token vanished between the two calls is no match.
        let Ok(info) = ctx.get_token_info(slot) else {
            continue;
        };
        if info.label().trim_end() == label {
            found = Some(slot);
            break;
        }
    }
    let slot = found.ok_or_else(|| Pkcs11Error::TokenNotFound(label.to_owned()))?;
    // Read-write: key generation creates objects, and ECDH derives a session object.
    let session = ctx.open_rw_session(slot).map_err(from_ck)?;
    let pin = uri.pin()?;
    let pin = AuthPin::new(pin.as_str().into());
    match session.login(UserType::User, Some(&pin)) {
        // Logins are per application: another key's session logged us in already.
        Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(session),
        Err(e) => Err(from_ck(e)),
    }
}

/// The template selecting the URI's key objects of `class`.
pub(crate) fn selector(uri: &Pkcs11Uri, class: ObjectClass) -> Vec<Attribute> {
    let mut template = vec![Attribute::Class(class)];
    if let Some(label) = uri.object() {
        template.push(Attribute::Label(label.as_bytes().to_vec()));
    }
    if let Some(id) = uri.id() {
        template.push(Attribute::Id(id.to_vec()));
    }
    template
}

/// The one object of `class` the URI names.
pub(crate) fn find_one(
    session: &Session,
    uri: &Pkcs11Uri,
    class: ObjectClass,
) -> Result<ObjectHandle, Pkcs11Error> {
    let found = session
        .find_objects(&selector(uri, class))
        .map_err(from_ck)?;
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(Pkcs11Error::ObjectNotFound(describe(uri))),
        _ => Err(Pkcs11Error::Ambiguous(describe(uri))),
    }
}

/// The key, as messages name it: `object=sensor-7 id=0102`.
pub(crate) fn describe(uri: &Pkcs11Uri) -> String {
    let mut parts = Vec::new();
    if let Some(label) = uri.object() {
        parts.push(format!("object={label}"));
    }
    if let Some(id) = uri.id() {
        let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
        parts.push(format!("id={hex}"));
    }
    parts.join(" ")
}

/// The curves payseal uses, as `CKA_KEY_TYPE` + `CKA_EC_PARAMS` name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Curve {
    Ed25519,
    P256,
}

/// DER OID 1.2.840.10045.3.1.7 (prime256v1).
pub(crate) const P256_PARAMS: &[u8] = &[6, 8, 0x2a, 0x86, 0x48, 0xce, 0x3d, 3, 1, 7];
/// DER OID 1.3.101.112 (id-Ed25519, RFC 8410).
pub(crate) const ED25519_PARAMS: &[u8] = &[6, 3, 0x2b, 0x65, 0x70];
/// The PrintableString "edwards25519", the other form PKCS#11 3.0 allows.
const ED25519_NAME: &[u8] = b"\x13\x0cedwards25519";

/// The curve of a public key object and its point (`CKA_EC_POINT`, unwrapped).
pub(crate) fn public_point(
    session: &Session,
    public: ObjectHandle,
) -> Result<(Curve, Vec<u8>), Pkcs11Error> {
    let attributes = session
        .get_attributes(
            public,
            &[
                AttributeType::KeyType,
                AttributeType::EcParams,
                AttributeType::EcPoint,
            ],
        )
        .map_err(from_ck)?;
    let (mut key_type, mut params, mut point) = (None, None, None);
    for attribute in attributes {
        match attribute {
            Attribute::KeyType(t) => key_type = Some(t),
            Attribute::EcParams(p) => params = Some(p),
            Attribute::EcPoint(p) => point = Some(p),
            _ => {}
        }
    }
    let (Some(key_type), Some(params), Some(point)) = (key_type, params, point) else {
        return Err(Pkcs11Error::UnsupportedKey(
            "not an elliptic-curve key (no CKA_EC_PARAMS/CKA_EC_POINT)",
        ));
    };
    let curve = if key_type == KeyType::EC && params == P256_PARAMS {
        Curve::P256
    } else if key_type == KeyType::EC_EDWARDS
        && (params == ED25519_PARAMS || params == ED25519_NAME)
    {
        Curve::Ed25519
    } else {
        return Err(Pkcs11Error::UnsupportedKey(
            "payseal uses Ed25519 and P-256 token keys",
        ));
    };
    let len = match curve {
        Curve::Ed25519 => 32,
        Curve::P256 => 65,
    };
    Ok((curve, unwrap_octet_string(&point, len)?))
}

/// `CKA_EC_POINT` is a DER OCTET STRING (PKCS#11 §2.3.3); some tokens give the raw point.
fn unwrap_octet_string(value: &[u8], len: usize) -> Result<Vec<u8>, Pkcs11Error> {
    if value.len() == len {
        return Ok(value.to_vec());
    }
    match value {
        [4, n, rest @ ..] if usize::from(*n) == len && rest.len() == len => Ok(rest.to_vec()),
        _ => Err(Pkcs11Error::Malformed("CKA_EC_POINT")),
    }
}
