//! `payseal inspect` on arbitrary input: it must describe or refuse, never panic, and never
//! print a line it cannot produce for a small input in bounded time.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match payseal_cli::inspect::inspect(data) {
        Ok(text) => assert!(text.starts_with("payseal envelope (COSE_Sign1)")),
        Err(reason) => assert!(!reason.is_empty()),
    }
});
