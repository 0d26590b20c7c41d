//! Keys: signing and verifying keys for the three algorithms, their files and key ids.

pub(crate) mod cose_key;
mod kid;
mod signature;
mod signing;
mod verifying;

pub use kid::Kid;
pub use signature::Signature;
pub use signing::SigningKey;
pub use verifying::VerifyingKey;

#[cfg(test)]
mod tests;
