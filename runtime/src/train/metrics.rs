//! Keras 3 metrics as running weighted means over an epoch (`keras/src/metrics/*.py`).
//!
//! Each metric gives one value `v_r` per row (a mean over the row's last axis for the elementwise
//! ones), and [`MetricState`] keeps Keras's `Mean` state: `total = Σ w_r·v_r`, `count = Σ w_r`,
//! `result = total / count` (0 before any row, as Keras's `divide_no_nan`).
//!
//! Keras passes no sample weights to `compile(metrics=...)` (pass `None`) and the sample and class
//! weights to `compile(weighted_metrics=...)`.
//!
//! | metric | `v_r` |
//! |---|---|
//! | `binary_accuracy` | `mean_j [(p_j > 0.5) == y_j]` |
//! | `categorical_accuracy` | `[argmax p == argmax y]` |
//! | `sparse_categorical_accuracy` | `[argmax p == id]` |
//! | `mae` | `mean_j |y_j − p_j|` |
//! | `mse` | `mean_j (y_j − p_j)²` |
//!
//! `argmax` returns the first maximal index, and a NaN counts as the maximum (NumPy/JAX).

use crate::error::{Error, Result};
use crate::train::Targets;

/// A metric as named in `compile(metrics=[...])`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Metric {
    /// `"accuracy"`: chosen from the shapes by [`Metric::resolve`].
    Accuracy,
    /// `"binary_accuracy"`: `mean_j [(p_j > 0.5) == y_j]` (Keras threshold 0.5, strict `>`).
    BinaryAccuracy,
    /// `"categorical_accuracy"`: `[argmax p == argmax y]` per row.
    CategoricalAccuracy,
    /// `"sparse_categorical_accuracy"`: `[argmax p == id]` per row.
    SparseCategoricalAccuracy,
    /// `"mae"`: `mean_j |y_j − p_j|` per row.
    MeanAbsoluteError,
    /// `"mse"`: `mean_j (y_j − p_j)²` per row.
    MeanSquaredError,
}

impl Metric {
    /// The name Keras reports in the logs and the history: `"accuracy"`, `"binary_accuracy"`,
    /// `"categorical_accuracy"`, `"sparse_categorical_accuracy"`, `"mae"`, `"mse"`.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::BinaryAccuracy => "binary_accuracy",
            Metric::CategoricalAccuracy => "categorical_accuracy",
            Metric::SparseCategoricalAccuracy => "sparse_categorical_accuracy",
            Metric::MeanAbsoluteError => "mae",
            Metric::MeanSquaredError => "mse",
        }
    }

    /// Keras `compile_utils.get_metric` for `"accuracy"`: `row_len == 1` → [`Metric::BinaryAccuracy`];
    /// else sparse targets (class ids) → [`Metric::SparseCategoricalAccuracy`]; else
    /// [`Metric::CategoricalAccuracy`]. Every other metric resolves to itself.
    pub fn resolve(self, row_len: usize, sparse_targets: bool) -> Metric {
        match self {
            Metric::Accuracy if row_len == 1 => Metric::BinaryAccuracy,
            Metric::Accuracy if sparse_targets => Metric::SparseCategoricalAccuracy,
            Metric::Accuracy => Metric::CategoricalAccuracy,
            other => other,
        }
    }
}

/// A running weighted mean of one metric over an epoch (Keras's stateful metric):
/// `result = Σ w_r·v_r / Σ w_r` over every row given to [`MetricState::update`] since the last
/// [`MetricState::reset`].
#[derive(Clone, Debug)]
pub struct MetricState {
    /// The metric as the user named it.
    metric: Metric,
    /// The metric that is computed, after [`Metric::resolve`].
    resolved: Metric,
    /// The output's last axis, fixed at construction.
    row_len: usize,
    /// `Σ w_r·v_r`.
    total: f64,
    /// `Σ w_r`.
    count: f64,
}

