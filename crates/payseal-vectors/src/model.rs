//! The JSON shape of `test-vectors/sign1.json` (spec/envelope.md §8): the shared model of
//! `payseal-vector-model`, with the generator's literal text.

pub(crate) use payseal_vector_model::sign1::{KeyEntry, PolicyEntry};

pub(crate) type VectorFile = payseal_vector_model::sign1::VectorFile<&'static str>;
pub(crate) type TrustEntry = payseal_vector_model::sign1::TrustEntry<&'static str>;
pub(crate) type Vector = payseal_vector_model::sign1::Vector<&'static str>;
