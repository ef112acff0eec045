//! Crossentropy losses: categorical, sparse categorical and binary (Keras 3, JAX backend).
//!
//! From probabilities the inputs are clipped to `[ε, 1 − ε]` (`ε = 1e-7`, bounds rounded to f32) as
//! JAX/NumPy Keras does; clipped entries pass no gradient through the log (½ exactly at a bound,
//! as JAX's `clip`). From logits (`from_logits: true`) the stable `log_softmax` / `log_sigmoid`
//! forms are used and nothing is clipped.
//!
//! Sums, logarithms and exponentials are taken in f64 over the f32 inputs; the normalised and
//! clipped probabilities are rounded to f32 first, so the clipping decisions are float32 Keras's.

use crate::error::{Error, Result};
use crate::layers::Activation;
use crate::train::loss::{
    check_batch, clip_derivative, clip_probability, dense_loss, for_each_row, reduce, row_weight, Loss,
    LossValue,
};
use crate::train::Targets;

/// Keras `CategoricalCrossentropy(from_logits=False, label_smoothing=0.0)` over one-hot (or soft)
/// targets shaped like the output.
///
/// Per row, with targets smoothed as `y ← y·(1 − s) + s/C` (`C = row_len`):
/// - probabilities: `l = −Σ_j y_j · log clip(p_j / Σ_k p_k, ε, 1 − ε)`;
/// - logits: `l = −Σ_j y_j · log_softmax(z)_j`, gradient `softmax(z)·Σy − y`.
///
/// Fuses with an output [`Activation::Softmax`] when `from_logits` is false: the gradient is then
/// `w_r·(p·Σy − y)/rows` with respect to the softmax input (`w_r·(p − y)/rows` for targets that
/// sum to 1), while the value is still computed from the clipped probabilities.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CategoricalCrossentropy {
    /// Whether `pred` holds logits rather than probabilities (Keras default `false`).
    pub from_logits: bool,
    /// `s` in `y ← y·(1 − s) + s/C` (Keras default 0).
    pub label_smoothing: f32,
}

/// Keras `SparseCategoricalCrossentropy(from_logits=False, ignore_class=None)`: one class id per
/// row.
///
/// Per row with class id `k`:
/// - probabilities: `l = −log clip(p_k / Σ_j p_j, ε, 1 − ε)`;
/// - logits: `l = −log_softmax(z)_k`, gradient `softmax(z) − onehot(k)`.
///
/// A row whose id equals `ignore_class` has loss 0, zero gradient, and does not count in `rows`
/// (Keras masks it: `value = Σ_valid w_r·l_r / valid rows`, 0 when no row is valid). Any other id
/// must be below `row_len`, or `compute` returns an error naming the id, its row and `row_len`.
///
/// Fuses with an output [`Activation::Softmax`] when `from_logits` is false: the gradient is then
/// `w_r·(p − onehot(k))/rows` with respect to the softmax input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SparseCategoricalCrossentropy {
    /// Whether `pred` holds logits rather than probabilities (Keras default `false`).
    pub from_logits: bool,
    /// A class id whose rows are left out of the loss (Keras default `None`).
    pub ignore_class: Option<u32>,
}

/// Keras `BinaryCrossentropy(from_logits=False, label_smoothing=0.0)`: independent yes/no outputs.
///
/// Per row, with targets smoothed as `y ← y·(1 − s) + ½s` and `n = row_len`:
/// - probabilities: `l = mean_j −[y_j·log clip(p_j) + (1 − y_j)·log(1 − clip(p_j))]`, where
///   `clip(p) = clip(p, ε, 1 − ε)` and `1 − clip(p)` is taken in f32, so a saturated 1 costs
///   `−log(2⁻²³) ≈ 15.94`;
/// - logits: `l = mean_j −[y_j·log_sigmoid(z_j) + (1 − y_j)·log_sigmoid(−z_j)]`, gradient
///   `(sigmoid(z) − y)/n`.
///
/// Fuses with an output [`Activation::Sigmoid`] when `from_logits` is false: the gradient is then
/// `w_r·(p − y)/(n·rows)` with respect to the sigmoid input.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BinaryCrossentropy {
    /// Whether `pred` holds logits rather than probabilities (Keras default `false`).
    pub from_logits: bool,
    /// `s` in `y ← y·(1 − s) + ½s` (Keras default 0).
    pub label_smoothing: f32,
}

