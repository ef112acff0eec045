//! `BatchNormalization(axis=-1, momentum, epsilon, center, scale)`: each feature normalized by
//! statistics over every other axis of the batch.
//!
//! Shape contract: `[.., F]` → `[.., F]`, mask kept. Weights in Keras order and layout, each
//! `(F,)`: `gamma` (ones, trainable, only with `scale`), `beta` (zeros, trainable, only with
//! `center`), `moving_mean` (zeros) and `moving_variance` (ones), the last two **non-trainable**
//! ([`Param::trainable`] false: saved and loaded with the others, never moved by an optimiser).
//!
//! With `μ`, `σ²` per feature, `y = γ·(x − μ)/√(σ² + ε) + β` (`γ = 1` without `scale`, `β = 0`
//! without `center`), computed as Keras's JAX backend does: `y = x·s + (β − μ·s)`,
//! `s = γ/√(σ² + ε)`.
//!
//! - [`Mode::Training`]: `μ`, `σ²` are the batch's mean and **biased** variance over every
//!   position (every axis but the last) of every sample, and the moving statistics follow
//!   `m ← m·momentum + μ·(1 − momentum)`, `v ← v·momentum + σ²·(1 − momentum)` (Keras 3: the
//!   biased variance goes into the moving variance too, verified: momentum 0.5 on [1, 2, 4]
//!   gives 1.2778, not the 1.6667 of the unbiased 2.3333).
//! - [`Mode::Inference`]: `μ`, `σ²` are the moving statistics.
//!
//! With an input mask (`dims.mask_positions()` values per sample: the steps of a sequence, the
//! pixels of an image), the statistics are Keras's weighted moments over the real positions
//! only: `μ = Σ_real x / (n + 10⁻⁷)`, `σ² = Σ_real (x − μ)² / (n + 10⁻⁷)`, `n` the number of real
//! positions in the batch (Keras adds `backend.epsilon()` to the count; a batch without a real
//! position gives `μ = σ² = 0`). Padded positions are never read: their output is 0.0 (Keras
//! normalizes them too, with the real positions' statistics) and their gradient 0. So a padded
//! batch gives, at its real positions, exactly what the same real positions give packed into an
//! unpadded batch.
//!
//! Backward in training mode goes through the batch statistics: with `x̂ = (x − μ)/√(σ² + ε)`,
//! `D = n (+ 10⁻⁷ with a mask)` and sums over the real positions,
//! `dx = γ/(D·√(σ² + ε)) · (D·dy − Σ dy − x̂·Σ dy·x̂)`, `dγ = Σ dy·x̂`, `dβ = Σ dy`. After an
//! inference forward, `dx = γ·dy/√(v + ε)`.

use crate::error::{Error, Result};
use crate::layers::norm::{norm_dims, visit_affine, visit_affine_mut, Affine};
use crate::layers::spatial_mask::{check_len, check_mask};
use crate::layers::stage::{single_dims, single_grad, Backward, Forward, Input, Stage};
use crate::layers::{Mode, Param, ParamMut};
use crate::shape::Dims;

/// What Keras adds to the count of real positions in its weighted moments (`backend.epsilon()`).
const COUNT_EPSILON: f32 = 1e-7;

/// `BatchNormalization`'s settings; `Default` is Keras's: momentum 0.99, epsilon 1e-3, center
/// and scale on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchNormOptions {
    /// The weight of the old value in the moving statistics' update.
    pub momentum: f32,
    /// Added to the variance before its square root.
    pub epsilon: f32,
    /// Whether there is a `beta` offset.
    pub center: bool,
    /// Whether there is a `gamma` scale.
    pub scale: bool,
}

impl Default for BatchNormOptions {
    fn default() -> Self {
        BatchNormOptions { momentum: 0.99, epsilon: 1e-3, center: true, scale: true }
    }
}

