//! JSON lines for machines (`sub --json`, `inspect --json`, the quarantine log): one object
//! per line, bytes as UTF-8 text or base64 (a field says which), and no raw control
//! characters, so a line a broker shaped is safe on a terminal and still decodes to the
//! same strings.

use base64::Engine;
use serde_json::{Map, Value};

/// Adds `payload` (the text when `bytes` are UTF-8, else base64) and `payload_encoding`
/// (`"utf8"` or `"base64"`) to `object`.
pub(crate) fn put_bytes(object: &mut Map<String, Value>, bytes: &[u8]) {
    let (text, encoding) = match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), "utf8"),
        Err(_) => (
            base64::engine::general_purpose::STANDARD.encode(bytes),
            "base64",
        ),
    };
    object.insert("payload".into(), Value::String(text));
    object.insert("payload_encoding".into(), encoding.into());
}

/// `object` as one line of JSON and a newline. serde_json escapes the C0 controls; the
/// characters it leaves raw that a terminal may act on (DEL, the C1 controls, bidi
/// overrides, line and paragraph separators) are written as `\uXXXX` escapes too.
pub(crate) fn line(object: Map<String, Value>) -> String {
    let text = Value::Object(object).to_string();
    let mut out = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        if matches!(c, '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_decode_back() {
        let mut object = Map::new();
        object.insert("topic".into(), "a\u{1b}[2J\u{9b}b\u{202e}c\u{7f}".into());
        put_bytes(&mut object, &[0xff, 0x00]);
        let text = line(object);
        assert!(text.ends_with('\n'));
        assert_eq!(text.trim_end().lines().count(), 1);
        assert!(
            text.chars().all(|c| !c.is_control() || c == '\n'),
            "{text:?}"
        );
        assert!(!text.contains('\u{202e}'));
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["topic"], "a\u{1b}[2J\u{9b}b\u{202e}c\u{7f}");
        assert_eq!(back["payload"], "/wA=");
        assert_eq!(back["payload_encoding"], "base64");
    }

    #[test]
    fn utf8_payloads_stay_text() {
        let mut object = Map::new();
        put_bytes(&mut object, "21.5 °C".as_bytes());
        let back: Value = serde_json::from_str(&line(object)).unwrap();
        assert_eq!(back["payload"], "21.5 °C");
        assert_eq!(back["payload_encoding"], "utf8");
    }
}
