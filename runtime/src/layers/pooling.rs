//! Pooling over the time axis: `GlobalAveragePooling1D` and `GlobalMaxPooling1D`.
//!
//! Shape contract: input `[T, F]` → output `[F]`; the output has no mask ([`MaskRule::Drop`]).
//! The mask, when there is one, is `m[b · T + t]`: non-zero for a real step, 0 for padding.
//!
//! - [`GlobalAvgPool1d`]: `y[f] = Σ_t m_t x[t, f] / Σ_t m_t` (a plain mean over `T` without a
//!   mask). Padded steps are skipped, not multiplied by 0, so NaN or garbage there never leaks.
//!   A sample with no real step (an empty sequence) gives **zeros**, as a recurrent layer gives
//!   its zero state for it; Keras 3.15.1 gives NaN there (0/0, verified), which makes every
//!   weight NaN after one training step. Backward: `dx[t, f] = m_t · dy[f] / Σ_t m_t`, and 0
//!   everywhere for a sample with no real step.
//! - [`GlobalMaxPool1d::new`]: `y[f] = max_t x[t, f]` over **every** step, padding included. This
//!   is Keras 3.15.1: its `GlobalMaxPooling1D` does not support masking, so it warns ("this
//!   layer does not support masking and will therefore destroy the mask information") and
//!   takes the max over the padded steps too (fixture `f_embedding_pooling.npz`, `emb_gmp`).
//! - [`GlobalMaxPool1d::masked`]: `y[f] = max_{t : m_t ≠ 0} x[t, f]`, the max over real steps
//!   only (not a Keras layer); a sample with no real step gives zeros, like the masked mean.
//!
//! Max backward: `dy[f]` goes to the first step holding the max of feature `f` (JAX splits it
//! between tied steps; ties have measure zero for real-valued data), 0 to every other step. A
//! NaN input wins the max, so NaN propagates as in `jnp.max`.

use crate::error::{Error, Result};
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::stage::{single_dims, single_grad, Backward, Forward, Input, MaskRule, Stage};
use crate::shape::Dims;

/// `[T, F]` → `[F]`, checking the rank.
fn pooled_dims(layer: &str, input: Dims) -> Result<Dims> {
    rule_dims_one(layer, input, shaped_rules::global_pool_1d)
}

/// The mask checked against `batch · steps`, or `None`.
fn checked_mask<'m>(
    layer: &str,
    mask: Option<&'m [f32]>,
    batch: usize,
    steps: usize,
) -> Result<Option<&'m [f32]>> {
    match mask {
        Some(m) if m.len() != batch * steps => Err(Error::LengthMismatch {
            context: format!("`{layer}` batch steps ({batch} × {steps}) and the mask"),
            left: batch * steps,
            right: m.len(),
        }),
        _ => Ok(mask),
    }
}

/// Whether step `t` of sample `b` is real under `mask` (every step is without one).
fn is_real(mask: Option<&[f32]>, b: usize, steps: usize, t: usize) -> bool {
    mask.is_none_or(|m| m[b * steps + t] != 0.0)
}

/// Mean over the time axis, honouring the mask (see the module docs).
#[derive(Clone, Copy, Debug, Default)]
pub struct GlobalAvgPool1d;

impl GlobalAvgPool1d {
    /// Keras's `GlobalAveragePooling1D()`.
    pub fn new() -> Self {
        GlobalAvgPool1d
    }
}

