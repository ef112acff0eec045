//! Pooling over a whole image: `GlobalAveragePooling2D` and `GlobalMaxPooling2D`.
//!
//! Shape contract: `[h, w, C]` → `[C]` (`shaped_rules::global_pool_2d`); the output has no mask
//! ([`MaskRule::Drop`]). With a mask, only the sample's real pixels count: its top-left
//! rectangle of `h' × w'` pixels ([`crate::layers::spatial_mask::real_extent`]); values outside
//! it are never read. Without one, every pixel is real.
//!
//! - average: `y[c] = Σ_{real p} x[p, c] / (h'·w')`; backward `dx[p, c] = dy[c] / (h'·w')` at
//!   real pixels.
//! - max: `y[c] = max_{real p} x[p, c]` (a NaN wins, as `jnp.max`); backward: `dy[c]` split
//!   **equally between the pixels tied at the max**, as JAX differentiates `jnp.max` (verified
//!   against Keras: fixture case `gmax2d_ties`, where three tied pixels get a third each). This
//!   differs from the windowed `MaxPooling2D`, whose `reduce_window` sends each window's
//!   gradient to its first max.
//!
//! An image with no real pixel gives zeros and zero gradient (as the 1-D pools do). Padded
//! pixels get zero gradient.

use crate::error::Result;
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::spatial_mask::{check_len, check_mask, real_extent};
use crate::layers::stage::{single_dims, single_grad, Backward, Forward, Input, MaskRule, Stage};
use crate::shape::Dims;

/// Mean or max over the real pixels of each image (see the module docs).
#[derive(Clone, Copy, Debug)]
pub struct GlobalPool2d {
    max: bool,
}

impl GlobalPool2d {
    /// Keras's `GlobalAveragePooling2D()`.
    pub fn avg() -> GlobalPool2d {
        GlobalPool2d { max: false }
    }

    /// Keras's `GlobalMaxPooling2D()`.
    pub fn max() -> GlobalPool2d {
        GlobalPool2d { max: true }
    }

    fn name(&self) -> &'static str {
        if self.max {
            "GlobalMaxPooling2D"
        } else {
            "GlobalAveragePooling2D"
        }
    }

    /// `[h, w]` and the channels of a checked input.
    fn layout(&self, dims: Dims) -> Result<([usize; 2], usize)> {
        self.output_dims(&[dims])?;
        let d = dims.as_slice();
        Ok(([d[0], d[1]], d[2]))
    }
}

/// Whether `v` is the max `m` (or both are NaN).
fn is_max(v: f32, m: f32) -> bool {
    v == m || (v.is_nan() && m.is_nan())
}

