//! `Masking(mask_value)`: marks the steps whose features all equal `mask_value` as padding.
//!
//! Shape contract: input `[T, F]` → output `[T, F]`. With `real_t = any_f(x[t, f] != mask_value)`
//! (Keras `layers/core/masking.py`):
//! - output: `y[t, :] = x[t, :]` where `real_t`, `0` elsewhere (masked steps are zeroed);
//! - mask ([`MaskRule::Produce`]): `real_t`, computed from the input alone (an incoming mask is
//!   replaced, as in Keras);
//! - backward: `dx[t, :] = dy[t, :]` where `real_t`, `0` elsewhere.
//!
//! A NaN `mask_value` masks nothing (NaN equals nothing), as in Keras.

use crate::error::{Error, Result};
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::stage::{single_dims, single_grad, Backward, Forward, Input, MaskRule, Stage};
use crate::shape::Dims;

/// Marks all-`mask_value` steps as padding and zeroes them (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Masking {
    mask_value: f32,
}

impl Masking {
    /// A masking layer for steps whose every feature equals `mask_value` (Keras default 0.0).
    pub fn new(mask_value: f32) -> Self {
        Masking { mask_value }
    }

    /// The value that marks padding.
    pub fn mask_value(&self) -> f32 {
        self.mask_value
    }

    /// Whether a step (its `F` features) is real: some feature differs from `mask_value`.
    fn is_real(&self, step: &[f32]) -> bool {
        step.iter().any(|&v| v != self.mask_value)
    }

    /// `out[i] = src[i]` for the features of real steps of `x`, `0` elsewhere.
    fn gate(&self, x: &[f32], features: usize, src: &[f32], out: &mut [f32]) {
        let f = features.max(1);
        for ((step, s), o) in x.chunks_exact(f).zip(src.chunks_exact(f)).zip(out.chunks_exact_mut(f)) {
            if self.is_real(step) {
                o.copy_from_slice(s);
            } else {
                o.fill(0.0);
            }
        }
    }
}

impl Default for Masking {
    /// `Masking(0.0)`, the Keras default.
    fn default() -> Self {
        Masking::new(0.0)
    }
}

impl Stage for Masking {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "Masking")?;
        rule_dims_one("Masking", input, shaped_rules::masking)
    }

    /// `y[t, :] = x[t, :]` at real steps, `0` at masked ones.
    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let Input { data: x, dims: in_dims, .. } = args.input("Masking")?;
        let (_batch, _mode) = (args.batch, args.mode);
        self.gate(x, in_dims.last(), x, y);
        Ok(())
    }

    /// `dx[t, :] = dy[t, :]` at real steps, `0` at masked ones.
    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        let Input { data: x, dims: in_dims, .. } = args.input("Masking")?;
        let (_batch, _y, dy, _dy_is_preactivation) =
            (args.batch, args.output, args.grad_output, args.dy_is_preactivation);
        let dx = single_grad(grad_inputs);
        if let Some(dx) = dx {
            self.gate(x, in_dims.last(), dy, dx);
        }
        Ok(())
    }

    fn mask_rule(&self) -> MaskRule {
        MaskRule::Produce
    }

    /// `mask[b · T + t] = any_f(x[b, t, f] != mask_value)`.
    fn produce_mask(&self, args: Forward<'_>, out_mask: &mut [f32]) -> Result<()> {
        let Input { data: x, dims: in_dims, .. } = args.input("Masking")?;
        let batch = args.batch;
        let steps = in_dims.as_slice().first().copied().unwrap_or(1);
        if out_mask.len() != batch * steps {
            return Err(Error::LengthMismatch {
                context: "Masking steps and their mask".into(),
                left: batch * steps,
                right: out_mask.len(),
            });
        }
        for (m, step) in out_mask.iter_mut().zip(x.chunks_exact(in_dims.last().max(1))) {
            *m = if self.is_real(step) { 1.0 } else { 0.0 };
        }
        Ok(())
    }

    fn kind(&self) -> String {
        "Masking".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Mode;
    use crate::testing::{backward_one, forward_one, produce_mask_one};

    #[test]
    fn zeroes_masked_steps_and_their_gradient() {
        let mut m = Masking::new(-1.0);
        let dims = Dims::new(&[3, 2]).unwrap();
        // Steps: [1, 2] real, [-1, -1] padding, [-1, 5] real (one feature differs).
        let x = [1.0, 2.0, -1.0, -1.0, -1.0, 5.0];
        let mut y = [f32::NAN; 6];
        forward_one(&mut m, &x, dims, 1, None, &mut y, Mode::Training).unwrap();
        assert_eq!(y, [1.0, 2.0, 0.0, 0.0, -1.0, 5.0]);
        let mut mask = [f32::NAN; 3];
        produce_mask_one(&m, &x, dims, 1, None, &mut mask).unwrap();
        assert_eq!(mask, [1.0, 0.0, 1.0]);
        let mut dx = [f32::NAN; 6];
        backward_one(&mut m, &x, dims, 1, None, &y, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], Some(&mut dx)).unwrap();
        assert_eq!(dx, [1.0, 2.0, 0.0, 0.0, 5.0, 6.0]);
    }

    #[test]
    fn nan_mask_value_masks_nothing_and_rank_must_be_two() {
        let mut mask = [f32::NAN; 2];
        let dims = Dims::new(&[2, 1]).unwrap();
        produce_mask_one(&Masking::new(f32::NAN), &[f32::NAN, 0.0], dims, 1, None, &mut mask).unwrap();
        assert_eq!(mask, [1.0, 1.0]);
        let err = Masking::default().output_dims(&[Dims::new(&[4]).unwrap()]).unwrap_err().to_string();
        assert_eq!(err, "layer `Masking` expects [timesteps, features] input, but its input is [4]");
    }
}