impl Stage for GlobalAvgPool1d {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "GlobalAvgPool1d")?;
        pooled_dims("GlobalAveragePooling1D", input)
    }

    /// `y[b, f] = Σ_t m_t x[b, t, f] / Σ_t m_t` (0 for a sample with no real step).
    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let Input { data: x, dims: in_dims, mask, .. } = args.input("GlobalAvgPool1d")?;
        let (batch, _mode) = (args.batch, args.mode);
        let (steps, f) = (in_dims.as_slice().first().copied().unwrap_or(1), in_dims.last());
        let mask = checked_mask("GlobalAveragePooling1D", mask, batch, steps)?;
        for (b, out) in y.chunks_exact_mut(f.max(1)).take(batch).enumerate() {
            out.fill(0.0);
            let mut count = 0usize;
            for t in (0..steps).filter(|&t| is_real(mask, b, steps, t)) {
                count += 1;
                let row = &x[(b * steps + t) * f..(b * steps + t + 1) * f];
                for (o, v) in out.iter_mut().zip(row) {
                    *o += v;
                }
            }
            if count > 0 {
                let count = count as f32;
                for o in out.iter_mut() {
                    *o /= count;
                }
            }
        }
        Ok(())
    }

    /// `dx[b, t, f] = m_t · dy[b, f] / Σ_t m_t` (all 0 for a fully padded sample).
    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        let Input { dims: in_dims, mask, .. } = args.input("GlobalAvgPool1d")?;
        let (batch, _y, dy, _dy_is_preactivation) =
            (args.batch, args.output, args.grad_output, args.dy_is_preactivation);
        let dx = single_grad(grad_inputs);
        let Some(dx) = dx else { return Ok(()) };
        let (steps, f) = (in_dims.as_slice().first().copied().unwrap_or(1), in_dims.last());
        let mask = checked_mask("GlobalAveragePooling1D", mask, batch, steps)?;
        for (b, (g, sample)) in
            dy.chunks_exact(f.max(1)).zip(dx.chunks_exact_mut((steps * f).max(1))).enumerate()
        {
            let count = (0..steps).filter(|&t| is_real(mask, b, steps, t)).count();
            let scale = if count == 0 { 0.0 } else { 1.0 / count as f32 };
            for (t, row) in sample.chunks_exact_mut(f.max(1)).enumerate() {
                if is_real(mask, b, steps, t) {
                    for (d, v) in row.iter_mut().zip(g) {
                        *d = v * scale;
                    }
                } else {
                    row.fill(0.0);
                }
            }
        }
        Ok(())
    }

    fn mask_rule(&self) -> MaskRule {
        MaskRule::Drop
    }

    fn kind(&self) -> String {
        "GlobalAveragePooling1D".into()
    }
}

/// Max over the time axis: over every step as Keras ([`GlobalMaxPool1d::new`]), or over real
/// steps only ([`GlobalMaxPool1d::masked`]); see the module docs.
#[derive(Clone, Copy, Debug, Default)]
pub struct GlobalMaxPool1d {
    use_mask: bool,
}

impl GlobalMaxPool1d {
    /// Keras's `GlobalMaxPooling1D()`: ignores the mask, so padded steps take part in the max.
    pub fn new() -> Self {
        GlobalMaxPool1d { use_mask: false }
    }

    /// The max over real steps only (0 for a sample with no real step): what
    /// `GlobalMaxPooling1D` would do if Keras supported masking there.
    pub fn masked() -> Self {
        GlobalMaxPool1d { use_mask: true }
    }

    /// Whether the max skips padded steps.
    pub fn uses_mask(&self) -> bool {
        self.use_mask
    }

    /// The first step holding the max of feature `j` of sample `b` among the steps counted, or
    /// `None` when none is.
    fn argmax(
        &self,
        x: &[f32],
        mask: Option<&[f32]>,
        b: usize,
        steps: usize,
        f: usize,
        j: usize,
    ) -> Option<usize> {
        let mask = if self.use_mask { mask } else { None };
        let mut best: Option<(usize, f32)> = None;
        for t in (0..steps).filter(|&t| is_real(mask, b, steps, t)) {
            let v = x[(b * steps + t) * f + j];
            match best {
                Some((_, bv)) if !(v > bv || (v.is_nan() && !bv.is_nan())) => {}
                _ => best = Some((t, v)),
            }
        }
        best.map(|(t, _)| t)
    }
}

