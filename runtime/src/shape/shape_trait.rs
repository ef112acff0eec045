//! Per-sample shape types: tuples of [`Dim`]s, rank 0 to 5.

use super::dim::Dim;
use super::dims::Dims;
use crate::error::{Error, Result};
use shaped_rules::numel;

/// A per-sample tensor shape (batch axis excluded): `()`, `(D0,)`, `(D0, D1)`, ... up to rank 5.
///
/// `DIMS[i]` is `Some(n)` for a static axis and `None` for a runtime ([`super::Dyn`]) axis.
pub trait Shape: 'static {
    /// Number of axes.
    const RANK: usize;
    /// Each axis, `None` where it is only known at run time.
    const DIMS: &'static [Option<usize>];
    /// The element count per sample when every axis is static.
    const NUMEL: Option<usize> = numel(Self::DIMS);
}

/// `Err` naming both shapes unless runtime `dims` fit the shape type `S` (`context` names
/// what holds them: `"tensor dims"`).
pub(crate) fn check_dims<S: Shape>(dims: Dims, context: &str) -> Result<()> {
    if dims.fits(S::DIMS) {
        Ok(())
    } else {
        Err(Error::shape(context, Dims::keras_pattern(S::DIMS), dims.with_batch_none()))
    }
}

/// The last axis if static, else 0 (a const [`super::Check`] rejects that case at compile time).
pub const fn last_static(dims: &[Option<usize>]) -> usize {
    match dims.last() {
        Some(Some(d)) => *d,
        _ => 0,
    }
}

impl Shape for () {
    const RANK: usize = 0;
    const DIMS: &'static [Option<usize>] = &[];
}

macro_rules! tuple_shape {
    ($rank:literal; $($d:ident),+) => {
        impl<$($d: Dim),+> Shape for ($($d,)+) {
            const RANK: usize = $rank;
            const DIMS: &'static [Option<usize>] = &[$($d::STATIC),+];
        }
    };
}

tuple_shape!(1; D0);
tuple_shape!(2; D0, D1);
tuple_shape!(3; D0, D1, D2);
tuple_shape!(4; D0, D1, D2, D3);
tuple_shape!(5; D0, D1, D2, D3, D4);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::Dyn;
    use typenum::{U10, U64};

    #[test]
    fn dims_and_numel() {
        assert_eq!(<(U64,)>::DIMS, &[Some(64)]);
        assert_eq!(<(Dyn, U10)>::DIMS, &[None, Some(10)]);
        assert_eq!(<(U10, U64)>::NUMEL, Some(640));
        assert_eq!(<(Dyn, U10)>::NUMEL, None);
        assert_eq!(<()>::NUMEL, Some(1));
    }
}
