//! `[[ca]]` and `[[group]]`: every mistake is a located error.

use std::path::{Path, PathBuf};

use super::*;

/// A scratch directory for files a trust file names, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("payseal-pki-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn write(&self, file: &str, bytes: &[u8], mode: u32) {
        let path = self.0.join(file);
        std::fs::write(&path, bytes).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        #[cfg(not(unix))]
        let _ = mode;
    }

    fn parse(&self, text: &str) -> Result<TrustConfig, ConfigFileError> {
        TrustConfig::parse(text, Path::new("trust.toml"), &self.0)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The error's `line:col` and message.
fn located(result: Result<TrustConfig, ConfigFileError>) -> ((usize, usize), String) {
    let error = result.unwrap_err();
    (error.at.expect("a located error"), error.message)
}

const SECRET_HEX: &str = "000102030405060708090a0b0c0d0e0f\n";

#[test]
fn a_group_entry_decrypts_and_encrypts_its_topics() {
    let dir = Dir::new("group-ok");
    dir.write("plant.group", SECRET_HEX.as_bytes(), 0o600);
    let config = dir
        .parse("[[group]]\nname = \"plant\"\nkid = \"plant-1\"\nsecret = \"plant.group\"\ntopics = [\"plant/#\"]\n")
        .unwrap();
    assert_eq!(config.groups.len(), 1);
    assert_eq!(config.groups[0].key.kid().as_bytes(), b"plant-1");
    assert_eq!(config.groups[0].key.alg(), payseal::ContentAlg::A128Gcm);
    assert!(matches!(
        config.audiences.as_slice(),
        [(filter, payseal::Audience::Group(_))] if filter == "plant/#"
    ));
}

#[test]
fn group_mistakes_are_located() {
    let dir = Dir::new("group-bad");
    dir.write("open.group", SECRET_HEX.as_bytes(), 0o644);
    dir.write("ok.group", SECRET_HEX.as_bytes(), 0o600);
    dir.write("short.group", b"0001\n", 0o600);
    dir.write("text.group", b"not hex at all\n", 0o600);
    let cases: [(&str, (usize, usize), &str); 8] = [
        // Inline secrets are refused, whatever their form.
        (
            "[[group]]\nkid = \"g\"\nsecret = \"000102030405060708090a0b0c0d0e0f\"\n",
            (3, 10),
            "never the secret itself",
        ),
        (
            "[[group]]\nkid = \"g\"\nsecret = '''\n00\n'''\n",
            (3, 10),
            "never the secret itself",
        ),
        (
            "[[group]]\nkid = \"g\"\nsecret = \"open.group\"\n",
            (3, 10),
            "has mode 644: a group secret must be readable by its owner only",
        ),
        (
            "[[group]]\nkid = \"g\"\nsecret = \"short.group\"\n",
            (3, 10),
            "2 bytes, but a128gcm needs 16",
        ),
        (
            "[[group]]\nkid = \"g\"\nsecret = \"text.group\"\n",
            (3, 10),
            "holds the secret as hex",
        ),
        (
            "[[group]]\nkid = \"\"\nsecret = \"ok.group\"\n",
            (2, 7),
            "kid \"\"",
        ),
        (
            "[[group]]\nkid = \"g\"\nalg = \"chacha20poly1305\"\nsecret = \"ok.group\"\n",
            (3, 7),
            "a group key is a128gcm or a256gcm",
        ),
        (
            "[[group]]\nkid = \"g\"\nsecret = \"ok.group\"\ntopics = [\"a/#/b\"]\n",
            (4, 11),
            "invalid topic filter",
        ),
    ];
    for (text, at, needle) in cases {
        let (found, message) = located(dir.parse(text));
        assert_eq!(found, at, "{text}: {message}");
        assert!(message.contains(needle), "{text}: {message}");
    }
    // The same kid twice, and a missing file (an I/O error, located too).
    let (at, message) = located(dir.parse(
        "[[group]]\nkid = \"g\"\nsecret = \"ok.group\"\n[[group]]\nkid = \"g\"\nsecret = \"ok.group\"\n",
    ));
    assert_eq!(at, (5, 7), "{message}");
    let error = dir
        .parse("[[group]]\nkid = \"g\"\nsecret = \"missing.group\"\n")
        .unwrap_err();
    assert!(error.unreadable);
    assert_eq!(error.at, Some((3, 10)));
}

#[test]
fn ca_mistakes_are_located() {
    let dir = Dir::new("ca-bad");
    dir.write(
        "garbage.pem",
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        0o644,
    );
    dir.write("garbage.crl", b"not a crl", 0o644);
    let cases: [(&str, (usize, usize), &str); 6] = [
        (
            "[[ca]]\nroots = []\n",
            (2, 9),
            "give at least one CA certificate file",
        ),
        (
            "[[ca]]\nroots = [\"garbage.pem\"]\n",
            (2, 10),
            "not PEM certificates",
        ),
        (
            "[[ca]]\nroots = [\"missing.pem\"]\n",
            (2, 10),
            "cannot read",
        ),
        (
            "[[ca]]\nroots = [\"garbage.pem\"]\neku = \"x\"\n",
            (2, 10),
            "not PEM certificates",
        ),
        (
            "[[ca]]\nroots = [\"garbage.pem\"]\ncolour = 1\n",
            (3, 1),
            "unknown field",
        ),
        ("[[ca]]\nname = \"dev\"\n", (1, 1), "missing field `roots`"),
    ];
    for (text, at, needle) in cases {
        let (found, message) = located(dir.parse(text));
        assert_eq!(found, at, "{text}: {message}");
        assert!(message.contains(needle), "{text}: {message}");
    }
}

/// With a real CA (rcgen, as `payseal ca` uses it): the remaining fields.
#[cfg(feature = "net")]
#[test]
fn ca_entries_read_roots_subjects_and_refuse_bad_fields() {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let dir = Dir::new("ca-good");
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let leaf = CertificateParams::new(Vec::<String>::new())
        .unwrap()
        .self_signed(&leaf_key)
        .unwrap();
    dir.write("ca.pem", ca.pem().as_bytes(), 0o644);
    dir.write("ca.der", ca.der(), 0o644);
    dir.write("leaf.pem", leaf.pem().as_bytes(), 0o644);
    dir.write("revoked.txt", b"", 0o644);
    dir.write("garbage.crl", b"not a crl", 0o644);

    let config = dir
        .parse(
            "[[ca]]\nname = \"dev\"\nroots = [\"ca.pem\", \"ca.der\"]\neku = \"client_auth\"\ndeny_list = \"revoked.txt\"\nchains = [\"leaf.pem\"]\n[[ca.subject]]\ncn = \"dashboard\"\ntopics = [\"ui/#\"]\n",
        )
        .unwrap();
    let ca_entry = &config.cas[0];
    assert_eq!(ca_entry.roots.len(), 2);
    assert_eq!(ca_entry.roots[0].der, ca.der().to_vec());
    assert_eq!(ca_entry.eku, Eku::ClientAuth);
    assert_eq!(
        ca_entry.subjects,
        vec![("dashboard".to_owned(), vec!["ui/#".to_owned()])]
    );
    assert_eq!(ca_entry.chains.len(), 1);
    assert_eq!(ca_entry.deny_list.as_ref().unwrap().at, (5, 13));
    assert_eq!(config.rules[0].who, "dev: CN=dashboard");

    let cases: [(&str, (usize, usize), &str); 6] = [
        (
            "[[ca]]\nroots = [\"leaf.pem\"]\n",
            (2, 10),
            "is not a CA certificate",
        ),
        (
            "[[ca]]\nroots = [\"ca.pem\"]\neku = \"any\"\n",
            (3, 7),
            "unknown extended key usage",
        ),
        (
            "[[ca]]\nroots = [\"ca.pem\"]\ndeny_list = \"nope.txt\"\n",
            (3, 13),
            "is not a readable file",
        ),
        (
            "[[ca]]\nroots = [\"ca.pem\"]\ncrls = [\"garbage.crl\"]\n",
            (3, 9),
            "not an X.509 CRL",
        ),
        (
            "[[ca]]\nroots = [\"ca.pem\"]\n[[ca.subject]]\ncn = \"d\"\ntopics = [\"a/#/b\"]\n",
            (5, 11),
            "invalid topic filter",
        ),
        (
            "[[ca]]\nroots = [\"ca.pem\"]\n[[ca.subject]]\ncn = \"d\"\ntopics = []\n",
            (5, 10),
            "no topics",
        ),
    ];
    for (text, at, needle) in cases {
        let (found, message) = located(dir.parse(text));
        assert_eq!(found, at, "{text}: {message}");
        assert!(message.contains(needle), "{text}: {message}");
    }
}
