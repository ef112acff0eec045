//! Activation functions of `Dense(.., activation = ...)` and `Activation(..)`, each as an `f`/`df` pair.
//!
//! `y = f(z)` is applied in place to a batch laid out row-major as rows of `row_len` values. Softmax
//! normalises each row (Keras `axis=-1`); every other activation is elementwise and ignores `row_len`.
//! The backward pass writes `dz = dy ⊙ f'(z)` (softmax: the Jacobian-vector product per row).
//!
//! The definitions are Keras 3's (`keras/src/activations/activations.py`, JAX backend), with Keras's
//! default arguments:
//!
//! | name | `f(z)` | `f'` from |
//! |---|---|---|
//! | `linear` | `z` | – |
//! | `relu` | `max(z, 0)` | `y` |
//! | `sigmoid` | `1 / (1 + e^−z)` | `y` |
//! | `tanh` | `tanh(z)` | `y` |
//! | `softmax` | `e^(z_i − max z) / Σ_j e^(z_j − max z)` per row | `y` |
//! | `gelu` | `z·Φ(z) = ½·z·(1 + erf(z/√2))` (exact, `approximate=False`) | `z` |
//! | `elu` | `z` if `z > 0`, else `e^z − 1` (`alpha = 1`) | `y` |
//! | `selu` | `λ·z` if `z > 0`, else `λ·α·(e^z − 1)` | `y` |
//! | `softplus` | `ln(1 + e^z)` | `y` |
//! | `softsign` | `z / (abs(z) + 1)` | `z` |
//! | `leaky_relu` | `z` if `z ≥ 0`, else `0.2·z` (`negative_slope = 0.2`) | `y` |
//! | `swish` (`silu`) | `z·sigmoid(z)` | `z` |
//!
//! Each public method matches on the activation once and then runs a plain slice loop over a scalar
//! `*_f` / `*_df` function, so the loop body is monomorphic and free of per-element dispatch.

use std::f64::consts::{FRAC_1_SQRT_2, FRAC_2_SQRT_PI};

pub use shaped_rules::Activation;

/// Keras 3 `selu` scale `λ`, rounded to f32.
const SELU_SCALE: f32 = 1.050_701;
/// Keras 3 `selu` `α`, rounded to f32.
const SELU_ALPHA: f32 = 1.673_263_2;
/// Keras 3 `leaky_relu` default `negative_slope`.
const LEAKY_RELU_SLOPE: f32 = 0.2;

/// The formulas of every [`Activation`]: forward in place and backward (see the module docs).
pub trait ActivationFn {
    /// In-place forward `x ← f(x)` over rows of `row_len` values (see
    /// [`ActivationFn::forward_in_place`] on [`Activation`]).
    fn forward_in_place(self, x: &mut [f32], row_len: usize);
    /// Backward `dz = dy ⊙ f'(z)`.
    fn backward(self, z: &[f32], y: &[f32], dy: &[f32], dz: &mut [f32], row_len: usize);
    /// Whether the backward reads the pre-activation `z`.
    fn backward_needs_input(self) -> bool;
}

impl ActivationFn for Activation {
    /// In-place forward `x ← f(x)` over a batch laid out row-major as rows of `row_len` values.
    ///
    /// Softmax is taken per row, `y_i = e^(x_i − max x) / Σ_j e^(x_j − max x)`, so it stays finite for
    /// large inputs; every other activation is elementwise and ignores `row_len`.
    ///
    /// # Panics
    /// For softmax, if `x` is not empty and `row_len` is 0 or does not divide `x.len()`.
    fn forward_in_place(self, x: &mut [f32], row_len: usize) {
        match self {
            Activation::Linear => {}
            Activation::Relu => map_in_place(x, relu_f),
            Activation::Sigmoid => map_in_place(x, sigmoid_f),
            Activation::Tanh => map_in_place(x, tanh_f),
            Activation::Softmax => softmax_forward(x, row_len),
            Activation::Gelu => map_in_place(x, gelu_f),
            Activation::Elu => map_in_place(x, elu_f),
            Activation::Selu => map_in_place(x, selu_f),
            Activation::Softplus => map_in_place(x, softplus_f),
            Activation::Softsign => map_in_place(x, softsign_f),
            Activation::LeakyRelu => map_in_place(x, leaky_relu_f),
            Activation::Swish => map_in_place(x, swish_f),
        }
    }

