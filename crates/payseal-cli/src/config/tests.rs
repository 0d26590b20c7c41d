use std::path::Path;

use payseal::{Algorithm, KemKind, RecipientKey, SigningKey};

use super::*;

fn parse(text: &str) -> Result<TrustConfig, ConfigFileError> {
    TrustConfig::parse(text, Path::new("trust.toml"), Path::new("/nonexistent"))
}

fn inline(pem: &str) -> String {
    format!("'''\n{pem}'''")
}

#[test]
fn full_file_parses_and_builds_everything() {
    let sensor = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let me = RecipientKey::generate(KemKind::X25519).unwrap();
    let other = RecipientKey::generate(KemKind::X25519).unwrap();
    let text = format!(
        r#"
[policy]
max_age_secs = 60
max_future_skew_secs = 5
window = 256

[[sender]]
name = "sensor-1"
public_key = {pk}
kid = "{kid}"
topics = ["plant/+/temp", "plant/1/#"]

[decrypt]
keys = [{mine}]
require_encryption = ["plant/+/temp"]

[[encrypt]]
topics = "plant/#"
recipients = [{theirs}]
content = "a256gcm"
"#,
        pk = inline(&sensor.verifying_key().to_public_key_pem().unwrap()),
        kid = sensor.kid(),
        mine = inline(&me.to_pkcs8_pem().unwrap()),
        theirs = inline(&other.public_key().to_public_key_pem().unwrap()),
    );
    let config = parse(&text).unwrap();
    assert_eq!(config.policy.max_age_secs(), 60);
    assert_eq!(config.policy.window(), 256);
    assert!(
        config
            .trust
            .sender(&sensor.kid())
            .unwrap()
            .may_publish("plant/3/temp")
    );
    assert!(
        !config
            .trust
            .sender(&sensor.kid())
            .unwrap()
            .may_publish("plant/3/valve")
    );
    assert_eq!(config.name_of(&sensor.kid()), "sensor-1");
    assert!(config.keyring.requires_encryption("plant/9/temp"));
    assert_eq!(config.audiences.len(), 1);
}

#[test]
fn errors_name_line_and_column() {
    let sensor = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let pk = inline(&sensor.verifying_key().to_public_key_pem().unwrap());
    let cases: Vec<(String, usize, &str)> = vec![
        ("[[sender]]\npublic_key = 'x.pub'\ntopics = ['a']\n".into(), 2, "cannot read key file"),
        (format!("[[sender]]\npublic_key = {pk}\ntopics = ['a/#/b']\n"), 0, "invalid topic filter"),
        (format!("[[sender]]\npublic_key = {pk}\ntopics = []\n"), 0, "no topics"),
        (format!("[[sender]]\npublic_key = {pk}\nkid = '00'\ntopics = ['a']\n"), 0, "does not match"),
        ("[policy]\nwindow = 3\n".into(), 2, "invalid policy"),
        ("[policy]\nmax_age = 3\n".into(), 2, "unknown field"),
        ("[[sender]]\npublic_key = 'a'\n".into(), 1, "missing field `topics`"),
        ("this is = = not toml".into(), 1, ""),
        ("[[encrypt]]\ntopics = 'a/#'\nrecipients = ['-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----\\n']\n".into(), 3, "recipient"),
    ];
    for (text, line, needle) in cases {
        let err = parse(&text).unwrap_err();
        let shown = err.to_string();
        assert!(shown.starts_with("trust.toml:"), "{shown}");
        assert!(shown.contains(needle), "{shown:?} lacks {needle:?}");
        let (at_line, col) = err.at.unwrap_or_else(|| panic!("no location in {shown}"));
        assert!(col >= 1);
        if line > 0 {
            assert_eq!(at_line, line, "{shown}");
        }
        assert!(!shown.contains('\n'), "multi-line error: {shown:?}");
    }
}

#[test]
fn a_private_key_in_a_trust_file_is_refused() {
    let sensor = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let text = format!(
        "[[sender]]\npublic_key = {}\ntopics = ['a']\n",
        inline(&sensor.to_pkcs8_pem().unwrap())
    );
    let err = parse(&text).unwrap_err().to_string();
    assert!(err.contains("private key"), "{err}");
    assert!(!err.contains("BEGIN"), "{err}");
}

#[test]
fn line_col_counts_characters() {
    assert_eq!(line_col("ab\ncdé\nf", 0), (1, 1));
    assert_eq!(line_col("ab\ncdé\nf", 3), (2, 1));
    assert_eq!(line_col("ab\ncdé\nf", 8), (3, 1));
    assert_eq!(line_col("ab\ncdé\nf", 7), (2, 4));
    assert_eq!(line_col("ab", 100), (1, 3));
}

/// Issue 16 item 17: a small-order Ed25519 key in a trust file was refused as "not a usable
/// public key (not a supported X25519 or P-256 SPKI public key)"; it is a weak key.
#[test]
fn a_small_order_ed25519_sender_key_is_refused_as_weak() {
    // SPKI of the Ed25519 identity point (y = 1).
    let weak = "-----BEGIN PUBLIC KEY-----\n\
                MCowBQYDK2VwAyEAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\
                -----END PUBLIC KEY-----\n";
    let text = format!(
        "[[sender]]\npublic_key = {}\ntopics = [\"plant/#\"]\n",
        inline(weak)
    );
    let error = parse(&text).err().unwrap().to_string();
    assert!(error.contains("weak key"), "{error}");
    assert!(!error.contains("X25519"), "{error}");
}