impl MetricState {
    /// An empty state for `metric` as the user named it, resolved for outputs with rows of
    /// `row_len` values and for class-id (`sparse_targets`) or dense targets.
    pub fn new(metric: Metric, row_len: usize, sparse_targets: bool) -> Self {
        MetricState {
            metric,
            resolved: metric.resolve(row_len, sparse_targets),
            row_len,
            total: 0.0,
            count: 0.0,
        }
    }

    /// The user-facing name: `"accuracy"` stays `"accuracy"` whatever it resolved to.
    pub fn name(&self) -> &'static str {
        self.metric.name()
    }

    /// The metric actually computed (see [`Metric::resolve`]).
    pub fn resolved(&self) -> Metric {
        self.resolved
    }

    /// Adds a batch: `total += Σ_r w_r·v_r`, `count += Σ_r w_r` (`w_r = 1` without weights).
    ///
    /// Targets are dense (`pred.len()` values) for every metric, except that the sparse accuracy
    /// takes one class id per row (or one dense value per row, compared with `argmax` as a float, as
    /// Keras does for `(batch, 1)` labels) and the binary accuracy also takes ids (`pred.len()` of
    /// them) as 0/1 labels. Does not allocate unless it returns an error.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `row_len` is not the one given to [`MetricState::new`] or does
    /// not split `pred` into rows, or when the kind of targets does not fit the metric;
    /// [`Error::LengthMismatch`] when the targets or weights do not fit `pred`. The state is left
    /// unchanged then.
    pub fn update(
        &mut self,
        pred: &[f32],
        targets: Targets<'_>,
        row_len: usize,
        weights: Option<&[f32]>,
    ) -> Result<()> {
        let rows = self.check(pred, row_len, weights)?;
        let mut total = 0.0f64;
        let mut count = 0.0f64;
        let mut add = |r: usize, v: f64| {
            let w = weights.map_or(1.0, |w| f64::from(w[r]));
            total += w * v;
            count += w;
        };
        let p_rows = pred.chunks_exact(row_len);
        match (self.resolved, targets) {
            (Metric::BinaryAccuracy, Targets::Dense(y)) => {
                self.check_len("targets", y.len(), pred.len())?;
                for (r, (p, y)) in p_rows.zip(y.chunks_exact(row_len)).enumerate() {
                    add(r, mean(p.iter().zip(y).map(|(&p, &y)| binary_match(p, y)), row_len));
                }
            }
            (Metric::BinaryAccuracy, Targets::Sparse(ids)) => {
                self.check_len("class ids", ids.len(), pred.len())?;
                for (r, (p, ids)) in p_rows.zip(ids.chunks_exact(row_len)).enumerate() {
                    add(r, mean(p.iter().zip(ids).map(|(&p, &id)| binary_match(p, id as f32)), row_len));
                }
            }
            (Metric::CategoricalAccuracy, Targets::Dense(y)) => {
                self.check_len("targets", y.len(), pred.len())?;
                for (r, (p, y)) in p_rows.zip(y.chunks_exact(row_len)).enumerate() {
                    add(r, indicator(argmax(p) == argmax(y)));
                }
            }
            (Metric::SparseCategoricalAccuracy, Targets::Sparse(ids)) => {
                self.check_len("class ids", ids.len(), rows)?;
                for (r, (p, &id)) in p_rows.zip(ids).enumerate() {
                    add(r, indicator(u32::try_from(argmax(p)).is_ok_and(|k| k == id)));
                }
            }
            (Metric::SparseCategoricalAccuracy, Targets::Dense(y)) => {
                self.check_len("targets (one per row)", y.len(), rows)?;
                for (r, (p, &y)) in p_rows.zip(y).enumerate() {
                    add(r, indicator(argmax(p) as f32 == y));
                }
            }
            (Metric::MeanAbsoluteError, Targets::Dense(y)) => {
                self.check_len("targets", y.len(), pred.len())?;
                for (r, (p, y)) in p_rows.zip(y.chunks_exact(row_len)).enumerate() {
                    add(r, mean(p.iter().zip(y).map(|(&p, &y)| f64::from(y - p).abs()), row_len));
                }
            }
            (Metric::MeanSquaredError, Targets::Dense(y)) => {
                self.check_len("targets", y.len(), pred.len())?;
                for (r, (p, y)) in p_rows.zip(y.chunks_exact(row_len)).enumerate() {
                    add(r, mean(p.iter().zip(y).map(|(&p, &y)| f64::from(y - p).powi(2)), row_len));
                }
            }
            (resolved, targets) => {
                let (given, needed) = if targets.is_sparse() {
                    ("class ids", "dense targets shaped like the output")
                } else {
                    ("dense targets", "one class id per row")
                };
                return Err(Error::InvalidArgument {
                    name: "targets",
                    detail: format!(
                        "metric `{}` (computed as `{}`) needs {needed}, but got {given}",
                        self.metric.name(),
                        resolved.name()
                    ),
                });
            }
        }
        self.total += total;
        self.count += count;
        Ok(())
    }

    /// The weighted mean so far, `Σ w_r·v_r / Σ w_r`; 0 when no weight has been added.
    pub fn result(&self) -> f64 {
        if self.count == 0.0 {
            0.0
        } else {
            self.total / self.count
        }
    }

    /// Forgets every batch (Keras `reset_state`, at the start of each epoch).
    pub fn reset(&mut self) {
        self.total = 0.0;
        self.count = 0.0;
    }

    /// The number of rows of `pred`, after checking `row_len` and the weights.
    fn check(&self, pred: &[f32], row_len: usize, weights: Option<&[f32]>) -> Result<usize> {
        if row_len != self.row_len || row_len == 0 || !pred.len().is_multiple_of(row_len) {
            return Err(Error::InvalidArgument {
                name: "row_len",
                detail: format!(
                    "metric `{}` was set up for rows of {} values, but got rows of {row_len} and {} \
                     predictions",
                    self.metric.name(),
                    self.row_len,
                    pred.len()
                ),
            });
        }
        let rows = pred.len() / row_len;
        if let Some(w) = weights {
            self.check_len("weights (one per row)", w.len(), rows)?;
        }
        Ok(rows)
    }

    /// `Ok` when `len == expected`, else a [`Error::LengthMismatch`] naming both.
    fn check_len(&self, what: &str, len: usize, expected: usize) -> Result<()> {
        if len == expected {
            return Ok(());
        }
        Err(Error::LengthMismatch {
            context: format!("{what} and predictions of metric `{}`", self.metric.name()),
            left: len,
            right: expected,
        })
    }
}

