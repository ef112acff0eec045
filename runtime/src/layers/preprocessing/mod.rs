//! Preprocessing layers: state learned from data by `adapt` (Keras's preprocessing layers),
//! kept inside the model and saved with its weights.

pub mod category_encoding;
pub mod discretization;
mod hash_fn;
pub mod hashing;
pub mod index_lookup;
pub mod lookup;
pub mod missing_indicator;
pub mod normalization;

pub use category_encoding::{CategoryEncoding, EncodingMode};
pub use discretization::Discretization;
pub use hashing::{Hashing, HashingMask, Salt};
pub use index_lookup::{LookupOptions, VocabularyToken};
pub use lookup::{IntegerLookup, Lookup, LookupToken, StringLookup};
pub use missing_indicator::MissingIndicator;
pub use normalization::Normalization;
