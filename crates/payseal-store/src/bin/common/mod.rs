//! What the test processes share: arguments, test keys, line output.

use std::collections::HashMap;
use std::io::Write;

use payseal::{Algorithm, SigningKey};

/// `--name value` pairs from the command line.
pub(crate) struct Args(HashMap<String, String>);

impl Args {
    pub(crate) fn parse() -> Result<Self, String> {
        let mut map = HashMap::new();
        let mut args = std::env::args().skip(1);
        while let Some(name) = args.next() {
            let name = name
                .strip_prefix("--")
                .ok_or_else(|| format!("expected --name, got {name}"))?
                .to_string();
            let value = args
                .next()
                .ok_or_else(|| format!("--{name} needs a value"))?;
            map.insert(name, value);
        }
        Ok(Args(map))
    }

    pub(crate) fn get(&self, name: &str) -> Result<&str, String> {
        self.0
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| format!("missing --{name}"))
    }

    pub(crate) fn get_or<'a>(&'a self, name: &str, default: &'a str) -> &'a str {
        self.0.get(name).map_or(default, String::as_str)
    }

    pub(crate) fn num<T: std::str::FromStr>(&self, name: &str) -> Result<T, String> {
        self.get(name)?
            .parse()
            .map_err(|_| format!("--{name} is not a number"))
    }
}

/// The deterministic Ed25519 test key for `seed` (tests and processes agree on keys this way;
/// never a way to make real keys).
pub(crate) fn test_key(seed: u8) -> Result<SigningKey, String> {
    SigningKey::from_secret_bytes(Algorithm::Ed25519, &[seed; 32]).map_err(|e| e.to_string())
}

/// Prints one line and flushes it at once: the test reads lines as they come, and a killed
/// process must not take printed lines with it.
pub(crate) fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
