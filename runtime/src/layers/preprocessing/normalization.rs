//! `Normalization(invert = false)`: Keras's feature-wise standardisation over the last axis,
//! its mean and variance learned from data by `adapt`.
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
    /// `adapt`'s running count, mean and sum of squared deviations per feature.
    seen: f64,
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
            seen: 0.0,
            running_mean: Vec::new(),
            running_m2: Vec::new(),
        }
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
        self.seen = 0.0;
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
        // This batch's count, mean and squared deviations per feature, real positions only.
        let mut n = 0.0f64;
        let mut mean = vec![0.0f64; f];
        let mut m2 = vec![0.0f64; f];
        for (p, row) in input.data.chunks_exact(f).enumerate() {
            if input.mask.is_some_and(|m| m[p] == 0.0) {
                continue;
            }
            n += 1.0;
            for (j, &x) in row.iter().enumerate() {
                let d = x as f64 - mean[j];
                mean[j] += d / n;
                m2[j] += d * (x as f64 - mean[j]);
            }
        }
        if n == 0.0 {
            return Ok(());
        }
        // Chan et al.'s merge of two sets of moments.
        let total = self.seen + n;
        for j in 0..f {
            let delta = mean[j] - self.running_mean[j];
            self.running_mean[j] += delta * n / total;
            self.running_m2[j] += m2[j] + delta * delta * self.seen * n / total;
        }
        self.seen = total;
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        if self.seen == 0.0 {
            return Err(Error::InvalidArgument {
                name: "x",
                detail: "`Normalization` adapts to data, but the data given to `adapt` has no value".into(),
            });
        }
        for j in 0..self.features {
            self.mean[j] = self.running_mean[j] as f32;
            self.variance[j] = (self.running_m2[j] / self.seen) as f32;
        }
        Ok(())
    }
}
