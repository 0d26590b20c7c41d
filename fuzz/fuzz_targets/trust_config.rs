//! The trust configuration parser on arbitrary text: a located error or a configuration,
//! never a panic. Key paths resolve against a directory that does not exist.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use payseal_cli::config::TrustConfig;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = TrustConfig::parse(text, Path::new("fuzz.toml"), Path::new("/nonexistent")) {
        assert!(!e.to_string().is_empty());
        if let Some((line, col)) = e.at {
            assert!(line >= 1 && col >= 1);
            assert!(line <= text.lines().count() + 1);
        }
    }
});