    /// Backward: writes `dz = dy ⊙ f'(z)` into `dz`; for softmax the Jacobian-vector product per row,
    /// `dz = y ⊙ (dy − Σ_j dy_j·y_j)`.
    ///
    /// `y` is the output of [`Activation::forward_in_place`], `z` its input. `z` is read only when
    /// [`Activation::backward_needs_input`] is true; otherwise it may be empty. `row_len` matters
    /// only for softmax, as in the forward pass.
    ///
    /// # Panics
    /// If `y`, `dy` and `dz` differ in length, if `z` is needed and differs from them in length, or
    /// (softmax) if `row_len` is 0 or does not divide the length of a non-empty batch.
    fn backward(self, z: &[f32], y: &[f32], dy: &[f32], dz: &mut [f32], row_len: usize) {
        assert_eq!(
            y.len(),
            dy.len(),
            "activation backward: y has {} values but dy has {}",
            y.len(),
            dy.len()
        );
        assert_eq!(
            dz.len(),
            dy.len(),
            "activation backward: dz has {} values but dy has {}",
            dz.len(),
            dy.len()
        );
        if self.backward_needs_input() {
            assert_eq!(
                z.len(),
                dy.len(),
                "activation backward: {} needs z, which has {} values but dy has {}",
                self.keras_name(),
                z.len(),
                dy.len()
            );
        }
        match self {
            Activation::Linear => dz.copy_from_slice(dy),
            Activation::Relu => grad_from_output(y, dy, dz, relu_df),
            Activation::Sigmoid => grad_from_output(y, dy, dz, sigmoid_df),
            Activation::Tanh => grad_from_output(y, dy, dz, tanh_df),
            Activation::Softmax => softmax_backward(y, dy, dz, row_len),
            Activation::Gelu => grad_from_input(z, dy, dz, gelu_df),
            Activation::Elu => grad_from_output(y, dy, dz, elu_df),
            Activation::Selu => grad_from_output(y, dy, dz, selu_df),
            Activation::Softplus => grad_from_output(y, dy, dz, softplus_df),
            Activation::Softsign => grad_from_input(z, dy, dz, softsign_df),
            Activation::LeakyRelu => grad_from_output(y, dy, dz, leaky_relu_df),
            Activation::Swish => grad_from_input(z, dy, dz, swish_df),
        }
    }

    /// Whether [`Activation::backward`] reads the pre-activation `z` (true for `gelu`, `softsign` and
    /// `swish`) or only the output `y` (all others), so a layer can skip storing `z`.
    fn backward_needs_input(self) -> bool {
        matches!(self, Activation::Gelu | Activation::Softsign | Activation::Swish)
    }
}

// ---- slice drivers: one monomorphic loop per activation ----

/// `x_i ← f(x_i)`.
#[inline(always)]
fn map_in_place(x: &mut [f32], f: impl Fn(f32) -> f32) {
    for v in x.iter_mut() {
        *v = f(*v);
    }
}

/// `dz_i = dy_i · df(y_i)`, for derivatives expressed through the output.
#[inline(always)]
fn grad_from_output(y: &[f32], dy: &[f32], dz: &mut [f32], df: impl Fn(f32) -> f32) {
    for ((dz, &y), &dy) in dz.iter_mut().zip(y).zip(dy) {
        *dz = dy * df(y);
    }
}

/// `dz_i = dy_i · df(z_i)`, for derivatives expressed through the input.
#[inline(always)]
fn grad_from_input(z: &[f32], dy: &[f32], dz: &mut [f32], df: impl Fn(f32) -> f32) {
    for ((dz, &z), &dy) in dz.iter_mut().zip(z).zip(dy) {
        *dz = dy * df(z);
    }
}

/// Checks the row layout softmax needs; returns false for an empty batch (nothing to do).
fn check_rows(len: usize, row_len: usize) -> bool {
    if len == 0 {
        return false;
    }
    assert!(
        row_len > 0 && len.is_multiple_of(row_len),
        "softmax: row_len {row_len} does not divide the batch of {len} values into rows"
    );
    true
}

/// Per row: `m = max x`, `e_i = e^(x_i − m)`, `y_i = e_i / Σ e` (sum accumulated in f64).
fn softmax_forward(x: &mut [f32], row_len: usize) {
    if !check_rows(x.len(), row_len) {
        return;
    }
    for row in x.chunks_exact_mut(row_len) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0f64;
        for v in row.iter_mut() {
            *v = (*v - max).exp();
            sum += f64::from(*v);
        }
        let sum = sum as f32;
        for v in row.iter_mut() {
            *v /= sum;
        }
    }
}

/// Per row: `dz_i = y_i · (dy_i − Σ_j dy_j·y_j)` (dot product accumulated in f64).
fn softmax_backward(y: &[f32], dy: &[f32], dz: &mut [f32], row_len: usize) {
    if !check_rows(y.len(), row_len) {
        return;
    }
    let rows = y.chunks_exact(row_len).zip(dy.chunks_exact(row_len)).zip(dz.chunks_exact_mut(row_len));
    for ((y, dy), dz) in rows {
        let dot = y.iter().zip(dy).map(|(&y, &dy)| f64::from(y) * f64::from(dy)).sum::<f64>() as f32;
        for ((dz, &y), &dy) in dz.iter_mut().zip(y).zip(dy) {
            *dz = y * (dy - dot);
        }
    }
}

