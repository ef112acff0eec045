//! [`Computed`]: a shape whose dims the compiler computes from const expressions — a model's
//! shapes after `input: [FEATURES]` or `Dense(HIDDEN)`, which the `model!` macro cannot
//! evaluate itself.

use super::shape_trait::Shape;
use shaped_rules::{ConstDims, Fail, MAX_RANK};

/// The value [`Computed`] stores for a runtime (`None`) axis.
pub const RUNTIME_AXIS: usize = usize::MAX;

/// A shape of rank `R` (at most 5) with axes `D0`..`D4` (the first `R` of them count),
/// [`RUNTIME_AXIS`] standing for a runtime axis.
///
/// `model!` writes it with const arguments that evaluate a node's shared shape rule:
/// `Computed<{ rank(out()) }, { dim(out(), 0) }, ..>`, so that its `DIMS` are the rule's output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Computed<
    const R: usize,
    const D0: usize,
    const D1: usize,
    const D2: usize,
    const D3: usize,
    const D4: usize,
>;

impl<const R: usize, const D0: usize, const D1: usize, const D2: usize, const D3: usize, const D4: usize>
    Computed<R, D0, D1, D2, D3, D4>
{
    const ALL: [Option<usize>; MAX_RANK] = [axis(D0), axis(D1), axis(D2), axis(D3), axis(D4)];
}

impl<const R: usize, const D0: usize, const D1: usize, const D2: usize, const D3: usize, const D4: usize>
    Shape for Computed<R, D0, D1, D2, D3, D4>
{
    const RANK: usize = R;
    const DIMS: &'static [Option<usize>] = Self::ALL.split_at(R).0;
}

/// `Some(d)`, or `None` for [`RUNTIME_AXIS`].
const fn axis(d: usize) -> Option<usize> {
    if d == RUNTIME_AXIS {
        None
    } else {
        Some(d)
    }
}

/// The rank of a rule's output, for [`Computed`]'s `R` (0 when the rule failed: that failure is
/// the model's compile error, reported by its own check).
pub const fn computed_rank(dims: Result<ConstDims, Fail>) -> usize {
    match dims {
        Ok(d) => d.as_slice().len(),
        Err(_) => 0,
    }
}

/// Axis `i` of a rule's output, for [`Computed`]'s `D{i}`: its size, [`RUNTIME_AXIS`] for a
/// runtime axis, 0 past the rank or when the rule failed.
pub const fn computed_dim(dims: Result<ConstDims, Fail>, i: usize) -> usize {
    match dims {
        Ok(d) => {
            let dims = d.as_slice();
            if i >= dims.len() {
                0
            } else {
                match dims[i] {
                    Some(n) => n,
                    None => RUNTIME_AXIS,
                }
            }
        }
        Err(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dims_from_a_rule() {
        const FEATURES: usize = 12;
        const OUT: Result<ConstDims, Fail> = shaped_rules::dense(&[None, Some(FEATURES)], 2 * FEATURES);
        type S = Computed<
            { computed_rank(OUT) },
            { computed_dim(OUT, 0) },
            { computed_dim(OUT, 1) },
            { computed_dim(OUT, 2) },
            { computed_dim(OUT, 3) },
            { computed_dim(OUT, 4) },
        >;
        assert_eq!(S::DIMS, &[None, Some(24)]);
        assert_eq!(S::RANK, 2);
        assert_eq!(<Computed<1, 64, 0, 0, 0, 0>>::NUMEL, Some(64));
    }
}
