//! Runnable examples for payseal; see the `[[example]]` entries of this package.

/// Every Rust code block of the repository's README, compiled (and run unless `no_run`) as a
/// doc test of this package: `cargo test -p payseal-examples --doc`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
