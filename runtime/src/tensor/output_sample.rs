//! [`OutputSample`]: one prediction as `predict` returns it — a fixed-size array, or one array
//! per real step of a sequence.

use crate::tensor::Sample;

/// One sample of a model's output: a fixed-size array (`[f32; 10]`), or, for a model that
/// returns sequences (`[None, 10]`), one array per step of the input (`Vec<[f32; 10]>`, the
/// padding removed).
pub trait OutputSample: Sized {
    /// Values per step of a sequence output, or per sample when fixed-size.
    const STEP_LEN: usize;
    /// Whether the output is a sequence (one row per input step).
    const SEQUENCE: bool;

    /// The sample from its padded output values (`padded_steps · STEP_LEN` values for a
    /// sequence), keeping its own `steps`.
    fn from_padded(values: &[f32], steps: usize) -> Self;
}

impl<T: Sample> OutputSample for T {
    const STEP_LEN: usize = T::LEN;
    const SEQUENCE: bool = false;

    fn from_padded(values: &[f32], _steps: usize) -> Self {
        T::from_flat(&values[..T::LEN])
    }
}

impl<const C: usize> OutputSample for Vec<[f32; C]> {
    const STEP_LEN: usize = C;
    const SEQUENCE: bool = true;

    fn from_padded(values: &[f32], steps: usize) -> Self {
        values.chunks_exact(C).take(steps).map(<[f32; C]>::from_flat).collect()
    }
}
