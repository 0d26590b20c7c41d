//! The JSON shape of payseal's test vectors, in one place: `payseal-vectors` writes these
//! structures and the tests of `payseal` and `payseal-mqtt` read them back, so a field cannot
//! be renamed on one side only.
//!
//! Text that the generator takes from string literals is a type parameter `S`: the generator
//! uses `&'static str`, readers the default `String`.
//!
//! ```
//! use payseal_vector_model::sign1::TrustEntry;
//! let entry: TrustEntry = serde_json::from_str(r#"{"key": "a", "topics": ["plant/#"]}"#)?;
//! assert_eq!(entry.topics, ["plant/#"]);
//! # Ok::<(), serde_json::Error>(())
//! ```

#![forbid(unsafe_code)]

pub mod encrypt;
pub mod epochs;
pub mod kind;
pub mod mac;
pub mod sign1;
