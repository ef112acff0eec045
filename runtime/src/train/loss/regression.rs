//! Regression losses: mean squared error, mean absolute error and Huber (Keras 3).
//!
//! Each is a mean over the last axis of an elementwise penalty of the error `e = p − y`, then
//! Keras's `sum_over_batch_size` over the rows. The error is taken in f32 as Keras does (so the
//! Huber branch is chosen as float32 Keras chooses it); squares and sums are taken in f64.

use crate::error::Result;
use crate::layers::Activation;
use crate::train::loss::{dense_loss, Loss, LossValue};
use crate::train::Targets;

/// Keras `MeanSquaredError()`: `l = mean_j (y_j − p_j)²`, gradient `∂l/∂p_j = 2·(p_j − y_j)/n`
/// (`n = row_len`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MeanSquaredError;

/// Keras `MeanAbsoluteError()`: `l = mean_j |y_j − p_j|`, gradient `∂l/∂p_j = sign(p_j − y_j)/n`
/// with `sign(0) = 0`, as JAX differentiates `abs` (`n = row_len`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MeanAbsoluteError;

/// Keras `Huber(delta=1.0)`: with `e = p − y`,
/// `l = mean_j (|e_j| ≤ δ ? ½·e_j² : δ·|e_j| − ½·δ²)`, gradient
/// `∂l/∂p_j = (|e_j| ≤ δ ? e_j : δ·sign(e_j))/n` (`n = row_len`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Huber {
    /// `δ`, where the penalty turns from quadratic to linear (Keras default 1.0).
    pub delta: f32,
}

impl Default for Huber {
    fn default() -> Self {
        Huber { delta: 1.0 }
    }
}

impl Loss for MeanSquaredError {
    fn name(&self) -> &'static str {
        "mean_squared_error"
    }

    fn compute(
        &self,
        pred: &[f32],
        targets: Targets<'_>,
        row_len: usize,
        weights: Option<&[f32]>,
        _output_activation: Option<Activation>,
        grad: Option<&mut [f32]>,
    ) -> Result<LossValue> {
        let value = elementwise(self.name(), pred, targets, row_len, weights, grad, |e| (e * e, 2.0 * e))?;
        Ok(LossValue { value, grad_is_preactivation: false })
    }
}

impl Loss for MeanAbsoluteError {
    fn name(&self) -> &'static str {
        "mean_absolute_error"
    }

    fn compute(
        &self,
        pred: &[f32],
        targets: Targets<'_>,
        row_len: usize,
        weights: Option<&[f32]>,
        _output_activation: Option<Activation>,
        grad: Option<&mut [f32]>,
    ) -> Result<LossValue> {
        let value = elementwise(self.name(), pred, targets, row_len, weights, grad, |e| (e.abs(), sign(e)))?;
        Ok(LossValue { value, grad_is_preactivation: false })
    }
}

impl Loss for Huber {
    fn name(&self) -> &'static str {
        "huber"
    }

    fn compute(
        &self,
        pred: &[f32],
        targets: Targets<'_>,
        row_len: usize,
        weights: Option<&[f32]>,
        _output_activation: Option<Activation>,
        grad: Option<&mut [f32]>,
    ) -> Result<LossValue> {
        let delta = f64::from(self.delta);
        let value = elementwise(self.name(), pred, targets, row_len, weights, grad, |e| {
            // `e` is an f32 difference widened to f64, and `delta` a widened f32: the comparison is
            // float32 Keras's.
            if e.abs() <= delta {
                (0.5 * e * e, e)
            } else {
                (delta * e.abs() - 0.5 * delta * delta, delta * sign(e))
            }
        })?;
        Ok(LossValue { value, grad_is_preactivation: false })
    }
}

/// `l = mean_j f(e_j).0` with `e = p − y` (f32 difference); the gradient row gets
/// `scale · f(e_j).1 / n`.
fn elementwise(
    loss: &'static str,
    pred: &[f32],
    targets: Targets<'_>,
    row_len: usize,
    weights: Option<&[f32]>,
    grad: Option<&mut [f32]>,
    f: impl Fn(f64) -> (f64, f64),
) -> Result<f32> {
    let n = row_len as f64;
    dense_loss(loss, pred, targets, row_len, weights, grad, |p, y, mut g, scale| {
        let mut l = 0.0f64;
        for (j, (&pj, &yj)) in p.iter().zip(y).enumerate() {
            let (penalty, slope) = f(f64::from(pj - yj));
            l += penalty;
            if let Some(g) = g.as_deref_mut() {
                g[j] = (scale * slope / n) as f32;
            }
        }
        l / n
    })
}

/// `sign(x)` as JAX defines it: −1, 0 or 1, and NaN for NaN.
fn sign(x: f64) -> f64 {
    if x == 0.0 {
        0.0
    } else {
        x.signum()
    }
}