impl Stage for GlobalPool2d {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, self.name())?;
        rule_dims_one(self.name(), input, shaped_rules::global_pool_2d)
    }

    /// `y[b, c]` = mean or max of the real pixels of image `b` (0 if there are none).
    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let name = self.name();
        let Input { data: x, dims, mask, .. } = args.input(name)?;
        let batch = args.batch;
        let ([ih, iw], c) = self.layout(dims)?;
        check_len(name, "input", x.len(), batch, dims.numel())?;
        check_len(name, "output", y.len(), batch, c)?;
        check_mask(name, mask, batch, dims)?;
        for (b, out) in y.chunks_exact_mut(c.max(1)).take(batch).enumerate() {
            let [h, w] = real_extent(mask, b, [ih, iw]);
            out.fill(0.0);
            let mut first = true;
            for iy in 0..h {
                let start = ((b * ih + iy) * iw) * c;
                for row in x[start..start + w * c].chunks_exact(c.max(1)) {
                    if first && self.max {
                        out.copy_from_slice(row);
                    } else if self.max {
                        for (o, &v) in out.iter_mut().zip(row) {
                            *o = if v > *o || v.is_nan() { v } else { *o };
                        }
                    } else {
                        for (o, &v) in out.iter_mut().zip(row) {
                            *o += v;
                        }
                    }
                    first = false;
                }
            }
            if !self.max && h * w > 0 {
                let scale = 1.0 / (h * w) as f32;
                out.iter_mut().for_each(|o| *o *= scale);
            }
        }
        Ok(())
    }

    /// Average: `dy / (h'·w')` at real pixels; max: `dy` split between the tied maxima.
    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        let name = self.name();
        let Input { data: x, dims, mask, .. } = args.input(name)?;
        let (batch, y, dy) = (args.batch, args.output, args.grad_output);
        let Some(dx) = single_grad(grad_inputs) else { return Ok(()) };
        let ([ih, iw], c) = self.layout(dims)?;
        check_len(name, "input", x.len(), batch, dims.numel())?;
        check_len(name, "input gradient", dx.len(), batch, dims.numel())?;
        check_len(name, "output", y.len(), batch, c)?;
        check_len(name, "output gradient", dy.len(), batch, c)?;
        check_mask(name, mask, batch, dims)?;
        dx.fill(0.0);
        for b in 0..batch {
            let [h, w] = real_extent(mask, b, [ih, iw]);
            let (grad, out) = (&dy[b * c..(b + 1) * c], &y[b * c..(b + 1) * c]);
            let rows = |iy: usize| ((b * ih + iy) * iw) * c..((b * ih + iy) * iw + w) * c;
            if !self.max {
                let scale = if h * w > 0 { 1.0 / (h * w) as f32 } else { 0.0 };
                for iy in 0..h {
                    for d in dx[rows(iy)].chunks_exact_mut(c.max(1)) {
                        for (d, &g) in d.iter_mut().zip(grad) {
                            *d = g * scale;
                        }
                    }
                }
                continue;
            }
            for ch in 0..c {
                let ties = (0..h)
                    .flat_map(|iy| x[rows(iy)].iter().skip(ch).step_by(c))
                    .filter(|&&v| is_max(v, out[ch]))
                    .count();
                if ties == 0 {
                    continue;
                }
                let share = grad[ch] / ties as f32;
                for iy in 0..h {
                    let range = rows(iy);
                    for (d, &v) in dx[range.clone()].iter_mut().zip(&x[range]).skip(ch).step_by(c) {
                        if is_max(v, out[ch]) {
                            *d = share;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn mask_rule(&self) -> MaskRule {
        MaskRule::Drop
    }

    fn kind(&self) -> String {
        self.name().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Mode;
    use crate::testing::{backward_one, forward_one};

    #[test]
    fn real_pixels_only_and_ties_split() {
        // A 2×3 grid, one channel, the real image its top-left 2×2: [[1, 4], [4, 2]]; the
        // third column is garbage.
        let x = [1.0, 4.0, 1e3, 4.0, 2.0, 1e3];
        let mask = [1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
        let dims = Dims::new(&[2, 3, 1]).unwrap();
        let mut y = [f32::NAN];
        let mut dx = [f32::NAN; 6];
        let mut avg = GlobalPool2d::avg();
        forward_one(&mut avg, &x, dims, 1, Some(&mask), &mut y, Mode::Training).unwrap();
        assert_eq!(y, [11.0 / 4.0]);
        backward_one(&mut avg, &x, dims, 1, Some(&mask), &y, &[8.0], Some(&mut dx)).unwrap();
        assert_eq!(dx, [2.0, 2.0, 0.0, 2.0, 2.0, 0.0]);
        let mut max = GlobalPool2d::max();
        forward_one(&mut max, &x, dims, 1, Some(&mask), &mut y, Mode::Training).unwrap();
        assert_eq!(y, [4.0]);
        backward_one(&mut max, &x, dims, 1, Some(&mask), &y, &[8.0], Some(&mut dx)).unwrap();
        assert_eq!(dx, [0.0, 4.0, 0.0, 4.0, 0.0, 0.0]);
        forward_one(&mut max, &x, dims, 1, Some(&[0.0; 6]), &mut y, Mode::Training).unwrap();
        assert_eq!(y, [0.0], "no real pixel: zeros");
        assert!(max.output_dims(&[Dims::new(&[3, 2]).unwrap()]).is_err());
    }
}
