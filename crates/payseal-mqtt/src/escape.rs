//! Text that someone else chose (a broker's topic, a reason string, an error message that
//! quotes either), made safe to print on a terminal.
//!
//! A broker decides which topic a message is delivered on, and topics may hold any character
//! but NUL: a newline forges a line of output, an ANSI escape sequence rewrites the screen or
//! the window title. Everything the adapters report and the `payseal` command prints that
//! neither wrote itself (topics, reason strings, messages quoting them) goes through
//! [`escape_text`] (or [`escape_bytes`]) first: the one home of these rules.

use std::fmt::Write;

/// `text` with every character that could control a terminal replaced by a visible escape:
/// `\n`, `\r`, `\t`, `\xNN` for the other C0 controls and DEL, `\u{NNNN}` for C1 controls,
/// bidirectional overrides and isolates, and other invisible format characters that can
/// reorder or hide text (zero-width characters, the BOM, line and paragraph separators).
///
/// Backslashes are left as they are, so escaping twice changes nothing; text that already
/// contains `\n` as two characters looks like an escaped newline, which is harmless.
///
/// ```
/// use payseal_mqtt::escape_text;
/// assert_eq!(escape_text("plant/3/temp"), "plant/3/temp");
/// assert_eq!(
///     escape_text("x\n\u{1b}[2K21.5 \u{202e}"),
///     "x\\n\\x1b[2K21.5 \\u{202e}"
/// );
/// assert_eq!(escape_text(&escape_text("a\rb")), "a\\rb");
/// ```
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_char(&mut out, c);
    }
    out
}

/// Like [`escape_text`], for bytes that need not be UTF-8: each byte of an invalid sequence
/// is shown as `\xNN`.
///
/// ```
/// use payseal_mqtt::escape_bytes;
/// assert_eq!(escape_bytes(b"plant/\xff\x1b"), "plant/\\xff\\x1b");
/// ```
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut out, c);
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

fn push_char(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\0'..='\u{1f}' | '\u{7f}' => {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        c if is_hidden(c) => {
            let _ = write!(out, "\\u{{{:04x}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

/// C1 controls and the invisible format characters that can reorder or hide text.
fn is_hidden(c: char) -> bool {
    matches!(
        c,
        '\u{80}'..='\u{9f}'
            | '\u{ad}'
            | '\u{061c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_character_is_escaped() {
        for c in (0u32..0x20).chain([0x7f]).chain(0x80..0xa0) {
            let c = char::from_u32(c).unwrap();
            let shown = escape_text(&format!("a{c}b"));
            assert!(
                shown.chars().all(|s| !s.is_control()),
                "{c:?} shown as {shown:?}"
            );
            assert!(
                shown.starts_with("a\\") && shown.ends_with('b'),
                "{shown:?}"
            );
        }
    }

    #[test]
    fn invalid_utf8_bytes_are_shown_as_hex() {
        assert_eq!(escape_bytes(b"a\xff\n"), "a\\xff\\n");
    }

    #[test]
    fn printable_text_is_unchanged() {
        for text in [
            "plant/3/temp",
            "zone/é/ß/温度",
            "$SYS/broker",
            "a\\nb",
            "emoji 🌡",
        ] {
            assert_eq!(escape_text(text), text);
        }
    }
}
