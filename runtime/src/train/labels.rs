//! [`Labels`]: which label types a loss takes for a model's output, checked at compile time.
//!
//! A loss that compares with the output (crossentropy on one-hot labels, regression losses)
//! takes labels of the output's own type: `[f32; 10]` for a 10-way output, `Vec<[f32; 10]>`
//! (one per step) for a sequence output `[None, 10]`. The sparse crossentropy takes class ids:
//! `u32` per sample, or `Vec<u32>` per step. Any other pairing is a compile error that names
//! the labels, the loss and the output.
//!
//! The label type is the trait's `Self`: rustc then reads it from the labels handed to `fit`
//! (it never guesses an unknown `Self` from the impls), and a mismatch reports this trait's
//! message instead of a bare type mismatch.

use crate::tensor::Sample;
use crate::train::loss::{
    BinaryCrossentropy, CategoricalCrossentropy, Huber, MeanAbsoluteError, MeanSquaredError,
    SparseCategoricalCrossentropy,
};

/// Labels of type `Self` train a model whose output sample is `Out` with the loss `L`.
#[diagnostic::on_unimplemented(
    message = "labels of type `{Self}` do not fit the loss `{L}` for a model whose output is `{Out}`",
    label = "labels of type `{Self}`",
    note = "CategoricalCrossentropy, BinaryCrossentropy, MeanSquaredError, MeanAbsoluteError and Huber take one label per sample of the output's own type, `{Out}`",
    note = "integer class ids (`u32`, or `Vec<u32>` per step) need SparseCategoricalCrossentropy"
)]
pub trait Labels<L, Out>: Sized {
    /// Whether these are class ids (written to `ids`) rather than values like the output.
    const SPARSE: bool;

    /// The number of steps of per-step labels, `None` for one label per sample.
    fn steps(&self) -> Option<usize>;

    /// Writes the sample's labels, padded after its own steps to `steps` steps: values into
    /// `dense` (`steps · C`, or the output's size for one label per sample) or class ids into
    /// `ids` (`steps`, or 1).
    fn write(&self, steps: usize, dense: &mut [f32], ids: &mut [u32]);

    /// The position (flat index) and value of the first NaN or ±∞ among label values; `None`
    /// for class ids, which are integers.
    fn first_non_finite(&self) -> Option<(usize, f32)> {
        None
    }

    /// The position (step) and value of the first class id not below `classes`; `None` for
    /// labels that are values, not ids.
    fn first_id_at_least(&self, classes: usize) -> Option<(usize, u32)> {
        let _ = classes;
        None
    }
}

macro_rules! labels_like_output {
    ($($loss:ty),*) => {$(
        impl<T: Sample> Labels<$loss, T> for T {
            const SPARSE: bool = false;
            fn steps(&self) -> Option<usize> {
                None
            }
            fn write(&self, _steps: usize, dense: &mut [f32], _ids: &mut [u32]) {
                dense.copy_from_slice(T::flatten(std::slice::from_ref(self)));
            }
            fn first_non_finite(&self) -> Option<(usize, f32)> {
                first_non_finite(T::flatten(std::slice::from_ref(self)))
            }
        }

        impl<const C: usize> Labels<$loss, Vec<[f32; C]>> for Vec<[f32; C]> {
            const SPARSE: bool = false;
            fn steps(&self) -> Option<usize> {
                Some(self.len())
            }
            fn write(&self, steps: usize, dense: &mut [f32], _ids: &mut [u32]) {
                let n = self.len().min(steps) * C;
                dense[..n].copy_from_slice(&self.as_flattened()[..n]);
                dense[n..].fill(0.0);
            }
            fn first_non_finite(&self) -> Option<(usize, f32)> {
                first_non_finite(self.as_flattened())
            }
        }
    )*};
}

labels_like_output!(CategoricalCrossentropy, BinaryCrossentropy, MeanSquaredError, MeanAbsoluteError, Huber);

impl<const C: usize> Labels<SparseCategoricalCrossentropy, [f32; C]> for u32 {
    const SPARSE: bool = true;
    fn steps(&self) -> Option<usize> {
        None
    }
    fn write(&self, _steps: usize, _dense: &mut [f32], ids: &mut [u32]) {
        ids[0] = *self;
    }
    fn first_id_at_least(&self, classes: usize) -> Option<(usize, u32)> {
        (*self as usize >= classes).then_some((0, *self))
    }
}

impl<const C: usize> Labels<SparseCategoricalCrossentropy, Vec<[f32; C]>> for Vec<u32> {
    const SPARSE: bool = true;
    fn steps(&self) -> Option<usize> {
        Some(self.len())
    }
    fn write(&self, steps: usize, _dense: &mut [f32], ids: &mut [u32]) {
        let n = self.len().min(steps);
        ids[..n].copy_from_slice(&self[..n]);
        ids[n..steps].fill(0);
    }
    fn first_id_at_least(&self, classes: usize) -> Option<(usize, u32)> {
        self.iter().position(|&id| id as usize >= classes).map(|step| (step, self[step]))
    }
}

/// The first NaN or ±∞ of `values` and its index, after a vectorised scan finds there is one.
fn first_non_finite(values: &[f32]) -> Option<(usize, f32)> {
    if crate::kernels::elementwise::all_finite(values) {
        return None;
    }
    values.iter().position(|v| !v.is_finite()).map(|i| (i, values[i]))
}
