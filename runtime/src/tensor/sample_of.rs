//! [`SampleOf`]: the plain Rust type of one output sample, picked from an output shape that
//! is only known as a type.
//!
//! `model!` writes a model's output array itself (`[f32; 10]`, `Vec<[f32; 10]>`) whenever it
//! knows the output shape. After a custom layer or a nested model it knows only the type
//! `<Net as Model>::Out`; the generated `SampleTypes` impl then names
//! `<SampleOf<{ sample_kind(DIMS) }, { sample_dim(DIMS, 0) }, ..> as PickSample>::Sample`,
//! which rustc evaluates for the user's layer types:
//!
//! | output shape | `sample_kind` | sample type |
//! |---|---|---|
//! | `[a]` | 1 | `[f32; a]` |
//! | `[a, b]` | 2 | `[[f32; b]; a]` |
//! | `[a, b, c]` | 3 | `[[[f32; c]; b]; a]` |
//! | `[None, c]` (a sequence) | 4 | `Vec<[f32; c]>` |
//! | anything else | 0 | [`UnsupportedOutputShape`] |

use crate::tensor::OutputSample;

/// A selector: `KIND` and the dims `A`, `B`, `C` as [`sample_kind`] and [`sample_dim`] give
/// them; [`PickSample`] maps it to the sample type.
pub struct SampleOf<const KIND: u8, const A: usize, const B: usize, const C: usize>;

/// The sample type a [`SampleOf`] stands for.
pub trait PickSample {
    /// One output sample.
    type Sample: OutputSample;
}

impl<const A: usize, const B: usize, const C: usize> PickSample for SampleOf<0, A, B, C> {
    type Sample = UnsupportedOutputShape;
}

impl<const A: usize, const B: usize, const C: usize> PickSample for SampleOf<1, A, B, C> {
    type Sample = [f32; A];
}

impl<const A: usize, const B: usize, const C: usize> PickSample for SampleOf<2, A, B, C> {
    type Sample = [[f32; B]; A];
}

impl<const A: usize, const B: usize, const C: usize> PickSample for SampleOf<3, A, B, C> {
    type Sample = [[[f32; C]; B]; A];
}

impl<const A: usize, const B: usize, const C: usize> PickSample for SampleOf<4, A, B, C> {
    type Sample = Vec<[f32; A]>;
}

/// Which plain type holds one sample of an output of per-sample `dims` (see the module
/// table): 1 to 3 for fixed arrays of that rank, 4 for a sequence `[None, c]`, 0 when no plain
/// type does.
pub const fn sample_kind(dims: &[Option<usize>]) -> u8 {
    match dims {
        [Some(_)] => 1,
        [Some(_), Some(_)] => 2,
        [Some(_), Some(_), Some(_)] => 3,
        [None, Some(_)] => 4,
        _ => 0,
    }
}

/// The `i`-th size of the sample type [`sample_kind`] picks (for a sequence `[None, c]`, `c`
/// first), 0 where there is none.
pub const fn sample_dim(dims: &[Option<usize>], i: usize) -> usize {
    match dims {
        [None, Some(c)] if i == 0 => *c,
        [None, Some(_)] => 0,
        _ if i < dims.len() => match dims[i] {
            Some(d) => d,
            None => 0,
        },
        _ => 0,
    }
}

/// The output sample of a model whose output shape has no plain Rust type (a runtime axis
/// other than a leading time axis, or rank above 3). `predict` then returns an `Err` naming
/// the shape, and `fit` takes no labels for it; `predict_flat` works on any shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnsupportedOutputShape;

impl OutputSample for UnsupportedOutputShape {
    /// No output has zero values per step, so `predict` reports the mismatch.
    const STEP_LEN: usize = 0;
    const SEQUENCE: bool = false;

    fn from_padded(_values: &[f32], _extent: crate::tensor::OutputExtent) -> Self {
        UnsupportedOutputShape
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_dims() {
        assert_eq!(sample_kind(&[Some(10)]), 1);
        assert_eq!(sample_kind(&[Some(4), Some(8)]), 2);
        assert_eq!(sample_kind(&[Some(2), Some(4), Some(8)]), 3);
        assert_eq!(sample_kind(&[None, Some(12)]), 4);
        assert_eq!(sample_kind(&[None, None]), 0);
        assert_eq!(sample_kind(&[Some(1), Some(2), Some(3), Some(4)]), 0);
        assert_eq!([sample_dim(&[None, Some(12)], 0), sample_dim(&[None, Some(12)], 1)], [12, 0]);
        assert_eq!([sample_dim(&[Some(4), Some(8)], 0), sample_dim(&[Some(4), Some(8)], 1)], [4, 8]);
        let _: <SampleOf<2, 4, 8, 0> as PickSample>::Sample = [[0.0; 8]; 4];
        let _: <SampleOf<4, 12, 0, 0> as PickSample>::Sample = vec![[0.0; 12]];
    }
}