impl Stage for GlobalMaxPool1d {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "GlobalMaxPool1d")?;
        pooled_dims("GlobalMaxPooling1D", input)
    }

    /// `y[b, f] = max_t x[b, t, f]` over the steps counted (0 if there are none).
    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let Input { data: x, dims: in_dims, mask, .. } = args.input("GlobalMaxPool1d")?;
        let (batch, _mode) = (args.batch, args.mode);
        let (steps, f) = (in_dims.as_slice().first().copied().unwrap_or(1), in_dims.last());
        let mask = checked_mask("GlobalMaxPooling1D", mask, batch, steps)?;
        for (b, out) in y.chunks_exact_mut(f.max(1)).take(batch).enumerate() {
            for (j, o) in out.iter_mut().enumerate() {
                *o = match self.argmax(x, mask, b, steps, f, j) {
                    Some(t) => x[(b * steps + t) * f + j],
                    None => 0.0,
                };
            }
        }
        Ok(())
    }

    /// `dx[b, t, f] = dy[b, f]` at the max's step, 0 elsewhere.
    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        let Input { data: x, dims: in_dims, mask, .. } = args.input("GlobalMaxPool1d")?;
        let (batch, _y, dy, _dy_is_preactivation) =
            (args.batch, args.output, args.grad_output, args.dy_is_preactivation);
        let dx = single_grad(grad_inputs);
        let Some(dx) = dx else { return Ok(()) };
        let (steps, f) = (in_dims.as_slice().first().copied().unwrap_or(1), in_dims.last());
        let mask = checked_mask("GlobalMaxPooling1D", mask, batch, steps)?;
        dx.fill(0.0);
        for (b, g) in dy.chunks_exact(f.max(1)).take(batch).enumerate() {
            for (j, &v) in g.iter().enumerate() {
                if let Some(t) = self.argmax(x, mask, b, steps, f, j) {
                    dx[(b * steps + t) * f + j] = v;
                }
            }
        }
        Ok(())
    }

    fn mask_rule(&self) -> MaskRule {
        MaskRule::Drop
    }

    fn kind(&self) -> String {
        "GlobalMaxPooling1D".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Mode;
    use crate::testing::{backward_one, forward_one};

    // x, one sample of 3 steps × 2 features: [[1, 6], [3, -2], [100, 100]]; the last step padded.
    const X: [f32; 6] = [1.0, 6.0, 3.0, -2.0, 100.0, 100.0];
    const MASK: [f32; 3] = [1.0, 1.0, 0.0];

    fn dims() -> Dims {
        Dims::new(&[3, 2]).unwrap()
    }

    #[test]
    fn masked_mean_and_its_gradient() {
        let mut p = GlobalAvgPool1d::new();
        let mut y = [f32::NAN; 2];
        forward_one(&mut p, &X, dims(), 1, Some(&MASK), &mut y, Mode::Training).unwrap();
        assert_eq!(y, [2.0, 2.0]); // [(1 + 3) / 2, (6 − 2) / 2]
        forward_one(&mut p, &X, dims(), 1, None, &mut y, Mode::Training).unwrap();
        assert_eq!(y, [104.0 / 3.0, 104.0 / 3.0]);
        // dx = m_t · dy / 2
        let mut dx = [f32::NAN; 6];
        backward_one(&mut p, &X, dims(), 1, Some(&MASK), &y, &[4.0, -6.0], Some(&mut dx)).unwrap();
        assert_eq!(dx, [2.0, -3.0, 2.0, -3.0, 0.0, 0.0]);
        assert_eq!(p.output_dims(&[dims()]).unwrap().as_slice(), &[2]);
    }

    #[test]
    fn fully_padded_mean_is_zero_with_zero_gradient() {
        let mut p = GlobalAvgPool1d::new();
        let mut y = [f32::NAN; 2];
        forward_one(&mut p, &X, dims(), 1, Some(&[0.0; 3]), &mut y, Mode::Training).unwrap();
        assert_eq!(y, [0.0; 2]);
        let mut dx = [f32::NAN; 6];
        backward_one(&mut p, &X, dims(), 1, Some(&[0.0; 3]), &y, &[1.0, 1.0], Some(&mut dx)).unwrap();
        assert_eq!(dx, [0.0; 6]);
    }

    #[test]
    fn max_as_keras_ignores_the_mask_and_masked_max_does_not() {
        let mut y = [f32::NAN; 2];
        let mut keras = GlobalMaxPool1d::new();
        forward_one(&mut keras, &X, dims(), 1, Some(&MASK), &mut y, Mode::Training).unwrap();
        assert_eq!(y, [100.0, 100.0]);
        let mut masked = GlobalMaxPool1d::masked();
        forward_one(&mut masked, &X, dims(), 1, Some(&MASK), &mut y, Mode::Training).unwrap();
        assert_eq!(y, [3.0, 6.0]);
        let mut dx = [f32::NAN; 6];
        backward_one(&mut masked, &X, dims(), 1, Some(&MASK), &y, &[5.0, 7.0], Some(&mut dx)).unwrap();
        assert_eq!(dx, [0.0, 7.0, 5.0, 0.0, 0.0, 0.0]);
        forward_one(&mut masked, &X, dims(), 1, Some(&[0.0; 3]), &mut y, Mode::Training).unwrap();
        assert_eq!(y, [0.0; 2], "no real step: zeros");
        backward_one(&mut masked, &X, dims(), 1, Some(&[0.0; 3]), &y, &[5.0, 7.0], Some(&mut dx)).unwrap();
        assert_eq!(dx, [0.0; 6]);
    }

    #[test]
    fn rank_and_mask_length_are_checked() {
        let err = GlobalAvgPool1d.output_dims(&[Dims::new(&[4]).unwrap()]).unwrap_err().to_string();
        assert_eq!(
            err,
            "layer `GlobalAveragePooling1D` expects [timesteps, features] input, but its input is [4]"
        );
        let mut y = [0.0; 2];
        let err = forward_one(
            &mut GlobalMaxPool1d::masked(),
            &X,
            dims(),
            1,
            Some(&[1.0; 2]),
            &mut y,
            Mode::Inference,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "`GlobalMaxPooling1D` batch steps (1 × 3) and the mask must have the same length, but have 3 and 2"
        );
    }
}
