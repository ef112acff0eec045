//! `Normalization(invert = false)`: Keras's feature-wise standardisation over the last axis,
//! its mean and variance learned from data by `adapt`; on values that may be missing
//! (`Option<f32>` inputs), it also fills each missing value with its feature's mean.
//!
//! Shape contract: `[.., F]` → the same, `F` known. Formula (Keras 3):
//!
//! ```text
//! y = (x − mean) / max(√variance, ε)          ε = 1e-7 (Keras's backend.epsilon())
//! y = mean + x · max(√variance, ε)            with invert
//! ```
//!
//! `adapt` computes each feature's mean and population (biased) variance over every value of
//! the data (all axes but the last), as Keras's `adapt` does in batches (Chan's merge of batch
//! moments, here in `f64`); padded positions of ragged data are not counted. Before `adapt`,
//! mean 0 and variance 1 (Keras's initial weights): the layer passes values through. Weights
//! `mean` and `variance`, both non-trainable. Backward: `dx = dy / max(√variance, ε)` (or
//! `· max(√variance, ε)` inverted). The mask is kept.
//!
//! Missing values ([`Normalization::filling_missing`], which `model!` sets when the layer
//! reads an `Option<f32>` input): a missing value arrives as NaN; `adapt` counts each
//! feature's present values only, and the layer outputs the mean in its place, so
//! `y = 0` (`y = mean` inverted), scikit-learn's `SimpleImputer(strategy="mean")` followed by
//! standardisation. Keras has no such option: its `Normalization` passes NaN through.

use crate::error::{Error, Result};
use crate::layers::adapt::Adapt;
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::stage::{check_buffer, single_dims, single_grad, Backward, Forward, Input, Stage};
use crate::layers::{Param, ParamMut};
use crate::shape::Dims;

/// Keras's `backend.epsilon()`: the smallest standard deviation divided by.
const EPSILON: f32 = 1e-7;

/// Feature-wise standardisation (see the module docs).
#[derive(Clone, Debug)]
pub struct Normalization {
    features: usize,
    invert: bool,
    shape: [usize; 1],
    mean: Vec<f32>,
    variance: Vec<f32>,
    /// Gradient buffers the weight visitors hand out (never written: nothing trains these).
    mean_grad: Vec<f32>,
    variance_grad: Vec<f32>,
    /// Whether a NaN input is a missing value, filled with the mean.
    fill_missing: bool,
    /// `adapt`'s running count, mean and sum of squared deviations per feature.
    seen: Vec<f64>,
    running_mean: Vec<f64>,
    running_m2: Vec<f64>,
}

impl Normalization {
    /// A layer over `features` values per position, mean 0 and variance 1 until adapted.
    pub fn new(features: usize, invert: bool) -> Normalization {
        Normalization {
            features,
            invert,
            shape: [features],
            mean: vec![0.0; features],
            variance: vec![1.0; features],
            mean_grad: vec![0.0; features],
            variance_grad: vec![0.0; features],
            fill_missing: false,
            seen: Vec::new(),
            running_mean: Vec::new(),
            running_m2: Vec::new(),
        }
    }

    /// The same layer on values that may be missing: a NaN input is a missing value, left
    /// out by `adapt` and replaced by its feature's mean.
    pub fn filling_missing(self) -> Normalization {
        Normalization { fill_missing: true, ..self }
    }

    /// The mean per feature.
    pub fn mean(&self) -> &[f32] {
        &self.mean
    }

    /// The (population) variance per feature.
    pub fn variance(&self) -> &[f32] {
        &self.variance
    }

    /// `max(√variance, ε)` of feature `j`.
    fn scale(&self, j: usize) -> f32 {
        self.variance[j].sqrt().max(EPSILON)
    }

    /// The input checked against the layer's features.
    fn check(&self, dims: Dims) -> Result<()> {
        if dims.last() != self.features {
            return Err(Error::shape(
                "input of `Normalization`",
                format!("(None, …, {})", self.features),
                dims.with_batch_none(),
            ));
        }
        Ok(())
    }
}