impl Loss for CategoricalCrossentropy {
    fn name(&self) -> &'static str {
        "categorical_crossentropy"
    }

    fn compute(
        &self,
        pred: &[f32],
        targets: Targets<'_>,
        row_len: usize,
        weights: Option<&[f32]>,
        output_activation: Option<Activation>,
        grad: Option<&mut [f32]>,
    ) -> Result<LossValue> {
        let fused = !self.from_logits && output_activation == Some(Activation::Softmax);
        let (s, classes) = (self.label_smoothing, row_len as f32);
        let smooth = move |y: f32| y * (1.0 - s) + s / classes;
        let value = dense_loss(self.name(), pred, targets, row_len, weights, grad, |p, y, g, scale| {
            let target = |j: usize| smooth(y[j]);
            if self.from_logits {
                categorical_from_logits(p, target, g, scale)
            } else if fused {
                let l = categorical_from_probabilities(p, target, None, scale);
                if let Some(g) = g {
                    softmax_fused_grad(p, target, g, scale);
                }
                l
            } else {
                categorical_from_probabilities(p, target, g, scale)
            }
        })?;
        Ok(LossValue { value, grad_is_preactivation: fused })
    }
}

impl Loss for SparseCategoricalCrossentropy {
    fn name(&self) -> &'static str {
        "sparse_categorical_crossentropy"
    }

    fn compute(
        &self,
        pred: &[f32],
        targets: Targets<'_>,
        row_len: usize,
        weights: Option<&[f32]>,
        output_activation: Option<Activation>,
        grad: Option<&mut [f32]>,
    ) -> Result<LossValue> {
        let loss = self.name();
        let rows = check_batch(loss, pred, row_len, weights, grad.as_ref().map(|g| g.len()))?;
        let ids = match targets {
            Targets::Sparse(ids) if ids.len() == rows => ids,
            Targets::Sparse(ids) => {
                return Err(Error::LengthMismatch {
                    context: format!("class ids (one per row) and prediction rows of loss `{loss}`"),
                    left: ids.len(),
                    right: rows,
                })
            }
            Targets::Dense(_) => {
                return Err(Error::InvalidArgument {
                    name: "targets",
                    detail: format!(
                        "loss `{loss}` needs one class id per row, but got dense targets \
                         (use categorical_crossentropy for one-hot targets)"
                    ),
                })
            }
        };
        // Check every id before touching `grad`, and count the rows that are not ignored.
        let mut valid = 0usize;
        for (r, &id) in ids.iter().enumerate() {
            if Some(id) == self.ignore_class {
                continue;
            }
            if usize::try_from(id).map_or(true, |k| k >= row_len) {
                return Err(Error::InvalidArgument {
                    name: "labels",
                    detail: format!("class id {id} at row {r} is not below the model's {row_len} outputs"),
                });
            }
            valid += 1;
        }

        let fused = !self.from_logits && output_activation == Some(Activation::Softmax);
        let mut sum = 0.0f64;
        for_each_row(pred, row_len, grad, |r, p, g| {
            let id = ids[r];
            if Some(id) == self.ignore_class {
                if let Some(g) = g {
                    g.fill(0.0);
                }
                return;
            }
            // Checked above: `id < row_len`, so it fits in usize.
            let k = id as usize;
            let w = f64::from(row_weight(weights, r));
            let scale = w / valid as f64;
            let target = |j: usize| if j == k { 1.0 } else { 0.0 };
            let l = if self.from_logits {
                categorical_from_logits(p, target, g, scale)
            } else if fused {
                let l = categorical_from_probabilities(p, target, None, scale);
                if let Some(g) = g {
                    softmax_fused_grad(p, target, g, scale);
                }
                l
            } else {
                categorical_from_probabilities(p, target, g, scale)
            };
            sum += w * l;
        });
        Ok(LossValue { value: reduce(sum, valid), grad_is_preactivation: fused })
    }
}

impl Loss for BinaryCrossentropy {
    fn name(&self) -> &'static str {
        "binary_crossentropy"
    }

    fn compute(
        &self,
        pred: &[f32],
        targets: Targets<'_>,
        row_len: usize,
        weights: Option<&[f32]>,
        output_activation: Option<Activation>,
        grad: Option<&mut [f32]>,
    ) -> Result<LossValue> {
        let fused = !self.from_logits && output_activation == Some(Activation::Sigmoid);
        let s = self.label_smoothing;
        let n = row_len as f64;
        let value = dense_loss(self.name(), pred, targets, row_len, weights, grad, |p, y, mut g, scale| {
            let mut l = 0.0f64;
            for (j, (&pj, &yj)) in p.iter().zip(y).enumerate() {
                let t = f64::from(yj * (1.0 - s) + 0.5 * s);
                let d = if self.from_logits {
                    let z = f64::from(pj);
                    // −[t·log σ(z) + (1 − t)·log σ(−z)] = t·softplus(−z) + (1 − t)·softplus(z)
                    l += t * softplus(-z) + (1.0 - t) * softplus(z);
                    sigmoid(z) - t
                } else {
                    let c = clip_probability(pj);
                    let (c, one_minus_c) = (f64::from(c), f64::from(1.0 - c));
                    l -= t * c.ln() + (1.0 - t) * one_minus_c.ln();
                    if fused {
                        f64::from(pj) - t
                    } else {
                        f64::from(clip_derivative(pj)) * ((1.0 - t) / one_minus_c - t / c)
                    }
                };
                if let Some(g) = g.as_deref_mut() {
                    g[j] = (scale * d / n) as f32;
                }
            }
            l / n
        })?;
        Ok(LossValue { value, grad_is_preactivation: fused })
    }
}

