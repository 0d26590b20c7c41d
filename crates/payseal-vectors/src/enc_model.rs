//! The JSON shape of `test-vectors/encrypt.json` (spec/encryption.md §8): the shared model of
//! `payseal-vector-model`, with the generator's literal text.

pub(crate) type EncFile = payseal_vector_model::encrypt::EncFile<&'static str>;
pub(crate) type RecipientEntry = payseal_vector_model::encrypt::RecipientEntry<&'static str>;
pub(crate) type GroupEntry = payseal_vector_model::encrypt::GroupEntry<&'static str>;
pub(crate) type Receiver = payseal_vector_model::encrypt::Receiver<&'static str>;
pub(crate) type EncVector = payseal_vector_model::encrypt::EncVector<&'static str>;