impl Stage for Normalization {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "Normalization")?;
        self.check(input)?;
        rule_dims_one("Normalization", input, shaped_rules::normalization)
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let x = args.input("Normalization")?.data;
        check_buffer("Normalization", "output", x.len(), y.len())?;
        let f = self.features.max(1);
        for (row_y, row_x) in y.chunks_exact_mut(f).zip(x.chunks_exact(f)) {
            for (j, (y, &x)) in row_y.iter_mut().zip(row_x).enumerate() {
                let x = if self.fill_missing && x.is_nan() { self.mean[j] } else { x };
                *y = if self.invert {
                    self.mean[j] + x * self.scale(j)
                } else {
                    (x - self.mean[j]) / self.scale(j)
                };
            }
        }
        Ok(())
    }

    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        let Some(dx) = single_grad(grad_inputs) else { return Ok(()) };
        let dy = args.grad_output;
        check_buffer("Normalization", "input gradient", dy.len(), dx.len())?;
        let f = self.features.max(1);
        for (row_dx, row_dy) in dx.chunks_exact_mut(f).zip(dy.chunks_exact(f)) {
            for (j, (dx, &dy)) in row_dx.iter_mut().zip(row_dy).enumerate() {
                *dx = if self.invert { dy * self.scale(j) } else { dy / self.scale(j) };
            }
        }
        Ok(())
    }

    fn kind(&self) -> String {
        "Normalization".into()
    }

    fn adapter(&mut self) -> Option<&mut dyn Adapt> {
        Some(self)
    }

    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        let shape = &self.shape;
        visit(Param { name: "mean", shape, data: &self.mean, grad: &self.mean_grad, trainable: false });
        visit(Param {
            name: "variance",
            shape,
            data: &self.variance,
            grad: &self.variance_grad,
            trainable: false,
        });
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        let shape = &self.shape;
        let (mean, mean_grad) = (&mut self.mean[..], &mut self.mean_grad[..]);
        visit(ParamMut { name: "mean", shape, data: mean, grad: mean_grad, trainable: false });
        let (variance, variance_grad) = (&mut self.variance[..], &mut self.variance_grad[..]);
        visit(ParamMut { name: "variance", shape, data: variance, grad: variance_grad, trainable: false });
    }
}

impl Adapt for Normalization {
    fn begin(&mut self) {
        self.seen = vec![0.0; self.features];
        self.running_mean = vec![0.0; self.features];
        self.running_m2 = vec![0.0; self.features];
    }

    fn update(&mut self, input: Input<'_>, batch: usize) -> Result<()> {
        self.check(input.dims)?;
        let f = self.features.max(1);
        check_buffer("Normalization", "adapt data", batch * input.dims.numel(), input.data.len())?;
        // One mask value per position (per row of `F` values) when the data is padded.
        if let Some(mask) = input.mask {
            check_buffer("Normalization", "adapt mask", input.data.len() / f, mask.len())?;
        }
        // This batch's count, mean and squared deviations per feature, real positions (and,
        // filling missing values, present values) only.
        let mut n = vec![0.0f64; f];
        let mut mean = vec![0.0f64; f];
        let mut m2 = vec![0.0f64; f];
        for (p, row) in input.data.chunks_exact(f).enumerate() {
            if input.mask.is_some_and(|m| m[p] == 0.0) {
                continue;
            }
            for (j, &x) in row.iter().enumerate() {
                if self.fill_missing && x.is_nan() {
                    continue;
                }
                n[j] += 1.0;
                let d = x as f64 - mean[j];
                mean[j] += d / n[j];
                m2[j] += d * (x as f64 - mean[j]);
            }
        }
        // Chan et al.'s merge of two sets of moments.
        for j in 0..f {
            if n[j] == 0.0 {
                continue;
            }
            let total = self.seen[j] + n[j];
            let delta = mean[j] - self.running_mean[j];
            self.running_mean[j] += delta * n[j] / total;
            self.running_m2[j] += m2[j] + delta * delta * self.seen[j] * n[j] / total;
            self.seen[j] = total;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        if let Some(j) = self.seen.iter().position(|&n| n == 0.0) {
            let detail = if self.features == 1 {
                "`Normalization` adapts to data, but the data given to `adapt` has no value".to_string()
            } else {
                format!("`Normalization` adapts to data, but the data given to `adapt` has no value of feature {j}")
            };
            return Err(Error::InvalidArgument { name: "x", detail });
        }
        for j in 0..self.features {
            self.mean[j] = self.running_mean[j] as f32;
            self.variance[j] = (self.running_m2[j] / self.seen[j]) as f32;
        }
        Ok(())
    }
}