/// Batch normalization over the last axis (see the module docs).
#[derive(Clone, Debug)]
pub struct BatchNorm {
    features: usize,
    options: BatchNormOptions,
    shape: [usize; 1],
    gamma: Vec<f32>,
    beta: Vec<f32>,
    moving_mean: Vec<f32>,
    moving_variance: Vec<f32>,
    gamma_grad: Vec<f32>,
    beta_grad: Vec<f32>,
    /// Always zero: the moving statistics are not trained.
    moving_mean_grad: Vec<f32>,
    moving_variance_grad: Vec<f32>,
    /// The `μ` and `1/√(σ² + ε)` of the last forward pass, per feature.
    mean: Vec<f32>,
    inv_std: Vec<f32>,
    /// Whether the last forward used the batch statistics, and their `D`.
    batch_stats: bool,
    count: f32,
    /// Per-feature sums (f64) for the statistics and the backward pass.
    sums: Vec<f64>,
    sums2: Vec<f64>,
}

impl BatchNorm {
    /// Keras's `BatchNormalization(axis=-1, ..options)` over `features` (the input's last axis):
    /// gamma ones, beta zeros, moving mean zeros, moving variance ones.
    pub fn new(features: usize, options: BatchNormOptions) -> BatchNorm {
        let f = features;
        BatchNorm {
            features,
            options,
            shape: [f],
            gamma: if options.scale { vec![1.0; f] } else { Vec::new() },
            beta: if options.center { vec![0.0; f] } else { Vec::new() },
            moving_mean: vec![0.0; f],
            moving_variance: vec![1.0; f],
            gamma_grad: if options.scale { vec![0.0; f] } else { Vec::new() },
            beta_grad: if options.center { vec![0.0; f] } else { Vec::new() },
            moving_mean_grad: vec![0.0; f],
            moving_variance_grad: vec![0.0; f],
            mean: vec![0.0; f],
            inv_std: vec![0.0; f],
            batch_stats: false,
            count: 0.0,
            sums: vec![0.0; f],
            sums2: vec![0.0; f],
        }
    }

    /// The settings.
    pub fn options(&self) -> BatchNormOptions {
        self.options
    }

    /// The moving mean, `(F,)`.
    pub fn moving_mean(&self) -> &[f32] {
        &self.moving_mean
    }

    /// The moving variance, `(F,)`.
    pub fn moving_variance(&self) -> &[f32] {
        &self.moving_variance
    }

    /// `γ[f]` (1 without `scale`).
    fn gamma_at(&self, f: usize) -> f32 {
        if self.options.scale {
            self.gamma[f]
        } else {
            1.0
        }
    }

    /// Checks the input and the buffers; returns the rows (positions of every sample) and the
    /// positions per sample.
    fn rows(&self, input: &Input<'_>, batch: usize, out_len: usize, what: &str) -> Result<(usize, usize)> {
        let dims = input.dims;
        self.output_dims(&[dims])?;
        let f = self.features;
        let per_sample = dims.numel() / f.max(1);
        check_len("BatchNormalization", "input", input.data.len(), batch, dims.numel())?;
        check_len("BatchNormalization", what, out_len, batch, dims.numel())?;
        check_mask("BatchNormalization", input.mask, batch, dims)?;
        if input.mask.is_some() && dims.mask_positions() != per_sample {
            return Err(Error::Inputs {
                layer: "BatchNormalization".into(),
                reason: format!(
                    "gets a mask over {} positions per sample, but its input {:?} has {per_sample} rows of \
                     features per sample",
                    dims.mask_positions(),
                    dims.as_slice()
                ),
            });
        }
        Ok((batch * per_sample, per_sample))
    }
}

/// Whether row `r` (of `per_sample` rows per sample) is real under `mask`.
fn real(mask: Option<&[f32]>, r: usize) -> bool {
    mask.is_none_or(|m| m[r] != 0.0)
}

