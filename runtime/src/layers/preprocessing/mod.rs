//! Preprocessing layers: state learned from data by `adapt` (Keras's preprocessing layers),
//! kept inside the model and saved with its weights.

pub mod normalization;

pub use normalization::Normalization;
