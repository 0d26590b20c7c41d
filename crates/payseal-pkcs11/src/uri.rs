//! RFC 7512 `pkcs11:` URIs: which module, which token, which object, and where the PIN is.

use std::fmt;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::{Pkcs11Error, UriError};

/// The environment variable read for the user PIN when the URI has no `pin-source`.
pub const PIN_ENV: &str = "PAYSEAL_PKCS11_PIN";
/// The environment variable naming the PKCS#11 module when the URI has no `module-path`.
pub const MODULE_ENV: &str = "PAYSEAL_PKCS11_MODULE";

/// The longest PIN file read (a PIN is a few bytes; a large file is a mistake).
const MAX_PIN_FILE: u64 = 1024;

/// A parsed `pkcs11:` URI (RFC 7512) naming one key in one token.
///
/// Path attributes `token`, `object`, `id` and `type` select the key; query attributes
/// `module-path` and `pin-source` say how to reach it. Any other attribute is refused rather
/// than ignored, so that a URI never selects a key more loosely than it reads; `pin-value` is
/// refused too: a PIN does not belong in a URI that ends up on command lines and in logs.
///
/// ```
/// use payseal_pkcs11::Pkcs11Uri;
/// let uri: Pkcs11Uri = "pkcs11:token=plant;object=sensor-7;id=%01%02\
///                       ?module-path=/usr/lib/softhsm/libsofthsm2.so".parse()?;
/// assert_eq!(uri.token(), Some("plant"));
/// assert_eq!(uri.object(), Some("sensor-7"));
/// assert_eq!(uri.id(), Some(&[1u8, 2][..]));
/// # Ok::<(), payseal_pkcs11::UriError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Pkcs11Uri {
    token: Option<String>,
    object: Option<String>,
    id: Option<Vec<u8>>,
    module_path: Option<PathBuf>,
    pin_source: Option<String>,
}

impl Pkcs11Uri {
    /// Whether `text` is meant as a `pkcs11:` URI (rather than a file name).
    pub fn looks_like(text: &str) -> bool {
        text.starts_with("pkcs11:")
    }

    /// The token label (`token=`).
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The object label (`object=`), `CKA_LABEL`.
    pub fn object(&self) -> Option<&str> {
        self.object.as_deref()
    }

    /// The object id (`id=`), `CKA_ID`.
    pub fn id(&self) -> Option<&[u8]> {
        self.id.as_deref()
    }

    /// The module named by `module-path=`, if any.
    pub fn module_path(&self) -> Option<&Path> {
        self.module_path.as_deref()
    }

    /// The module to load: `module-path=`, else the `PAYSEAL_PKCS11_MODULE` environment variable.
    ///
    /// # Errors
    /// [`Pkcs11Error::NoModule`] when neither names one.
    pub fn module(&self) -> Result<PathBuf, Pkcs11Error> {
        if let Some(path) = &self.module_path {
            return Ok(path.clone());
        }
        std::env::var_os(MODULE_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .ok_or(Pkcs11Error::NoModule)
    }

    /// The user PIN: the file named by `pin-source=file:...` (one trailing newline dropped),
    /// else the `PAYSEAL_PKCS11_PIN` environment variable. Never from the URI itself.
    ///
    /// # Errors
    /// [`Pkcs11Error::NoPin`] when neither is there, [`Pkcs11Error::PinFile`] when the file
    /// cannot be read.
    pub fn pin(&self) -> Result<Zeroizing<String>, Pkcs11Error> {
        if let Some(source) = &self.pin_source {
            return read_pin_file(source_path(source));
        }
        match std::env::var(PIN_ENV) {
            Ok(pin) if !pin.is_empty() => Ok(Zeroizing::new(pin)),
            _ => Err(Pkcs11Error::NoPin),
        }
    }

    /// Builds a URI from its parts (for tests and tools that know them).
    pub fn new(token: &str, object: &str, module_path: &Path) -> Self {
        Pkcs11Uri {
            token: Some(token.to_owned()),
            object: Some(object.to_owned()),
            id: None,
            module_path: Some(module_path.to_owned()),
            pin_source: None,
        }
    }

    /// The same URI reading its PIN from `file`.
    pub fn with_pin_file(mut self, file: &Path) -> Self {
        self.pin_source = Some(format!("file:{}", file.display()));
        self
    }
}

/// `file:///p`, `file:/p` and a bare path all name the file `/p`.
fn source_path(source: &str) -> &Path {
    let path = source
        .strip_prefix("file://")
        .or_else(|| source.strip_prefix("file:"))
        .unwrap_or(source);
    Path::new(path)
}

fn read_pin_file(path: &Path) -> Result<Zeroizing<String>, Pkcs11Error> {
    let bad = |e: std::io::Error| Pkcs11Error::PinFile {
        path: path.to_owned(),
        detail: e.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(bad)?;
    if meta.len() > MAX_PIN_FILE {
        return Err(Pkcs11Error::PinFile {
            path: path.to_owned(),
            detail: format!("{} bytes is too large for a PIN file", meta.len()),
        });
    }
    let mut text = Zeroizing::new(std::fs::read_to_string(path).map_err(bad)?);
    for suffix in ["\n", "\r"] {
        if text.ends_with(suffix) {
            text.pop();
        }
    }
    if text.is_empty() {
        return Err(Pkcs11Error::PinFile {
            path: path.to_owned(),
            detail: "empty".into(),
        });
    }
    Ok(text)
}

impl std::str::FromStr for Pkcs11Uri {
    type Err = UriError;

    fn from_str(text: &str) -> Result<Self, UriError> {
        let rest = text.strip_prefix("pkcs11:").ok_or(UriError::Scheme)?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut uri = Pkcs11Uri {
            token: None,
            object: None,
            id: None,
            module_path: None,
            pin_source: None,
        };
        for (name, value) in attributes(path, ';')? {
            match name {
                "token" => set(&mut uri.token, name, utf8(name, value)?)?,
                "object" => set(&mut uri.object, name, utf8(name, value)?)?,
                "id" => set(&mut uri.id, name, value)?,
                // Only keys are looked up: any other object type is no key payseal can use.
                "type" if matches!(value.as_slice(), b"private" | b"public") => {}
                "type" => return Err(UriError::Invalid("type must be private or public")),
                other => return Err(UriError::UnknownAttribute(other.to_owned())),
            }
        }
        for (name, value) in attributes(query, '&')? {
            match name {
                "module-path" => set(
                    &mut uri.module_path,
                    name,
                    PathBuf::from(utf8(name, value)?),
                )?,
                "pin-source" => set(&mut uri.pin_source, name, utf8(name, value)?)?,
                "pin-value" => return Err(UriError::PinValue),
                other => return Err(UriError::UnknownAttribute(other.to_owned())),
            }
        }
        if uri.object.is_none() && uri.id.is_none() {
            return Err(UriError::Invalid("name the key with object= or id="));
        }
        Ok(uri)
    }
}

/// `name=value` pairs separated by `sep`, values percent-decoded.
fn attributes(text: &str, sep: char) -> Result<Vec<(&str, Vec<u8>)>, UriError> {
    text.split(sep)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (name, value) = part
                .split_once('=')
                .ok_or(UriError::Invalid("an attribute must be name=value"))?;
            Ok((name, percent_decode(value)?))
        })
        .collect()
}

