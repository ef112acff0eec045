//! [`InputRow`]: one sample of every input of a model — a single input's sample, or the
//! struct `model!` generates for a model with several inputs (one field per input) — and
//! [`InputField`], one input of it seen without its type.

use crate::tensor::input_sample::{Element, InputSample};
use crate::tensor::InputDType;

/// One sample of a model's inputs, as `fit`, `evaluate` and `predict` take it: any
/// [`InputSample`] for a model with one input, or the generated input struct of a model with
/// several (`RecommenderInput { user: u32, item: u32, features: [f32; 8] }`), whose field `k`
/// is input `k`.
pub trait InputRow {
    /// The number of inputs.
    const COUNT: usize;

    /// Input `k` of the sample (`k < COUNT`).
    fn field(&self, k: usize) -> &dyn InputField;
}

impl<X: InputSample> InputRow for X {
    const COUNT: usize = 1;

    fn field(&self, _k: usize) -> &dyn InputField {
        self
    }
}

/// One input of a sample without its type: what the training loop reads of each input.
pub trait InputField {
    /// What the input holds: values, token ids (written to the `ids` buffer) or strings
    /// ([`InputField::text`]).
    fn dtype(&self) -> InputDType;

    /// Elements per step of a sequence, or per sample when fixed-size.
    fn step_len(&self) -> usize;

    /// The number of steps of a sequence (an image's rows), `None` for a fixed-size input.
    fn steps(&self) -> Option<usize>;

    /// The sizes of the runtime axes: `[steps, 1]` for a sequence, `[height, width]` for an
    /// image, `None` for a fixed-size input ([`InputSample::extent`]).
    fn extent(&self) -> Option<[usize; 2]>;

    /// Writes the input padded to the grid `padded` into `values` or, for token ids, `ids` (the
    /// other is left alone); see [`InputSample::write_padded`].
    fn write(&self, padded: [usize; 2], values: &mut [f32], ids: &mut [u32]);

    /// The position and value of the first NaN or ±∞ value, if any.
    fn first_non_finite(&self) -> Option<(usize, f32)>;

    /// For token ids: the position and value of the first id not below `limit`.
    fn first_id_at_least(&self, limit: usize) -> Option<(usize, u32)>;

    /// For a string input: the string, `Some(None)` when missing; `None` otherwise.
    fn text(&self) -> Option<Option<&str>>;
}

impl<X: InputSample> InputField for X {
    fn dtype(&self) -> InputDType {
        InputDType::of(X::Elem::TOKEN_IDS, X::Elem::TEXT)
    }

    fn step_len(&self) -> usize {
        X::STEP_LEN
    }

    fn steps(&self) -> Option<usize> {
        InputSample::steps(self)
    }

    fn extent(&self) -> Option<[usize; 2]> {
        InputSample::extent(self)
    }

    fn write(&self, padded: [usize; 2], values: &mut [f32], ids: &mut [u32]) {
        self.write_padded(padded, X::Elem::pick(values, ids));
    }

    fn first_non_finite(&self) -> Option<(usize, f32)> {
        InputSample::first_non_finite(self)
    }

    fn first_id_at_least(&self, limit: usize) -> Option<(usize, u32)> {
        InputSample::first_id_at_least(self, limit)
    }

    fn text(&self) -> Option<Option<&str>> {
        InputSample::text(self)
    }
}
