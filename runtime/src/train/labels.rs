//! [`Labels`]: which label types a loss takes for a model's output, checked at compile time.
//!
//! A loss that compares with the output (crossentropy on one-hot labels, regression losses)
//! takes labels of the output's own array type, `[f32; 10]` for a 10-way output; the sparse
//! crossentropy takes one class id per sample, `u32`. Any other pairing is a compile error that
//! names the labels, the loss and the output.
//!
//! The label type is the trait's `Self`: rustc then reads it from the labels handed to `fit`
//! (it never guesses an unknown `Self` from the impls), and a mismatch reports this trait's
//! message instead of a bare type mismatch.

use crate::tensor::Sample;
use crate::train::loss::{
    BinaryCrossentropy, CategoricalCrossentropy, Huber, MeanAbsoluteError, MeanSquaredError,
    SparseCategoricalCrossentropy,
};
use crate::train::Targets;

/// Labels of type `Self` train a model whose output sample is `Out` with the loss `L`.
#[diagnostic::on_unimplemented(
    message = "labels of type `{Self}` do not fit the loss `{L}` for a model whose output is `{Out}`",
    label = "labels of type `{Self}`",
    note = "CategoricalCrossentropy, BinaryCrossentropy, MeanSquaredError, MeanAbsoluteError and Huber take one label per sample of the output's own type, `{Out}`",
    note = "integer class ids (`u32`) need SparseCategoricalCrossentropy"
)]
pub trait Labels<L, Out>: Sized {
    /// The labels as the loss reads them.
    fn targets(labels: &[Self]) -> Targets<'_>;
}

macro_rules! labels_like_output {
    ($($loss:ty),*) => {$(
        impl<T: Sample> Labels<$loss, T> for T {
            fn targets(labels: &[T]) -> Targets<'_> {
                Targets::Dense(T::flatten(labels))
            }
        }
    )*};
}

labels_like_output!(CategoricalCrossentropy, BinaryCrossentropy, MeanSquaredError, MeanAbsoluteError, Huber);

impl<const C: usize> Labels<SparseCategoricalCrossentropy, [f32; C]> for u32 {
    fn targets(labels: &[u32]) -> Targets<'_> {
        Targets::Sparse(labels)
    }
}