// ---- scalar f/df pairs ----

/// `max(x, 0)`; NaN stays NaN.
#[inline(always)]
fn relu_f(x: f32) -> f32 {
    if x < 0.0 {
        0.0
    } else {
        x
    }
}

/// `relu'(z) = 1` if `y > 0`, else `0`.
#[inline(always)]
fn relu_df(y: f32) -> f32 {
    if y > 0.0 {
        1.0
    } else {
        0.0
    }
}

/// `1 / (1 + e^−x)` as `num / (1 + e^−|x|)` with `num = 1` for `x ≥ 0` and `e^−|x|` otherwise.
#[inline(always)]
fn sigmoid_f(x: f32) -> f32 {
    let e = (-x.abs()).exp();
    let num = if x >= 0.0 { 1.0 } else { e };
    num / (1.0 + e)
}

/// `sigmoid'(z) = y·(1 − y)`.
#[inline(always)]
fn sigmoid_df(y: f32) -> f32 {
    y * (1.0 - y)
}

/// `tanh(x)`.
#[inline(always)]
fn tanh_f(x: f32) -> f32 {
    x.tanh()
}

/// `tanh'(z) = 1 − y²`.
#[inline(always)]
fn tanh_df(y: f32) -> f32 {
    1.0 - y * y
}

/// `x·Φ(x) = ½·x·erfc(−x/√2)`, in f64.
#[inline(always)]
fn gelu_f(x: f32) -> f32 {
    let x = f64::from(x);
    (x * normal_cdf(x)) as f32
}

/// `gelu'(z) = Φ(z) + z·φ(z)`, `φ(z) = e^(−z²/2) / √(2π)`, in f64.
#[inline(always)]
fn gelu_df(z: f32) -> f32 {
    let z = f64::from(z);
    let pdf = (-0.5 * z * z).exp() * FRAC_1_SQRT_2PI;
    (normal_cdf(z) + z * pdf) as f32
}

/// `x` if `x > 0`, else `e^x − 1`.
#[inline(always)]
fn elu_f(x: f32) -> f32 {
    if x > 0.0 {
        x
    } else {
        x.exp_m1()
    }
}

/// `elu'(z) = 1` if `y > 0`, else `e^z = y + 1`.
#[inline(always)]
fn elu_df(y: f32) -> f32 {
    if y > 0.0 {
        1.0
    } else {
        y + 1.0
    }
}

/// `λ·x` if `x > 0`, else `λ·α·(e^x − 1)`.
#[inline(always)]
fn selu_f(x: f32) -> f32 {
    SELU_SCALE * if x > 0.0 { x } else { SELU_ALPHA * x.exp_m1() }
}

/// `selu'(z) = λ` if `y > 0`, else `λ·α·e^z = y + λ·α`.
#[inline(always)]
fn selu_df(y: f32) -> f32 {
    if y > 0.0 {
        SELU_SCALE
    } else {
        y + SELU_SCALE * SELU_ALPHA
    }
}

/// `ln(1 + e^x) = max(x, 0) + ln(1 + e^−|x|)`.
#[inline(always)]
fn softplus_f(x: f32) -> f32 {
    (-x.abs()).exp().ln_1p() + x.max(0.0)
}

/// `softplus'(z) = sigmoid(z) = 1 − e^−y` (since `e^y = 1 + e^z`), as `−expm1(−y)`.
#[inline(always)]
fn softplus_df(y: f32) -> f32 {
    -(-y).exp_m1()
}

/// `x / (|x| + 1)`.
#[inline(always)]
fn softsign_f(x: f32) -> f32 {
    x / (x.abs() + 1.0)
}

/// `softsign'(z) = 1 / (|z| + 1)²`.
#[inline(always)]
fn softsign_df(z: f32) -> f32 {
    let d = z.abs() + 1.0;
    1.0 / (d * d)
}

/// `x` if `x ≥ 0`, else `0.2·x`.
#[inline(always)]
fn leaky_relu_f(x: f32) -> f32 {
    if x >= 0.0 {
        x
    } else {
        LEAKY_RELU_SLOPE * x
    }
}

/// `leaky_relu'(z) = 1` if `y ≥ 0` (the sign of `y` is the sign of `z`), else `0.2`.
#[inline(always)]
fn leaky_relu_df(y: f32) -> f32 {
    if y >= 0.0 {
        1.0
    } else {
        LEAKY_RELU_SLOPE
    }
}