/// `−Σ_j y_j log clip(q_j)` with `q = p/Σp` for one row; with a grad row, writes
/// `scale · ∂/∂p_k = scale · (g_k − Σ_j g_j q_j) / Σp`, where `g_j = −y_j·clip'(q_j)/clip(q_j)`.
fn categorical_from_probabilities(
    p: &[f32],
    y: impl Fn(usize) -> f32,
    grad: Option<&mut [f32]>,
    scale: f64,
) -> f64 {
    let total: f64 = p.iter().map(|&v| f64::from(v)).sum();
    let q = |v: f32| (f64::from(v) / total) as f32;
    // ∂l/∂q_j, before the normalisation.
    let dq = |j: usize, qj: f32| {
        -f64::from(y(j)) * f64::from(clip_derivative(qj)) / f64::from(clip_probability(qj))
    };
    let mut loss = 0.0f64;
    let mut dq_dot_q = 0.0f64;
    for (j, &pj) in p.iter().enumerate() {
        let qj = q(pj);
        loss -= f64::from(y(j)) * f64::from(clip_probability(qj)).ln();
        dq_dot_q += dq(j, qj) * f64::from(qj);
    }
    if let Some(g) = grad {
        for (j, (gj, &pj)) in g.iter_mut().zip(p).enumerate() {
            *gj = (scale * (dq(j, q(pj)) - dq_dot_q) / total) as f32;
        }
    }
    loss
}

/// `−Σ_j y_j·log_softmax(z)_j` for one row; with a grad row, writes `scale·(softmax(z)_j·Σy − y_j)`.
fn categorical_from_logits(z: &[f32], y: impl Fn(usize) -> f32, grad: Option<&mut [f32]>, scale: f64) -> f64 {
    let max = z.iter().fold(f32::NEG_INFINITY, |m, &v| if v > m || v.is_nan() { v } else { m });
    let max = f64::from(max);
    let lse = max + z.iter().map(|&v| (f64::from(v) - max).exp()).sum::<f64>().ln();
    let mut loss = 0.0f64;
    let mut y_sum = 0.0f64;
    for (j, &zj) in z.iter().enumerate() {
        let yj = f64::from(y(j));
        loss -= yj * (f64::from(zj) - lse);
        y_sum += yj;
    }
    if let Some(g) = grad {
        for (j, (gj, &zj)) in g.iter_mut().zip(z).enumerate() {
            let softmax = (f64::from(zj) - lse).exp();
            *gj = (scale * (softmax * y_sum - f64::from(y(j)))) as f32;
        }
    }
    loss
}

/// The fused softmax + crossentropy gradient with respect to the softmax input:
/// `scale·(p_j·Σy − y_j)` (`scale·(p − y)` for targets that sum to 1).
fn softmax_fused_grad(p: &[f32], y: impl Fn(usize) -> f32, grad: &mut [f32], scale: f64) {
    let y_sum: f64 = (0..p.len()).map(|j| f64::from(y(j))).sum();
    for (j, (gj, &pj)) in grad.iter_mut().zip(p).enumerate() {
        *gj = (scale * (f64::from(pj) * y_sum - f64::from(y(j)))) as f32;
    }
}

/// `ln(1 + eˣ)` without overflow: `max(x, 0) + ln(1 + e^−|x|)`.
fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// `1 / (1 + e^−x)`, as `eˣ / (1 + eˣ)` for negative `x` so that it never overflows.
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_scalar_helpers() {
        assert_eq!(softplus(1000.0), 1000.0);
        assert!(softplus(-1000.0) >= 0.0 && softplus(-1000.0) < 1e-300);
        assert!((softplus(0.0) - std::f64::consts::LN_2).abs() < 1e-15);
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert_eq!(sigmoid(1000.0), 1.0);
        assert_eq!(sigmoid(0.0), 0.5);
    }
}
