//! Type-level shape arithmetic for shapes the `model!` macro cannot compute itself (after a
//! custom layer or nested model that does not declare its output with `-> [dims]`).
//!
//! A runtime dim ([`Dyn`]) absorbs arithmetic: `Dyn × n = Dyn`. Layers that need a static size
//! reject `Dyn` through their const [`super::Check`], which gives a readable message; the type
//! arithmetic itself never fails for `Dyn`, so one mistake gives one error.

use super::dim::{Dim, Dyn};
use super::shape_trait::Shape;
use core::ops::{Div, Mul};
use typenum::{Prod, Quot, Unsigned, U1};

/// Multiplication of dims: `DimMul<B>::Output = A × B`, or [`Dyn`] if either is runtime.
pub trait DimMul<B> {
    /// The product.
    type Output: Dim;
}

impl<A, B> DimMul<B> for A
where
    A: Unsigned + Mul<B>,
    B: Unsigned,
    Prod<A, B>: Dim,
{
    type Output = Prod<A, B>;
}

impl<B: Dim> DimMul<B> for Dyn {
    type Output = Dyn;
}

impl<A: Unsigned> DimMul<Dyn> for A {
    type Output = Dyn;
}

/// Exact division of dims: `DimDiv<B>::Output = A / B`, or [`Dyn`] if `A` is runtime.
pub trait DimDiv<B> {
    /// The quotient (rounded down; reshapes check divisibility with a const check).
    type Output: Dim;
}

impl<A, B> DimDiv<B> for A
where
    A: Unsigned + Div<B>,
    B: Unsigned,
    Quot<A, B>: Dim,
{
    type Output = Quot<A, B>;
}

impl<B: Dim> DimDiv<B> for Dyn {
    type Output = Dyn;
}

/// The element count of a shape as a dim: `Numel<(A, B, C)>::Output = A × B × C`.
pub trait Numel: Shape {
    /// The product of all axes ([`Dyn`] if any is runtime).
    type Output: Dim;
}

impl Numel for () {
    type Output = U1;
}

impl<D0: Dim> Numel for (D0,) {
    type Output = D0;
}

impl<D0: Dim + DimMul<D1>, D1: Dim> Numel for (D0, D1) {
    type Output = <D0 as DimMul<D1>>::Output;
}

impl<D0, D1, D2> Numel for (D0, D1, D2)
where
    D0: Dim + DimMul<D1>,
    D1: Dim,
    D2: Dim,
    <D0 as DimMul<D1>>::Output: DimMul<D2>,
{
    type Output = <<D0 as DimMul<D1>>::Output as DimMul<D2>>::Output;
}

impl<D0, D1, D2, D3> Numel for (D0, D1, D2, D3)
where
    D0: Dim + DimMul<D1>,
    D1: Dim,
    D2: Dim,
    D3: Dim,
    <D0 as DimMul<D1>>::Output: DimMul<D2>,
    <<D0 as DimMul<D1>>::Output as DimMul<D2>>::Output: DimMul<D3>,
{
    type Output = <<<D0 as DimMul<D1>>::Output as DimMul<D2>>::Output as DimMul<D3>>::Output;
}

impl<D0, D1, D2, D3, D4> Numel for (D0, D1, D2, D3, D4)
where
    D0: Dim + DimMul<D1>,
    D1: Dim,
    D2: Dim,
    D3: Dim,
    D4: Dim,
    <D0 as DimMul<D1>>::Output: DimMul<D2>,
    <<D0 as DimMul<D1>>::Output as DimMul<D2>>::Output: DimMul<D3>,
    <<<D0 as DimMul<D1>>::Output as DimMul<D2>>::Output as DimMul<D3>>::Output: DimMul<D4>,
{
    type Output =
        <<<<D0 as DimMul<D1>>::Output as DimMul<D2>>::Output as DimMul<D3>>::Output as DimMul<D4>>::Output;
}

/// The shape `Flatten` produces: `Flattened<S> = (Numel<S>,)`.
pub type Flattened<S> = (<S as Numel>::Output,);

/// Replaces the last axis of a shape: what `Dense(units)` does to its input shape.
pub trait ReplaceLast<D: Dim>: Shape {
    /// The shape with its last axis set to `D`.
    type Output: Shape;
}

/// Alias: `WithLast<S, D> = <S as ReplaceLast<D>>::Output`, e.g. `WithLast<(Dyn, U12), U64> = (Dyn, U64)`.
pub type WithLast<S, D> = <S as ReplaceLast<D>>::Output;

impl<D: Dim, A: Dim> ReplaceLast<D> for (A,) {
    type Output = (D,);
}
impl<D: Dim, A: Dim, B: Dim> ReplaceLast<D> for (A, B) {
    type Output = (A, D);
}
impl<D: Dim, A: Dim, B: Dim, C: Dim> ReplaceLast<D> for (A, B, C) {
    type Output = (A, B, D);
}
impl<D: Dim, A: Dim, B: Dim, C: Dim, E: Dim> ReplaceLast<D> for (A, B, C, E) {
    type Output = (A, B, C, D);
}
impl<D: Dim, A: Dim, B: Dim, C: Dim, E: Dim, F: Dim> ReplaceLast<D> for (A, B, C, E, F) {
    type Output = (A, B, C, E, D);
}

#[cfg(test)]
mod tests {
    use super::*;
    use typenum::{U10, U12, U3, U4, U64};

    #[test]
    fn arithmetic() {
        assert_eq!(<Flattened<(U3, U4, U10)> as Shape>::DIMS, &[Some(120)]);
        assert_eq!(<Flattened<(Dyn, U4)> as Shape>::DIMS, &[None]);
        assert_eq!(<WithLast<(Dyn, U12), U64> as Shape>::DIMS, &[None, Some(64)]);
        assert_eq!(<<U12 as DimDiv<U4>>::Output as Dim>::STATIC, Some(3));
    }

    /// The type-level mirrors of `Dense` and `Flatten` give the dims the shared rules give, for
    /// every rank they cover: the type tier cannot disagree with the macro and the const tier.
    #[test]
    fn agree_with_the_shared_rules() {
        fn check<S: ReplaceLast<D>, D: Dim>() {
            let dims = S::DIMS;
            let units = D::STATIC.expect("a static dim");
            if let Ok(expected) = shaped_rules::dense(dims, units) {
                assert_eq!(<S as ReplaceLast<D>>::Output::DIMS, expected.as_slice(), "Dense on {dims:?}");
            }
        }
        fn flat<S: Numel>() {
            let expected =
                shaped_rules::flatten(S::DIMS).map(|d| d.as_slice().to_vec()).unwrap_or(vec![None]);
            assert_eq!(<Flattened<S> as Shape>::DIMS, expected.as_slice(), "Flatten on {:?}", S::DIMS);
        }
        check::<(U12,), U64>();
        check::<(Dyn, U12), U64>();
        check::<(U3, Dyn, U12), U10>();
        check::<(U3, U4, Dyn, U12), U10>();
        check::<(U3, U4, U3, Dyn, U12), U10>();
        flat::<(U12,)>();
        flat::<(U3, U4)>();
        flat::<(U3, U4, U10)>();
        flat::<(U3, Dyn, U10)>();
        flat::<(U3, U4, U10, U3)>();
        flat::<(U3, U4, U10, U3, U4)>();
    }
}
