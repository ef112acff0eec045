//! `LayerNormalization(axis=-1, epsilon, center, scale)`: each position's features normalized
//! by their own mean and variance.
//!
//! Shape contract: `[.., F]` → `[.., F]`, mask kept (each position is normalized alone, so
//! padded positions get values nothing reads, and zero gradient when their `dy` is zero).
//! Weights in Keras order, each `(F,)`: `gamma` (ones, only with `scale`), `beta` (zeros, only
//! with `center`), both trainable.
//!
//! Per position (row of `F` features): `μ = Σ x / F`, `σ² = Σ (x − μ)² / F` (biased),
//! `y = γ·(x − μ)/√(σ² + ε) + β`, computed as Keras does: `y = x·s + (β − μ·s)`,
//! `s = γ/√(σ² + ε)`. Keras's default `ε` is 1e-3.
//!
//! Backward, with `x̂ = (x − μ)/√(σ² + ε)` and `g = γ·dy` per row:
//! `dx = (F·g − Σ g − x̂·Σ g·x̂) / (F·√(σ² + ε))`, `dγ = Σ_rows dy·x̂`, `dβ = Σ_rows dy`. The row
//! statistics are recomputed from `x`, so nothing is kept between the passes.

use crate::error::Result;
use crate::layers::norm::{norm_dims, visit_affine, visit_affine_mut, Affine};
use crate::layers::spatial_mask::{check_len, check_mask};
use crate::layers::stage::{single_dims, single_grad, Backward, Forward, Input, Stage};
use crate::layers::{Param, ParamMut};
use crate::shape::Dims;

/// Layer normalization over the last axis (see the module docs).
#[derive(Clone, Debug)]
pub struct LayerNorm {
    features: usize,
    epsilon: f32,
    center: bool,
    scale: bool,
    shape: [usize; 1],
    gamma: Vec<f32>,
    beta: Vec<f32>,
    gamma_grad: Vec<f32>,
    beta_grad: Vec<f32>,
}

impl LayerNorm {
    /// Keras's `LayerNormalization(axis=-1, epsilon, center, scale)` over `features` (the
    /// input's last axis): gamma ones, beta zeros.
    pub fn new(features: usize, epsilon: f32, center: bool, scale: bool) -> LayerNorm {
        let f = features;
        LayerNorm {
            features,
            epsilon,
            center,
            scale,
            shape: [f],
            gamma: if scale { vec![1.0; f] } else { Vec::new() },
            beta: if center { vec![0.0; f] } else { Vec::new() },
            gamma_grad: if scale { vec![0.0; f] } else { Vec::new() },
            beta_grad: if center { vec![0.0; f] } else { Vec::new() },
        }
    }

    /// The row's `μ` and `1/√(σ² + ε)`.
    fn stats(&self, row: &[f32]) -> (f32, f32) {
        let n = row.len().max(1) as f32;
        let mean = row.iter().sum::<f32>() / n;
        let var = row.iter().map(|&v| (v - mean) * (v - mean)).sum::<f32>() / n;
        (mean, 1.0 / (var + self.epsilon).sqrt())
    }

    fn check(&self, input: &Input<'_>, batch: usize, len: usize, what: &str) -> Result<()> {
        self.output_dims(&[input.dims])?;
        check_len("LayerNormalization", "input", input.data.len(), batch, input.dims.numel())?;
        check_mask("LayerNormalization", input.mask, batch, input.dims)?;
        check_len("LayerNormalization", what, len, batch, input.dims.numel())
    }
}

impl Stage for LayerNorm {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "LayerNormalization")?;
        norm_dims("LayerNormalization", input, self.features, self.epsilon)
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let input = args.input("LayerNormalization")?;
        self.check(&input, args.batch, y.len(), "output")?;
        let f = self.features.max(1);
        for (out, row) in y.chunks_exact_mut(f).zip(input.data.chunks_exact(f)) {
            let (mean, inv) = self.stats(row);
            for (j, (o, &v)) in out.iter_mut().zip(row).enumerate() {
                let s = if self.scale { self.gamma[j] * inv } else { inv };
                let shift = if self.center { self.beta[j] } else { 0.0 } - mean * s;
                *o = v * s + shift;
            }
        }
        Ok(())
    }

    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        let input = args.input("LayerNormalization")?;
        let dy = args.grad_output;
        self.check(&input, args.batch, dy.len(), "output gradient")?;
        let mut dx = single_grad(grad_inputs);
        if let Some(dx) = dx.as_deref() {
            check_len("LayerNormalization", "input gradient", dx.len(), args.batch, input.dims.numel())?;
        }
        let f = self.features.max(1);
        self.gamma_grad.fill(0.0);
        self.beta_grad.fill(0.0);
        for (r, (g, row)) in dy.chunks_exact(f).zip(input.data.chunks_exact(f)).enumerate() {
            let (mean, inv) = self.stats(row);
            let (mut sum_g, mut sum_gx) = (0.0f32, 0.0f32);
            for (j, (&d, &v)) in g.iter().zip(row).enumerate() {
                let xhat = (v - mean) * inv;
                let gj = if self.scale { self.gamma[j] * d } else { d };
                sum_g += gj;
                sum_gx += gj * xhat;
                if self.scale {
                    self.gamma_grad[j] += d * xhat;
                }
                if self.center {
                    self.beta_grad[j] += d;
                }
            }
            if let Some(dx) = dx.as_deref_mut() {
                let n = f as f32;
                for (j, (o, (&d, &v))) in dx[r * f..(r + 1) * f].iter_mut().zip(g.iter().zip(row)).enumerate()
                {
                    let xhat = (v - mean) * inv;
                    let gj = if self.scale { self.gamma[j] * d } else { d };
                    *o = inv / n * (n * gj - sum_g - xhat * sum_gx);
                }
            }
        }
        Ok(())
    }

    fn kind(&self) -> String {
        "LayerNormalization".into()
    }

    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        let gamma = (&self.gamma[..], &self.gamma_grad[..]);
        let beta = (&self.beta[..], &self.beta_grad[..]);
        visit_affine(
            Affine { shape: &self.shape, gamma, beta, scale: self.scale, center: self.center },
            visit,
        );
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        let gamma = (&mut self.gamma[..], &mut self.gamma_grad[..]);
        let beta = (&mut self.beta[..], &mut self.beta_grad[..]);
        let affine = Affine { shape: &self.shape, gamma, beta, scale: self.scale, center: self.center };
        visit_affine_mut(affine, visit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Mode;
    use crate::testing::{assert_close, forward_one};

    #[test]
    fn each_row_alone() {
        // Rows [1, 3] and [2, 2]: μ = 2, σ² = 1 and 0, ε = 0.
        let mut ln = LayerNorm::new(2, 0.0, true, true);
        ln.visit_params_mut(&mut |p| {
            p.data.copy_from_slice(if p.name == "gamma" { &[2.0, 1.0] } else { &[0.5, 0.0] })
        });
        let mut y = [f32::NAN; 2];
        forward_one(&mut ln, &[1.0, 3.0], Dims::new(&[2]).unwrap(), 1, None, &mut y, Mode::Training).unwrap();
        assert_close(&y, &[-1.5, 1.0], 1e-6);
        assert!(ln.output_dims(&[Dims::new(&[3, 4]).unwrap()]).is_err());
    }
}
