//! [`Real`]: the numbers a [`crate::layers::Lambda`]'s function is written over — `f32` for
//! the forward pass, [`Dual`](super::Dual) for its exact derivative.

use std::ops::{Add, Div, Mul, Neg, Sub};

/// A real number with the operations a `Lambda` function may use: `+ - * /`, negation, and
/// the methods below (named as `f32`'s). The `model!` macro writes a `Lambda`'s closure as a
/// function generic over `Real`, its literals and named constants as [`Real::cst`], so that
/// the same text runs on `f32` values and on dual numbers.
pub trait Real:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> + Neg<Output = Self>
{
    /// A constant: a literal or a named `f32` of the closure.
    fn cst(c: f32) -> Self;
    /// `eˣ`.
    fn exp(self) -> Self;
    /// `ln x`.
    fn ln(self) -> Self;
    /// `√x`.
    fn sqrt(self) -> Self;
    /// `tanh x`.
    fn tanh(self) -> Self;
    /// `1 / (1 + e⁻ˣ)`.
    fn sigmoid(self) -> Self;
    /// `sin x`.
    fn sin(self) -> Self;
    /// `cos x`.
    fn cos(self) -> Self;
    /// `|x|` (derivative `sign x`, 0 at 0).
    fn abs(self) -> Self;
    /// `xⁿ` for an integer `n`.
    fn powi(self, n: i32) -> Self;
    /// `xʸ` (`x > 0`).
    fn powf(self, y: Self) -> Self;
    /// `1 / x`.
    fn recip(self) -> Self;
    /// The larger of `self` and `other` (the derivative follows the one taken; `self` on a tie).
    fn max(self, other: Self) -> Self;
    /// The smaller of `self` and `other` (as [`Real::max`]).
    fn min(self, other: Self) -> Self;
    /// The value as an `f32` (the dual part dropped).
    fn value(self) -> f32;
}

impl Real for f32 {
    fn cst(c: f32) -> Self {
        c
    }
    fn exp(self) -> Self {
        f32::exp(self)
    }
    fn ln(self) -> Self {
        f32::ln(self)
    }
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    fn tanh(self) -> Self {
        f32::tanh(self)
    }
    fn sigmoid(self) -> Self {
        1.0 / (1.0 + f32::exp(-self))
    }
    fn sin(self) -> Self {
        f32::sin(self)
    }
    fn cos(self) -> Self {
        f32::cos(self)
    }
    fn abs(self) -> Self {
        f32::abs(self)
    }
    fn powi(self, n: i32) -> Self {
        f32::powi(self, n)
    }
    fn powf(self, y: Self) -> Self {
        f32::powf(self, y)
    }
    fn recip(self) -> Self {
        f32::recip(self)
    }
    fn max(self, other: Self) -> Self {
        if other > self {
            other
        } else {
            self
        }
    }
    fn min(self, other: Self) -> Self {
        if other < self {
            other
        } else {
            self
        }
    }
    fn value(self) -> f32 {
        self
    }
}