/// `x·sigmoid(x)`.
#[inline(always)]
fn swish_f(x: f32) -> f32 {
    x * sigmoid_f(x)
}

/// `swish'(z) = s·(1 + z·(1 − s))`, `s = sigmoid(z)`.
#[inline(always)]
fn swish_df(z: f32) -> f32 {
    let s = sigmoid_f(z);
    s * (1.0 + z * (1.0 - s))
}

// ---- the error function ----

/// `1/√(2π)`, the standard normal density at 0.
const FRAC_1_SQRT_2PI: f64 = 0.5 * FRAC_1_SQRT_2 * FRAC_2_SQRT_PI;

/// Standard normal CDF `Φ(x) = ½·erfc(−x/√2)`; accurate to a few f64 ulps, also in the lower
/// tail (`erfc` from `libm`, a port of musl's, itself from FreeBSD's msun).
fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x * FRAC_1_SQRT_2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::assert_close;

    /// `math.erfc` from Python 3 (correctly rounded f64) at the points below.
    #[test]
    fn erfc_matches_python_math_erfc() {
        let cases: [(f64, f64); 10] = [
            (0.001, 0.998_871_621_209_030_7),
            (0.3, 0.671_373_240_540_872_6),
            (0.5, 0.479_500_122_186_953_5),
            (1.0, 0.157_299_207_050_285_13),
            (2.5, 4.069_520_174_449_589e-4),
            (4.5, 1.966_160_441_542_887_3e-10),
            (10.0, 2.088_487_583_762_545e-45),
            (-0.2, 1.222_702_589_210_478_6),
            (-1.5, 1.966_105_146_475_310_8),
            (-3.7, 1.999_999_832_848_942_1),
        ];
        for (x, expected) in cases {
            let actual = libm::erfc(x);
            assert!(
                (actual - expected).abs() <= 1e-14 * expected,
                "erfc({x}) = {actual}, expected {expected}"
            );
        }
        assert_eq!(libm::erfc(0.0), 1.0);
        assert_eq!(libm::erfc(f64::INFINITY), 0.0);
        assert_eq!(libm::erfc(f64::NEG_INFINITY), 2.0);
        assert!(libm::erfc(f64::NAN).is_nan());
    }

    #[test]
    fn f_df_pairs_at_zero() {
        // f(0) and f'(0) from the closed forms: sigmoid ½ and ¼, tanh 0 and 1, gelu 0 and ½,
        // softplus ln 2 and ½, softsign 0 and 1, swish 0 and ½.
        assert_close(&[sigmoid_f(0.0), sigmoid_df(0.5)], &[0.5, 0.25], 1e-7);
        assert_close(&[tanh_f(0.0), tanh_df(0.0)], &[0.0, 1.0], 1e-7);
        assert_close(&[gelu_f(0.0), gelu_df(0.0)], &[0.0, 0.5], 1e-7);
        assert_close(
            &[softplus_f(0.0), softplus_df(std::f32::consts::LN_2)],
            &[std::f32::consts::LN_2, 0.5],
            1e-7,
        );
        assert_close(&[softsign_f(0.0), softsign_df(0.0)], &[0.0, 1.0], 1e-7);
        assert_close(&[swish_f(0.0), swish_df(0.0)], &[0.0, 0.5], 1e-7);
        // Kinks take the JAX convention: relu'(0) = 0, leaky_relu'(0) = 1, elu'(0) = selu'(0)/λ = 1.
        assert_close(&[relu_df(relu_f(0.0)), leaky_relu_df(leaky_relu_f(0.0))], &[0.0, 1.0], 0.0);
        assert_close(&[elu_df(elu_f(0.0)), selu_df(selu_f(0.0))], &[1.0, SELU_SCALE * SELU_ALPHA], 1e-7);
    }

    #[test]
    fn nan_propagates() {
        for &act in Activation::ALL {
            let mut x = [f32::NAN, 1.0];
            act.forward_in_place(&mut x, 2);
            assert!(x[0].is_nan(), "{act}({}) should be NaN", f32::NAN);
        }
    }

    #[test]
    fn empty_batches_are_a_no_op() {
        for &act in Activation::ALL {
            act.forward_in_place(&mut [], 0);
            act.backward(&[], &[], &[], &mut [], 0);
        }
    }

    #[test]
    #[should_panic(expected = "row_len 4 does not divide the batch of 6 values")]
    fn softmax_rejects_a_ragged_batch() {
        Activation::Softmax.forward_in_place(&mut [0.0; 6], 4);
    }

    #[test]
    #[should_panic(expected = "gelu needs z, which has 0 values but dy has 2")]
    fn backward_needs_z_when_it_says_so() {
        Activation::Gelu.backward(&[], &[0.0; 2], &[1.0; 2], &mut [0.0; 2], 2);
    }
}