impl Stage for BatchNorm {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "BatchNormalization")?;
        norm_dims("BatchNormalization", input, self.features, self.options.epsilon)
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let input = args.input("BatchNormalization")?;
        let (rows, _) = self.rows(&input, args.batch, y.len(), "output")?;
        let (x, mask, f) = (input.data, input.mask, self.features);
        let eps = self.options.epsilon;
        self.batch_stats = args.mode == Mode::Training;
        if self.batch_stats {
            let n = (0..rows).filter(|&r| real(mask, r)).count();
            let count = n as f32 + if mask.is_some() { COUNT_EPSILON } else { 0.0 };
            let d = if count > 0.0 { count as f64 } else { 1.0 };
            self.sums.fill(0.0);
            for (r, row) in x.chunks_exact(f.max(1)).take(rows).enumerate() {
                if real(mask, r) {
                    self.sums.iter_mut().zip(row).for_each(|(s, &v)| *s += v as f64);
                }
            }
            for (m, s) in self.mean.iter_mut().zip(&self.sums) {
                *m = (s / d) as f32;
            }
            self.sums2.fill(0.0);
            for (r, row) in x.chunks_exact(f.max(1)).take(rows).enumerate() {
                if real(mask, r) {
                    for ((s, &v), &m) in self.sums2.iter_mut().zip(row).zip(&self.mean) {
                        let c = (v - m) as f64;
                        *s += c * c;
                    }
                }
            }
            let momentum = self.options.momentum;
            for j in 0..f {
                let var = (self.sums2[j] / d) as f32;
                self.inv_std[j] = 1.0 / (var + eps).sqrt();
                self.moving_mean[j] = self.moving_mean[j] * momentum + self.mean[j] * (1.0 - momentum);
                self.moving_variance[j] = self.moving_variance[j] * momentum + var * (1.0 - momentum);
            }
            self.count = count;
        } else {
            self.mean.copy_from_slice(&self.moving_mean);
            for (i, &v) in self.inv_std.iter_mut().zip(&self.moving_variance) {
                *i = 1.0 / (v + eps).sqrt();
            }
        }
        // y = x·s + (β − μ·s), s = γ/√(σ² + ε): Keras's order of operations. `sums` holds s
        // and `sums2` the shift from here on (they are re-filled by the next pass).
        for j in 0..f {
            let s = self.gamma_at(j) * self.inv_std[j];
            let beta = if self.options.center { self.beta[j] } else { 0.0 };
            self.sums[j] = s as f64;
            self.sums2[j] = (beta - self.mean[j] * s) as f64;
        }
        for (r, (out, row)) in
            y.chunks_exact_mut(f.max(1)).zip(x.chunks_exact(f.max(1))).take(rows).enumerate()
        {
            if !real(mask, r) {
                out.fill(0.0);
                continue;
            }
            for (((o, &v), &s), &t) in out.iter_mut().zip(row).zip(&self.sums).zip(&self.sums2) {
                *o = v * s as f32 + t as f32;
            }
        }
        Ok(())
    }

    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        let input = args.input("BatchNormalization")?;
        let dy = args.grad_output;
        let (rows, _) = self.rows(&input, args.batch, dy.len(), "output gradient")?;
        let (x, mask, f) = (input.data, input.mask, self.features);
        // Σ dy and Σ dy·x̂ over the real positions.
        self.sums.fill(0.0);
        self.sums2.fill(0.0);
        for (r, (g, row)) in dy.chunks_exact(f.max(1)).zip(x.chunks_exact(f.max(1))).take(rows).enumerate() {
            if !real(mask, r) {
                continue;
            }
            for j in 0..f {
                let xhat = (row[j] - self.mean[j]) * self.inv_std[j];
                self.sums[j] += g[j] as f64;
                self.sums2[j] += (g[j] * xhat) as f64;
            }
        }
        if self.options.scale {
            for (d, &s) in self.gamma_grad.iter_mut().zip(&self.sums2) {
                *d = s as f32;
            }
        }
        if self.options.center {
            for (d, &s) in self.beta_grad.iter_mut().zip(&self.sums) {
                *d = s as f32;
            }
        }
        let Some(dx) = single_grad(grad_inputs) else { return Ok(()) };
        check_len("BatchNormalization", "input gradient", dx.len(), args.batch, input.dims.numel())?;
        let count = self.count;
        for (r, ((d, g), row)) in dx
            .chunks_exact_mut(f.max(1))
            .zip(dy.chunks_exact(f.max(1)))
            .zip(x.chunks_exact(f.max(1)))
            .take(rows)
            .enumerate()
        {
            if !real(mask, r) {
                d.fill(0.0);
                continue;
            }
            for j in 0..f {
                let scale = self.gamma_at(j) * self.inv_std[j];
                d[j] = if self.batch_stats && count > 0.0 {
                    let xhat = (row[j] - self.mean[j]) * self.inv_std[j];
                    scale / count * (count * g[j] - self.sums[j] as f32 - xhat * self.sums2[j] as f32)
                } else {
                    scale * g[j]
                };
            }
        }
        Ok(())
    }

    fn kind(&self) -> String {
        "BatchNormalization".into()
    }

    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        let shape = &self.shape;
        let (gamma, beta) = ((&self.gamma[..], &self.gamma_grad[..]), (&self.beta[..], &self.beta_grad[..]));
        let (scale, center) = (self.options.scale, self.options.center);
        visit_affine(Affine { shape, gamma, beta, scale, center }, visit);
        visit(Param {
            name: "moving_mean",
            shape,
            data: &self.moving_mean,
            grad: &self.moving_mean_grad,
            trainable: false,
        });
        visit(Param {
            name: "moving_variance",
            shape,
            data: &self.moving_variance,
            grad: &self.moving_variance_grad,
            trainable: false,
        });
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        let shape = &self.shape;
        let gamma = (&mut self.gamma[..], &mut self.gamma_grad[..]);
        let beta = (&mut self.beta[..], &mut self.beta_grad[..]);
        let (scale, center) = (self.options.scale, self.options.center);
        visit_affine_mut(Affine { shape, gamma, beta, scale, center }, visit);
        visit(ParamMut {
            name: "moving_mean",
            shape,
            data: &mut self.moving_mean,
            grad: &mut self.moving_mean_grad,
            trainable: false,
        });
        visit(ParamMut {
            name: "moving_variance",
            shape,
            data: &mut self.moving_variance,
            grad: &mut self.moving_variance_grad,
            trainable: false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_close, backward_one, forward_one};
    use crate::train::optim::{AdamW, IntoOptimizer};
    use crate::train::step_guard::StepGuard;

    #[test]
    fn training_statistics_by_hand() {
        // One feature, x = [1, 2, 4]: μ = 7/3, biased σ² = 14/9.
        let mut bn =
            BatchNorm::new(1, BatchNormOptions { momentum: 0.5, epsilon: 0.0, ..Default::default() });
        let dims = Dims::new(&[1]).unwrap();
        let mut y = [f32::NAN; 3];
        forward_one(&mut bn, &[1.0, 2.0, 4.0], dims, 3, None, &mut y, Mode::Training).unwrap();
        let sd = (14.0f32 / 9.0).sqrt();
        assert_close(&y, &[(1.0 - 7.0 / 3.0) / sd, (2.0 - 7.0 / 3.0) / sd, (4.0 - 7.0 / 3.0) / sd], 1e-6);
        // m = 0·0.5 + μ·0.5, v = 1·0.5 + σ²·0.5 (biased)
        assert_close(bn.moving_mean(), &[7.0 / 6.0], 1e-6);
        assert_close(bn.moving_variance(), &[0.5 + 7.0 / 9.0], 1e-6);
        // A shift of every input does not change the output: Σ dx = 0 for any dy.
        let mut dx = [f32::NAN; 3];
        backward_one(&mut bn, &[1.0, 2.0, 4.0], dims, 3, None, &y, &[1.0, -2.0, 0.5], Some(&mut dx)).unwrap();
        assert!(dx.iter().sum::<f32>().abs() < 1e-6, "{dx:?}");
        // Inference uses the moving statistics.
        forward_one(&mut bn, &[1.0, 2.0, 4.0], dims, 3, None, &mut y, Mode::Inference).unwrap();
        let v = (0.5f32 + 7.0 / 9.0).sqrt();
        assert_close(&y, &[(1.0 - 7.0 / 6.0) / v, (2.0 - 7.0 / 6.0) / v, (4.0 - 7.0 / 6.0) / v], 1e-6);
    }

    #[test]
    fn moving_statistics_are_not_trainable_and_no_optimizer_step_moves_them() {
        let mut bn = BatchNorm::new(2, BatchNormOptions::default());
        let mut flags = Vec::new();
        bn.visit_params(&mut |p| flags.push((p.name.to_string(), p.trainable)));
        let expected = [("gamma", true), ("beta", true), ("moving_mean", false), ("moving_variance", false)];
        assert_eq!(flags, expected.map(|(n, t)| (n.to_string(), t)));
        assert_eq!((bn.param_count(), bn.non_trainable_count()), (8, 4));

        let dims = Dims::new(&[2]).unwrap();
        let x = [1.0, -1.0, 3.0, 0.5, -2.0, 2.0];
        let mut y = [0.0; 6];
        forward_one(&mut bn, &x, dims, 3, None, &mut y, Mode::Training).unwrap();
        backward_one(&mut bn, &x, dims, 3, None, &y, &[1.0, 2.0, -1.0, 0.5, 0.25, -3.0], None).unwrap();
        let before = (bn.moving_mean().to_vec(), bn.moving_variance().to_vec());
        // AdamW's decoupled weight decay would move any weight it visits, gradient or not.
        let mut optimizer = AdamW { learning_rate: 0.1.into(), weight_decay: 0.5, ..Default::default() }
            .into_optimizer()
            .unwrap();
        let mut guard = StepGuard::default();
        guard.begin(&*optimizer);
        optimizer.apply_gradients(&mut |visit| bn.visit_params_mut(&mut |p| guard.update(p, visit)));
        assert_eq!((bn.moving_mean().to_vec(), bn.moving_variance().to_vec()), before);
        assert_ne!(bn.gamma, [1.0, 1.0], "the trainable weights moved");
        // The same step without the guard's check would have moved them: the test can fail.
        let mut bare = AdamW { learning_rate: 0.1.into(), weight_decay: 0.5, ..Default::default() }
            .into_optimizer()
            .unwrap();
        bare.apply_gradients(&mut |visit| bn.visit_params_mut(visit));
        assert_ne!(bn.moving_variance().to_vec(), before.1);
    }

    #[test]
    fn wrong_inputs_are_errors() {
        let bn = BatchNorm::new(3, BatchNormOptions::default());
        let err = bn.output_dims(&[Dims::new(&[5, 4]).unwrap()]).unwrap_err().to_string();
        assert!(err.contains("(None, …, 3)"), "{err}");
        let bad = BatchNorm::new(3, BatchNormOptions { epsilon: f32::NAN, ..Default::default() });
        assert!(bad.output_dims(&[Dims::new(&[3]).unwrap()]).is_err());
        let mut bn = bn;
        let mut y = [0.0; 6];
        let dims = Dims::new(&[2, 3]).unwrap();
        assert!(forward_one(&mut bn, &[0.0; 5], dims, 1, None, &mut y, Mode::Training).is_err());
        assert!(forward_one(&mut bn, &[0.0; 6], dims, 1, Some(&[1.0]), &mut y, Mode::Training).is_err());
    }
}
