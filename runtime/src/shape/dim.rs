//! One axis of a per-sample shape: a typenum number (static) or [`Dyn`] (runtime, Keras `None`).

use typenum::{Bit, UInt, UTerm, Unsigned};

/// A runtime dimension: Keras's `None` (sequence length, variable image side).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Dyn;

/// A dimension known at compile time (`Some(n)`, a typenum `U<n>`) or at run time (`None`, [`Dyn`]).
pub trait Dim: 'static {
    /// The size if it is known at compile time.
    const STATIC: Option<usize>;
}

impl Dim for Dyn {
    const STATIC: Option<usize> = None;
}

impl Dim for UTerm {
    const STATIC: Option<usize> = Some(0);
}

impl<U: Unsigned + 'static, B: Bit + 'static> Dim for UInt<U, B> {
    const STATIC: Option<usize> = Some(<UInt<U, B> as Unsigned>::USIZE);
}
