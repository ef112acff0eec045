//! [`SampleTypes`]: a model's input and output as plain Rust arrays, which `fit`, `evaluate` and
//! `predict` take, so a wrong feature count or label width is a type error.

use crate::tensor::Sample;

/// The plain-array types of one input sample and one output sample: `[f32; 64]` and
/// `[f32; 10]` for `input: [64]` → `Dense(10)`. `model!` implements it for every model whose
/// input and output shapes it knows and which are static, of rank 1 to 3.
pub trait SampleTypes {
    /// One input sample.
    type Input: Sample;
    /// One output sample (and one label, for losses that compare with the output).
    type Output: Sample;
}
