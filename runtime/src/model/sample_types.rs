//! [`SampleTypes`]: a model's input and output as plain Rust values, which `fit`, `evaluate`
//! and `predict` take, so a wrong feature count or label width is a type error.

use crate::tensor::{InputRow, OutputRow};

/// The plain Rust types of one input sample and one output sample: `[f32; 64]` and
/// `[f32; 10]` for `input: [64]` → `Dense(10)`; `Vec<[f32; 12]>` for `input: [None, 12]`,
/// `Vec<u32>` for `input: u32[None]`, `u32` for `u32[1]`; `Vec<[f32; 10]>` for an output
/// `[None, 10]`. A model with several inputs or outputs takes and returns the structs `model!`
/// generates for it, one field per input or output. `model!` implements it for every model
/// whose input and output shapes it knows in these forms.
pub trait SampleTypes {
    /// One input sample.
    type Input: InputRow;
    /// One output sample (and one label, for losses that compare with the output).
    type Output: OutputRow;
}
