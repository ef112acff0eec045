//! Losses with Keras 3 semantics (`keras/src/losses/losses.py`, JAX backend), value and gradient.
//!
//! A batch is row-major: `pred` holds rows of `row_len` values (the output's last axis, the
//! classes), one row per sample for now. Every loss first reduces a row to one number `l_r`
//! (a mean or a sum over the last axis) and then applies Keras's default reduction
//! `sum_over_batch_size`:
//!
//! ```text
//! value = Σ_r w_r · l_r / rows
//! ```
//!
//! where `w_r` is the row's weight (sample weight × class weight, 1 without weights) and `rows` the
//! number of rows: not `Σ w_r`. The only exception is [`SparseCategoricalCrossentropy`] with
//! `ignore_class`, which masks the ignored rows out of `rows` as Keras does. An empty batch has
//! value 0 (Keras `divide_no_nan`).
//!
//! The gradient written into `grad` is `∂value/∂pred`, the exact derivative JAX autodiff gives
//! for the same formula (through the normalisation and the clipping of the probability losses).
//! A crossentropy on probabilities that come straight out of the matching activation (softmax for
//! the categorical losses, sigmoid for binary) instead writes the stable fused gradient with
//! respect to that activation's input, and says so in [`LossValue::grad_is_preactivation`].
//!
//! | loss | `l_r` |
//! |---|---|
//! | [`CategoricalCrossentropy`] | `−Σ_j y_j log clip(p_j/Σp, ε, 1−ε)`, or `−Σ_j y_j log_softmax(z)_j` |
//! | [`SparseCategoricalCrossentropy`] | the same with `y` the one-hot of the class id |
//! | [`BinaryCrossentropy`] | `mean_j −[y_j log clip(p_j) + (1−y_j) log(1 − clip(p_j))]` |
//! | [`MeanSquaredError`] | `mean_j (y_j − p_j)²` |
//! | [`MeanAbsoluteError`] | `mean_j |y_j − p_j|` |
//! | [`Huber`] | `mean_j (|e_j| ≤ δ ? ½e_j² : δ|e_j| − ½δ²)`, `e = p − y` |
//!
//! Nothing here allocates except on the error path: `compute` runs every training step.

mod crossentropy;
mod regression;

pub use crossentropy::{BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy};
pub use regression::{Huber, MeanAbsoluteError, MeanSquaredError};

use crate::error::{Error, Result};
use crate::layers::Activation;
use crate::train::Targets;

/// Keras `backend.epsilon()`, the clipping bound of the probability losses.
pub(crate) const EPSILON: f32 = 1e-7;

/// `1 − ε` rounded to f32 (`0.99999988`), as Keras's `1.0 - epsilon()` becomes in a float32 clip.
pub(crate) const ONE_MINUS_EPSILON: f32 = 1.0 - EPSILON;

/// What a loss reports for a batch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossValue {
    /// The Keras loss value, `Σ_r w_r · l_r / rows` (see the [module docs](self)).
    pub value: f32,
    /// Whether the gradient is (or, when none was asked for, would be) with respect to the input
    /// of the output activation instead of `pred`: true exactly when the loss fuses with the
    /// `output_activation` it was given. The caller must then skip that activation's backward pass.
    pub grad_is_preactivation: bool,
}

/// A Keras loss: one value per batch and its gradient.
pub trait Loss {
    /// The Keras name: `"categorical_crossentropy"`, `"sparse_categorical_crossentropy"`,
    /// `"binary_crossentropy"`, `"mean_squared_error"`, `"mean_absolute_error"` or `"huber"`.
    fn name(&self) -> &'static str;

    /// Keras `sum_over_batch_size`: `value = Σ_r w_r·l_r / rows` (`rows`, not `Σ w_r`).
    ///
    /// `pred` is row-major with rows of `row_len` values; `targets` has `pred.len()` dense values or
    /// one class id per row; `weights` has one weight per row. When `grad` is `Some` (same length
    /// as `pred`), every entry of it is overwritten with `∂value/∂pred`, or, when the loss fuses
    /// with `output_activation`, with `∂value/∂z` for the pre-activation `z` of that activation,
    /// which [`LossValue::grad_is_preactivation`] then reports.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for `row_len == 0`, a `pred` that does not split into rows, the
    /// wrong kind of targets or a class id that is not below `row_len`; [`Error::LengthMismatch`]
    /// when targets, weights or `grad` do not fit `pred`. Nothing is written to `grad` then.
    fn compute(
        &self,
        pred: &[f32],
        targets: Targets<'_>,
        row_len: usize,
        weights: Option<&[f32]>,
        output_activation: Option<Activation>,
        grad: Option<&mut [f32]>,
    ) -> Result<LossValue>;
}

/// The number of rows of `pred`, after checking `row_len`, `weights` and the `grad` buffer.
pub(crate) fn check_batch(
    loss: &'static str,
    pred: &[f32],
    row_len: usize,
    weights: Option<&[f32]>,
    grad_len: Option<usize>,
) -> Result<usize> {
    if row_len == 0 {
        return Err(Error::InvalidArgument {
            name: "row_len",
            detail: format!(
                "loss `{loss}` got rows of 0 values; the output's last axis must have at least 1"
            ),
        });
    }
    if !pred.len().is_multiple_of(row_len) {
        return Err(Error::InvalidArgument {
            name: "predictions",
            detail: format!(
                "loss `{loss}` got {} predictions, which do not split into rows of {row_len}",
                pred.len()
            ),
        });
    }
    let rows = pred.len() / row_len;
    if let Some(w) = weights {
        if w.len() != rows {
            return Err(Error::LengthMismatch {
                context: format!("weights (one per row) and prediction rows of loss `{loss}`"),
                left: w.len(),
                right: rows,
            });
        }
    }
    if let Some(len) = grad_len {
        if len != pred.len() {
            return Err(Error::LengthMismatch {
                context: format!("gradient buffer and predictions of loss `{loss}`"),
                left: len,
                right: pred.len(),
            });
        }
    }
    Ok(rows)
}

