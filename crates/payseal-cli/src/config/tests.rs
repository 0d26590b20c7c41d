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

/// A scratch directory holding `plant.secret` (mode `mode`) for `[[mac_sender]]` tests.
fn mac_dir(name: &str, mode: u32) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("payseal-config-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let secret = payseal::MacSecret::from_bytes(&[7; 32]).unwrap();
    let path = dir.join("plant.secret");
    let text = crate::macfile::secret_text(&secret, payseal::MacAlgorithm::Hmac256_64);
    std::fs::write(&path, text.as_bytes()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    dir
}

const MAC_SENDER: &str = r#"
[[mac_sender]]
name = "sensor-7"
secret = "plant.secret"
kid = "sensor-7"
topics = ["plant/7/#"]
"#;

#[test]
fn a_mac_sender_is_trusted_under_the_key_derived_from_its_secret_file() {
    let dir = mac_dir("mac-ok", 0o600);
    let config = TrustConfig::parse(MAC_SENDER, Path::new("trust.toml"), &dir).unwrap();
    let kid = payseal::Kid::new(b"sensor-7".to_vec()).unwrap();
    let sender = config.trust.mac_sender(&kid).unwrap();
    let expected = payseal::MacSecret::from_bytes(&[7; 32])
        .unwrap()
        .sender_key(kid.clone(), payseal::MacAlgorithm::Hmac256_64);
    assert_eq!(sender.key().tag(b"m"), expected.tag(b"m"));
    assert_eq!(sender.key().algorithm(), payseal::MacAlgorithm::Hmac256_64);
    assert!(sender.topics().iter().any(|t| t.matches("plant/7/temp")));
    assert_eq!(config.name_of(&kid), "sensor-7");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn mac_sender_errors_are_located() {
    let dir = mac_dir("mac-errors", 0o600);
    let parse_in = |text: &str| TrustConfig::parse(text, Path::new("trust.toml"), &dir);
    let cases = [
        // The secret inline, not a path.
        (
            MAC_SENDER.replace(
                "secret = \"plant.secret\"",
                "secret = \"payseal mac secret v1 alg hmac256 secret 0707\"",
            ),
            (4, 10),
            "never the secret itself",
        ),
        (
            MAC_SENDER.replace("kid = \"sensor-7\"", "kid = \"\""),
            (5, 7),
            "kid \"\"",
        ),
        (
            MAC_SENDER.replace("plant/7/#", "plant/#/7"),
            (6, 11),
            "invalid topic filter",
        ),
        (
            MAC_SENDER.replace("secret = \"plant.secret\"", "secret = \"missing.secret\""),
            (4, 10),
            "cannot read key file",
        ),
        // A kid used twice.
        (
            format!("{MAC_SENDER}{MAC_SENDER}"),
            (11, 7),
            "duplicate key id",
        ),
    ];
    for (text, at, needle) in cases {
        let error = parse_in(&text).unwrap_err();
        assert_eq!(error.at, Some(at), "{error}");
        assert!(error.message.contains(needle), "{error}");
        assert!(!error.to_string().contains("0707"), "{error}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn a_mac_secret_others_may_read_is_refused() {
    let dir = mac_dir("mac-mode", 0o644);
    let error = TrustConfig::parse(MAC_SENDER, Path::new("trust.toml"), &dir).unwrap_err();
    assert_eq!(error.at, Some((4, 10)), "{error}");
    assert!(error.message.contains("has mode 644"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sender_validity_windows_for_a_rollover() {
    let old = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let new = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let text = format!(
        r#"
[[sender]]
name = "old"
public_key = {old}
topics = ["plant/#"]
not_after = 2023-11-14T22:23:20Z

[[sender]]
name = "new"
public_key = {new}
topics = ["plant/#"]
not_before = 2023-11-14T22:13:20Z
"#,
        old = inline(&old.verifying_key().to_public_key_pem().unwrap()),
        new = inline(&new.verifying_key().to_public_key_pem().unwrap()),
    );
    let config = parse(&text).unwrap();
    let validity = |k: &SigningKey| config.trust.sender(&k.kid()).unwrap().validity();
    assert_eq!(validity(&old).not_after(), Some(1_700_000_600));
    assert_eq!(validity(&old).not_before(), None);
    assert_eq!(validity(&new).not_before(), Some(1_700_000_000));

    let local = text.replace("2023-11-14T22:23:20Z", "2023-11-14T22:23:20");
    let err = parse(&local).unwrap_err().to_string();
    assert!(err.contains("old: ") && err.contains("offset"), "{err}");
}

#[test]
fn mac_sender_validity_windows_for_a_rollover() {
    let dir = mac_dir("mac-validity", 0o600);
    let text = format!(
        "{MAC_SENDER}not_before = 2023-11-14T22:13:20Z\nnot_after = 2023-11-14T23:13:20+01:00\n"
    );
    let config = TrustConfig::parse(&text, Path::new("trust.toml"), &dir).unwrap();
    let kid = payseal::Kid::new(b"sensor-7".to_vec()).unwrap();
    let validity = config.trust.mac_sender(&kid).unwrap().validity();
    assert_eq!(validity.not_before(), Some(1_700_000_000));
    assert_eq!(validity.not_after(), Some(1_700_000_000));

    let inverted = text.replace("23:13:20+01:00", "22:13:19Z");
    let err = TrustConfig::parse(&inverted, Path::new("trust.toml"), &dir)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("sensor-7: ") && err.contains("not_before is after not_after"),
        "{err}"
    );
    let local = text.replace("2023-11-14T22:13:20Z", "2023-11-14T22:13:20");
    let err = TrustConfig::parse(&local, Path::new("trust.toml"), &dir)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("sensor-7: ") && err.contains("offset"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
