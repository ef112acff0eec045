//! Preprocessing layers: state learned from data by `adapt` (Keras's preprocessing layers),
//! kept inside the model and saved with its weights.

pub mod category_encoding;
pub mod discretization;
pub mod normalization;

pub use category_encoding::{CategoryEncoding, EncodingMode};
pub use discretization::Discretization;
pub use normalization::Normalization;
