//! The range each optimizer argument must be in, checked when the optimizer is built (before
//! the first step), so a NaN, infinite or out-of-range setting is an `Err` naming it instead
//! of a model whose weights all become NaN.

use crate::error::{Error, Result};

/// Where a value must lie. Every range excludes NaN and ±∞.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Allowed {
    /// `x ≥ 0`: learning rates, weight decay.
    NonNegative,
    /// `x > 0`: `ε`, which divides `0 / (√0 + ε)` for a weight whose gradient is 0.
    Positive,
    /// `0 ≤ x < 1`: decay rates of moving averages (`β1`, `β2`, `ρ`); at 1, Adam's bias
    /// correction divides by `1 − β1ᵗ = 0`.
    Fraction,
    /// `x ≤ 1`: RMSprop's momentum, where 0 or less means none (Keras).
    AtMostOne,
}

impl Allowed {
    fn contains(self, x: f32) -> bool {
        x.is_finite()
            && match self {
                Allowed::NonNegative => x >= 0.0,
                Allowed::Positive => x > 0.0,
                Allowed::Fraction => (0.0..1.0).contains(&x),
                Allowed::AtMostOne => x <= 1.0,
            }
    }

    fn describe(self) -> &'static str {
        match self {
            Allowed::NonNegative => "a finite number of at least 0",
            Allowed::Positive => "a finite number above 0",
            Allowed::Fraction => "at least 0 and below 1",
            Allowed::AtMostOne => "a finite number of at most 1 (0 or less for none)",
        }
    }
}

/// `Ok` when `value` is `allowed`, else the [`Error::InvalidArgument`] naming the optimizer,
/// the argument and the value.
pub(crate) fn check(optimizer: &str, name: &'static str, value: f32, allowed: Allowed) -> Result<()> {
    if allowed.contains(value) {
        return Ok(());
    }
    Err(Error::InvalidArgument {
        name,
        detail: format!("{optimizer} `{name}` must be {}, but is {value}", allowed.describe()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_exclude_nan_and_infinities() {
        for allowed in [Allowed::NonNegative, Allowed::Positive, Allowed::Fraction, Allowed::AtMostOne] {
            for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                assert!(check("adam", "x", bad, allowed).is_err(), "{allowed:?} {bad}");
            }
        }
        assert!(check("adam", "beta_1", 1.0, Allowed::Fraction).is_err());
        assert!(check("adam", "beta_1", 0.0, Allowed::Fraction).is_ok());
        assert!(check("adam", "epsilon", 0.0, Allowed::Positive).is_err());
        assert!(check("sgd", "learning_rate", 0.0, Allowed::NonNegative).is_ok());
        assert!(check("rmsprop", "momentum", -1.0, Allowed::AtMostOne).is_ok());
        let err = check("adam", "beta_1", f32::NAN, Allowed::Fraction).unwrap_err().to_string();
        assert_eq!(err, "invalid `beta_1`: adam `beta_1` must be at least 0 and below 1, but is NaN");
    }
}