/// The dense targets, after checking that there is one per prediction.
pub(crate) fn dense_targets<'a>(
    loss: &'static str,
    targets: Targets<'a>,
    pred_len: usize,
) -> Result<&'a [f32]> {
    match targets {
        Targets::Dense(y) if y.len() == pred_len => Ok(y),
        Targets::Dense(y) => Err(Error::LengthMismatch {
            context: format!("targets and predictions of loss `{loss}`"),
            left: y.len(),
            right: pred_len,
        }),
        Targets::Sparse(_) => Err(Error::InvalidArgument {
            name: "targets",
            detail: format!(
                "loss `{loss}` needs dense targets shaped like the output, but got class ids \
                 (use sparse_categorical_crossentropy for class ids)"
            ),
        }),
    }
}

/// Weight of row `r`: `weights[r]`, or 1 without weights.
#[inline]
pub(crate) fn row_weight(weights: Option<&[f32]>, r: usize) -> f32 {
    weights.map_or(1.0, |w| w[r])
}

/// `Σ / denominator` as the reported f32, 0 for an empty denominator (Keras `divide_no_nan`).
#[inline]
pub(crate) fn reduce(sum: f64, denominator: usize) -> f32 {
    if denominator == 0 {
        0.0
    } else {
        (sum / denominator as f64) as f32
    }
}

/// `clip(x, ε, 1 − ε)` in f32, as `jnp.clip` computes it.
#[inline]
pub(crate) fn clip_probability(x: f32) -> f32 {
    // `clamp` keeps a NaN, as JAX does (`max`/`min` would drop it).
    x.clamp(EPSILON, ONE_MINUS_EPSILON)
}

/// `∂clip(x, ε, 1 − ε)/∂x` as JAX defines it: 1 inside, 0 outside, and ½ exactly at a bound
/// (`jnp.clip` is `minimum(maximum(x, lo), hi)` and `lax.max`/`lax.min` split ties evenly).
#[inline]
pub(crate) fn clip_derivative(x: f32) -> f32 {
    if x > EPSILON && x < ONE_MINUS_EPSILON {
        1.0
    } else if x == EPSILON || x == ONE_MINUS_EPSILON {
        0.5
    } else {
        0.0
    }
}

/// Calls `f(r, pred_row, grad_row)` for every row, with the matching row of `grad` when there is one.
#[inline]
pub(crate) fn for_each_row(
    pred: &[f32],
    row_len: usize,
    grad: Option<&mut [f32]>,
    mut f: impl FnMut(usize, &[f32], Option<&mut [f32]>),
) {
    let mut grad_rows = grad.map(|g| g.chunks_exact_mut(row_len));
    for (r, p) in pred.chunks_exact(row_len).enumerate() {
        f(r, p, grad_rows.as_mut().and_then(Iterator::next));
    }
}

/// Runs a loss whose targets are dense: checks the batch, then sums `w_r · row(p, y, grad, s_r)`
/// over the rows, where `row` returns the unweighted row loss `l_r` and, given a grad row, writes
/// `s_r · ∂l_r/∂p` with `s_r = w_r / rows` into it.
pub(crate) fn dense_loss(
    loss: &'static str,
    pred: &[f32],
    targets: Targets<'_>,
    row_len: usize,
    weights: Option<&[f32]>,
    grad: Option<&mut [f32]>,
    mut row: impl FnMut(&[f32], &[f32], Option<&mut [f32]>, f64) -> f64,
) -> Result<f32> {
    let rows = check_batch(loss, pred, row_len, weights, grad.as_ref().map(|g| g.len()))?;
    let y = dense_targets(loss, targets, pred.len())?;
    let mut sum = 0.0f64;
    for_each_row(pred, row_len, grad, |r, p, g| {
        let w = f64::from(row_weight(weights, r));
        let y_row = &y[r * row_len..(r + 1) * row_len];
        let l = row(p, y_row, g, w / rows as f64);
        sum += w * l;
    });
    Ok(reduce(sum, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_bounds_are_the_f32_roundings_of_keras_constants() {
        assert_eq!(EPSILON, 1e-7_f64 as f32);
        assert_eq!(ONE_MINUS_EPSILON, 0.999_999_9_f64 as f32);
        assert_eq!(1.0 - ONE_MINUS_EPSILON, 2.0f32.powi(-23));
    }

    #[test]
    fn clip_derivative_splits_ties_like_jax() {
        assert_eq!(clip_derivative(0.5), 1.0);
        assert_eq!(clip_derivative(0.0), 0.0);
        assert_eq!(clip_derivative(1.0), 0.0);
        assert_eq!(clip_derivative(EPSILON), 0.5);
        assert_eq!(clip_derivative(ONE_MINUS_EPSILON), 0.5);
        assert_eq!(clip_derivative(f32::NAN), 0.0);
        assert!(clip_probability(f32::NAN).is_nan());
        assert_eq!(clip_probability(-1.0), EPSILON);
        assert_eq!(clip_probability(2.0), ONE_MINUS_EPSILON);
    }

    #[test]
    fn empty_batch_reduces_to_zero() {
        assert_eq!(reduce(0.0, 0), 0.0);
        assert_eq!(reduce(3.0, 2), 1.5);
    }
}