/// 1 when the thresholded prediction equals the label (Keras casts `p > 0.5` to the label's type
/// and compares exactly), else 0.
#[inline]
fn binary_match(p: f32, y: f32) -> f64 {
    indicator((if p > 0.5 { 1.0 } else { 0.0 }) == y)
}

#[inline]
fn indicator(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// `Σ values / n`.
#[inline]
fn mean(values: impl Iterator<Item = f64>, n: usize) -> f64 {
    values.sum::<f64>() / n as f64
}

/// The index of the first maximum of `x`, as NumPy / JAX `argmax`: ties go to the lowest index, a
/// NaN counts as the maximum (the first NaN wins), and an empty slice gives 0.
pub fn argmax(x: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in x.iter().enumerate().skip(1) {
        let current = x[best];
        if current.is_nan() {
            break;
        }
        if v > current || v.is_nan() {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_takes_the_first_maximum_and_nan_wins() {
        assert_eq!(argmax(&[0.1, 0.7, 0.7, 0.2]), 1);
        assert_eq!(argmax(&[3.0]), 0);
        assert_eq!(argmax(&[1.0, f32::NAN, 5.0, f32::NAN]), 1);
        assert_eq!(argmax(&[f32::NAN, 5.0]), 0);
        assert_eq!(argmax(&[-1.0, -0.5, -2.0]), 1);
        assert_eq!(argmax(&[]), 0);
    }
}