fn set<T>(slot: &mut Option<T>, name: &str, value: T) -> Result<(), UriError> {
    if slot.replace(value).is_some() {
        return Err(UriError::Repeated(name.to_owned()));
    }
    Ok(())
}

fn utf8(name: &str, value: Vec<u8>) -> Result<String, UriError> {
    String::from_utf8(value).map_err(|_| UriError::NotUtf8(name.to_owned()))
}

fn percent_decode(text: &str) -> Result<Vec<u8>, UriError> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = bytes.next().and_then(hex_digit);
            let lo = bytes.next().and_then(hex_digit);
            match (hi, lo) {
                (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                _ => return Err(UriError::Invalid("bad percent-encoding")),
            }
        } else {
            out.push(b);
        }
    }
    Ok(out)
}

fn hex_digit(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

fn percent_encode(bytes: &[u8], out: &mut String) {
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

impl fmt::Display for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut path = Vec::new();
        let mut push = |name: &str, value: &[u8]| {
            let mut text = format!("{name}=");
            percent_encode(value, &mut text);
            path.push(text);
        };
        if let Some(token) = &self.token {
            push("token", token.as_bytes());
        }
        if let Some(object) = &self.object {
            push("object", object.as_bytes());
        }
        if let Some(id) = &self.id {
            push("id", id);
        }
        write!(f, "pkcs11:{}", path.join(";"))?;
        let mut query = Vec::new();
        if let Some(module) = &self.module_path {
            query.push(format!("module-path={}", module.display()));
        }
        if let Some(source) = &self.pin_source {
            query.push(format!("pin-source={source}"));
        }
        if !query.is_empty() {
            write!(f, "?{}", query.join("&"))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A URI holds no secret (pin-value is refused), so it prints as written.
        write!(f, "Pkcs11Uri({self})")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn parses_path_and_query_attributes() {
        let uri: Pkcs11Uri =
            "pkcs11:token=My%20Token;object=k;type=private?module-path=/m.so&pin-source=file:/p"
                .parse()
                .unwrap();
        assert_eq!(uri.token(), Some("My Token"));
        assert_eq!(uri.object(), Some("k"));
        assert_eq!(uri.module_path(), Some(Path::new("/m.so")));
        assert_eq!(
            source_path(uri.pin_source.as_deref().unwrap()),
            Path::new("/p")
        );
        assert_eq!(uri.to_string().parse::<Pkcs11Uri>().unwrap(), uri);
    }

    #[test]
    fn refuses_what_it_cannot_honour() {
        let cases = [
            ("file.key", UriError::Scheme),
            ("pkcs11:token=t;object=k?pin-value=1234", UriError::PinValue),
            (
                "pkcs11:token=t;object=k;serial=42",
                UriError::UnknownAttribute("serial".into()),
            ),
            (
                "pkcs11:token=t;object=a;object=b",
                UriError::Repeated("object".into()),
            ),
            (
                "pkcs11:token=t",
                UriError::Invalid("name the key with object= or id="),
            ),
            (
                "pkcs11:object=%4",
                UriError::Invalid("bad percent-encoding"),
            ),
            (
                "pkcs11:object=k;type=cert",
                UriError::Invalid("type must be private or public"),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<Pkcs11Uri>().unwrap_err(), expected, "{text}");
        }
    }
}
