//! Windowed pooling over the spatial axes: `MaxPooling1D/2D` and `AveragePooling1D/2D`.
//!
//! Shape contract: `[steps, C]` (a window of 1 axis) or `[h, w, C]` (2 axes) → each spatial
//! axis through the window (`shaped_rules::pool`: `⌊(n − k) / s⌋ + 1` valid, `⌈n / s⌉` same),
//! the channels unchanged. Each channel is pooled alone. For the output position `o` the window
//! covers the input positions `o·s − p .. o·s − p + k` on each axis (`p` =
//! [`Window::pad_before`], 0 for valid), clipped to the input:
//!
//! - max: `y[o, c] = max_{i ∈ window} x[i, c]`; the padding never wins (it is not there). A NaN
//!   wins, as in `lax.reduce_window(max)`. Backward: `dy[o, c]` goes to the **first** input
//!   position holding the max in row-major window order (what JAX's `select_and_scatter_add`
//!   does on ties, verified against Keras: fixture case `max2d_ties`); overlapping windows add.
//! - average: `y[o, c] = Σ_{i ∈ window} x[i, c] / count`, `count` the window's positions inside
//!   the input: `k₀·k₁` for valid, and in `same` mode only the real (non-padding) elements,
//!   as Keras's JAX `average_pool`. Backward: `dx[i, c] += dy[o, c] / count` over the window.
//!
//! Masks (ragged images, or sequences padded to the longest): each sample's real region is its
//! top-left rectangle ([`spatial_mask::real_extent`]); the sample is pooled exactly as if it
//! were alone at that size (its own `same` padding, its own output size, input values outside
//! the rectangle never read), its output written at the top-left of the padded output grid and
//! 0.0 at padded output positions; a sample smaller than a valid window gets an empty output.
//! The output's mask is each sample's output rectangle ([`MaskRule::ProduceIf`] any input
//! mask). Padded input positions get zero gradient.

use crate::buffer::grow;
use crate::error::{Error, Result};
use crate::kernels::short_run::{copy_run, zero_run};
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::spatial_mask::{self, check_len, check_mask, padded_extent, real_extent, Extent};
use crate::layers::stage::{single_dims, single_grad, Backward, Forward, Input, MaskRule, Masked, Stage};
use crate::layers::Mode;
use crate::shape::Dims;
use shaped_rules::{Padding, Window};
use std::ops::Range;

/// Max or average.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reduce {
    Max,
    Avg,
}

/// `MaxPool1d/2d`, `AvgPool1d/2d`: a window slid over the spatial axes (see the module docs).
#[derive(Clone, Debug)]
pub struct WindowPool {
    window: Window,
    reduce: Reduce,
    /// Per channel, the part of `dy` not yet routed to a max (backward); grown, never shrunk.
    pending: Vec<f32>,
    /// Max pooling in training: for each output value of the last forward pass, the flat
    /// index of the input value it took (the window's first max), so the backward pass is one
    /// scatter; grown, never shrunk.
    argmax: Vec<u32>,
    /// The `(batch, output length)` `argmax` holds, `None` when it is stale.
    argmax_of: Option<(usize, usize)>,
}

/// One sample's geometry: its real input extent, its output extent and its padding before.
#[derive(Clone, Copy, Debug)]
struct SampleGeometry {
    real: Extent,
    out: Extent,
    pad: [usize; 2],
}

impl WindowPool {
    /// Keras's `MaxPooling1D(pool_size, strides, padding)` (`window.axes == 1`, input
    /// `[steps, C]`) or `MaxPooling2D` (`window.axes == 2`, input `[h, w, C]`).
    pub fn max(window: Window) -> WindowPool {
        WindowPool { window, reduce: Reduce::Max, pending: Vec::new(), argmax: Vec::new(), argmax_of: None }
    }

    /// Keras's `AveragePooling1D` / `AveragePooling2D`, as [`WindowPool::max`].
    pub fn avg(window: Window) -> WindowPool {
        WindowPool { window, reduce: Reduce::Avg, pending: Vec::new(), argmax: Vec::new(), argmax_of: None }
    }

    /// The window.
    pub fn window(&self) -> Window {
        self.window
    }

    /// Keras's class name.
    fn name(&self) -> &'static str {
        match (self.reduce, self.window.axes) {
            (Reduce::Max, 1) => "MaxPooling1D",
            (Reduce::Max, _) => "MaxPooling2D",
            (Reduce::Avg, 1) => "AveragePooling1D",
            (Reduce::Avg, _) => "AveragePooling2D",
        }
    }

    /// `Err` for a window the pooling layers do not take: 1 or 2 axes, sizes and strides at
    /// least 1, no dilation, `valid` or `same` padding (Keras refuses the rest too).
    fn check_window(&self) -> Result<()> {
        let w = &self.window;
        let bad = |detail: String| Err(Error::InvalidArgument { name: "pool window", detail });
        if !(1..=2).contains(&w.axes) {
            return bad(format!("`{}` slides over 1 or 2 axes, not {}", self.name(), w.axes));
        }
        for a in 0..w.axes {
            if w.size[a] == 0 || w.strides[a] == 0 || w.dilation[a] != 1 {
                return bad(format!(
                    "`{}` needs pool sizes and strides of at least 1 and no dilation, got pool_size {:?}, \
                     strides {:?}, dilation {:?}",
                    self.name(),
                    &w.size[..w.axes],
                    &w.strides[..w.axes],
                    &w.dilation[..w.axes]
                ));
            }
        }
        if w.padding == Padding::Causal {
            return bad(format!("`{}` takes padding `valid` or `same`, not `causal`", self.name()));
        }
        Ok(())
    }

    /// The window's size on axis `a` (1 on the second axis of a 1-D window).
    fn size(&self, a: usize) -> usize {
        if a < self.window.axes {
            self.window.size[a]
        } else {
            1
        }
    }

    /// The stride on axis `a` (1 on the second axis of a 1-D window).
    fn stride(&self, a: usize) -> usize {
        if a < self.window.axes {
            self.window.strides[a]
        } else {
            1
        }
    }

    /// A sample of real extent `real`, alone: its output extent (empty when a valid window does
    /// not fit) and its padding before, by the shared rule's `Window::output_len` / `pad_before`.
    fn geometry(&self, real: Extent) -> SampleGeometry {
        let axis = |a: usize| {
            if a < self.window.axes {
                (self.window.output_len(a, real[a]), self.window.pad_before(a, real[a]))
            } else {
                (Some(real[a]), 0)
            }
        };
        let ((o0, p0), (o1, p1)) = (axis(0), axis(1));
        let out = match (o0, o1) {
            (Some(o0), Some(o1)) if real[0] > 0 && real[1] > 0 && o0 > 0 && o1 > 0 => [o0, o1],
            _ => [0, 0],
        };
        SampleGeometry { real, out, pad: [p0, p1] }
    }

    /// The input rows and columns of output position `(oy, ox)`'s window, clipped to the real
    /// extent (never empty for an output position inside `g.out`).
    fn window_ranges(&self, g: &SampleGeometry, o: [usize; 2]) -> [Range<usize>; 2] {
        std::array::from_fn(|a| {
            let start = (o[a] * self.stride(a)) as isize - g.pad[a] as isize;
            let end = start + self.size(a) as isize;
            (start.max(0) as usize)..(end.max(0) as usize).min(g.real[a])
        })
    }

    /// The input's per-sample dims checked, the padded spatial extents of input and output, and
    /// the channels.
    fn layout(&self, in_dims: Dims) -> Result<(Extent, Extent, usize)> {
        let out_dims = self.output_dims(&[in_dims])?;
        let spatial = in_dims.as_slice();
        let out_spatial = out_dims.as_slice();
        let r = spatial.len() - 1;
        Ok((padded_extent(&spatial[..r]), padded_extent(&out_spatial[..r]), in_dims.last()))
    }
}

/// `out = max(out, row)` per channel: the first max stays; a NaN wins and stays. Branch-free
/// (`|` rather than `||`) so that it vectorizes.
fn max_into(out: &mut [f32], row: &[f32]) {
    let n = out.len().min(row.len());
    let (out, row) = (&mut out[..n], &row[..n]);
    for j in 0..n {
        let (o, v) = (out[j], row[j]);
        out[j] = if (v > o) | v.is_nan() { v } else { o };
    }
}

/// One window position of the max backward: where `x` holds the max `m`, the gradient still
/// `pending` goes to `d` and is spent, so only the first position holding the max takes it.
fn route_to_max(d: &mut [f32], pending: &mut [f32], x: &[f32], m: &[f32]) {
    let n = d.len().min(pending.len()).min(x.len()).min(m.len());
    let (d, pending, x, m) = (&mut d[..n], &mut pending[..n], &x[..n], &m[..n]);
    for j in 0..n {
        let hit = (x[j] == m[j]) | (x[j].is_nan() & m[j].is_nan());
        let p = pending[j];
        d[j] += if hit { p } else { 0.0 };
        pending[j] = if hit { 0.0 } else { p };
    }
}

/// One window position of the max forward in training: `row` (the `C` channels at flat index
/// `at`) into the running max `out`, `arg` the flat index of each value taken; the `first`
/// position starts them. The first max in window order stays, and the first NaN wins, as
/// [`max_into`]. Branch-free so that it vectorizes.
fn max_with_argmax(out: &mut [f32], arg: &mut [u32], row: &[f32], at: u32, first: bool) {
    let n = out.len().min(arg.len()).min(row.len());
    let (out, arg, row) = (&mut out[..n], &mut arg[..n], &row[..n]);
    for j in 0..n {
        let (o, v, a) = (out[j], row[j], arg[j]);
        let take = first | (v > o) | (v.is_nan() & !o.is_nan());
        // A blend by bit mask: the compiler keeps it in vector registers (a select of two
        // arrays became per-lane conditional stores).
        let mask = u32::from(take).wrapping_neg();
        out[j] = f32::from_bits((v.to_bits() & mask) | (o.to_bits() & !mask));
        arg[j] = ((at + j as u32) & mask) | (a & !mask);
    }
}

impl Stage for WindowPool {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, self.name())?;
        self.check_window()?;
        rule_dims_one(self.name(), input, |d| shaped_rules::pool(d, self.window))
    }

    /// Max or mean over each window, per sample alone (see the module docs).
    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let name = self.name();
        let Input { data: x, dims, mask, .. } = args.input(name)?;
        let batch = args.batch;
        let ([ih, iw], [oh, ow], c) = self.layout(dims)?;
        check_len(name, "input", x.len(), batch, dims.numel())?;
        check_len(name, "output", y.len(), batch, oh * ow * c)?;
        check_mask(name, mask, batch, dims)?;
        // Indices are u32 (they vectorize with the f32 compares); an input past 2³² values
        // takes the backward pass that searches each window again.
        let record =
            self.reduce == Reduce::Max && args.mode == Mode::Training && u32::try_from(x.len()).is_ok();
        self.argmax_of = None;
        if record {
            grow(&mut self.argmax, y.len());
        }
        for b in 0..batch {
            let g = self.geometry(real_extent(mask, b, [ih, iw]));
            for oy in 0..oh {
                for ox in 0..ow {
                    let start = ((b * oh + oy) * ow + ox) * c;
                    let out = &mut y[start..start + c];
                    if oy >= g.out[0] || ox >= g.out[1] {
                        zero_run(out);
                        continue;
                    }
                    if record {
                        let [rows, cols] = self.window_ranges(&g, [oy, ox]);
                        let arg = &mut self.argmax[start..start + c];
                        let mut first = true;
                        for iy in rows {
                            for ix in cols.clone() {
                                let at = ((b * ih + iy) * iw + ix) * c;
                                max_with_argmax(out, arg, &x[at..at + c], at as u32, first);
                                first = false;
                            }
                        }
                        if first {
                            zero_run(out);
                        }
                        continue;
                    }
                    let [rows, cols] = self.window_ranges(&g, [oy, ox]);
                    let count = rows.len() * cols.len();
                    let mut first = true;
                    for iy in rows {
                        for ix in cols.clone() {
                            let start = ((b * ih + iy) * iw + ix) * c;
                            let row = &x[start..start + c];
                            if first {
                                copy_run(out, row);
                                first = false;
                            } else if self.reduce == Reduce::Max {
                                max_into(out, row);
                            } else {
                                for (o, &v) in out.iter_mut().zip(row) {
                                    *o += v;
                                }
                            }
                        }
                    }
                    if self.reduce == Reduce::Avg {
                        let scale = 1.0 / count as f32;
                        out.iter_mut().for_each(|o| *o *= scale);
                    }
                }
            }
        }
        if record {
            self.argmax_of = Some((batch, y.len()));
        }
        Ok(())
    }

    /// Max: `dy` to the first max of each window; average: `dy / count` to every window
    /// position; overlapping windows add; zero at padded positions.
    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        let name = self.name();
        let Input { data: x, dims, mask, .. } = args.input(name)?;
        let (batch, y, dy) = (args.batch, args.output, args.grad_output);
        let Some(dx) = single_grad(grad_inputs) else { return Ok(()) };
        let ([ih, iw], [oh, ow], c) = self.layout(dims)?;
        check_len(name, "input", x.len(), batch, dims.numel())?;
        check_len(name, "input gradient", dx.len(), batch, dims.numel())?;
        check_len(name, "output", y.len(), batch, oh * ow * c)?;
        check_len(name, "output gradient", dy.len(), batch, oh * ow * c)?;
        check_mask(name, mask, batch, dims)?;
        grow(&mut self.pending, c);
        dx.fill(0.0);
        if self.reduce == Reduce::Max && self.argmax_of == Some((batch, y.len())) {
            // Each real output's gradient to the input its training forward took; padded
            // outputs took none (their gradient is zero and goes nowhere).
            for b in 0..batch {
                let g = self.geometry(real_extent(mask, b, [ih, iw]));
                for oy in 0..g.out[0] {
                    let start = ((b * oh + oy) * ow) * c;
                    let span = start..start + g.out[1] * c;
                    for (&at, &d) in self.argmax[span.clone()].iter().zip(&dy[span]) {
                        dx[at as usize] += d;
                    }
                }
            }
            return Ok(());
        }
        for b in 0..batch {
            let g = self.geometry(real_extent(mask, b, [ih, iw]));
            for oy in 0..g.out[0] {
                for ox in 0..g.out[1] {
                    let start = ((b * oh + oy) * ow + ox) * c;
                    let (grad, out) = (&dy[start..start + c], &y[start..start + c]);
                    let [rows, cols] = self.window_ranges(&g, [oy, ox]);
                    let count = rows.len() * cols.len();
                    let pending = &mut self.pending[..c];
                    match self.reduce {
                        Reduce::Max => copy_run(pending, grad),
                        Reduce::Avg => {
                            let scale = 1.0 / count as f32;
                            for (p, &d) in pending.iter_mut().zip(grad) {
                                *p = d * scale;
                            }
                        }
                    }
                    for iy in rows {
                        for ix in cols.clone() {
                            let start = ((b * ih + iy) * iw + ix) * c;
                            let d = &mut dx[start..start + c];
                            if self.reduce == Reduce::Avg {
                                for (d, &p) in d.iter_mut().zip(pending.iter()) {
                                    *d += p;
                                }
                                continue;
                            }
                            route_to_max(d, pending, &x[start..start + c], out);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn mask_rule(&self) -> MaskRule {
        MaskRule::ProduceIf(Masked::Any)
    }

    /// Each sample's output rectangle, 1.0 inside and 0.0 elsewhere.
    fn produce_mask(&self, args: Forward<'_>, out_mask: &mut [f32]) -> Result<()> {
        let name = self.name();
        let Input { dims, mask, .. } = args.input(name)?;
        let ([ih, iw], [oh, ow], _) = self.layout(dims)?;
        check_mask(name, mask, args.batch, dims)?;
        check_len(name, "output mask", out_mask.len(), args.batch, oh * ow)?;
        for (b, m) in out_mask.chunks_exact_mut((oh * ow).max(1)).take(args.batch).enumerate() {
            let g = self.geometry(real_extent(mask, b, [ih, iw]));
            spatial_mask::write_extent_mask(m, [oh, ow], g.out);
        }
        Ok(())
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

    fn window(axes: usize, k: usize, s: usize, padding: Padding) -> Window {
        Window { axes, size: [k, k], strides: [s, s], dilation: [1, 1], padding }
    }

    #[test]
    fn same_average_counts_only_real_elements() {
        // One 3×3 image, one channel, 2×2 windows, stride 2, same: output 2×2, no padding
        // before, one after. The windows hold 4, 2, 2 and 1 real elements.
        let x: Vec<f32> = (1..=9).map(|v| v as f32).collect();
        let dims = Dims::new(&[3, 3, 1]).unwrap();
        let mut pool = WindowPool::avg(window(2, 2, 2, Padding::Same));
        let mut y = [f32::NAN; 4];
        forward_one(&mut pool, &x, dims, 1, None, &mut y, Mode::Training).unwrap();
        assert_eq!(y, [(1. + 2. + 4. + 5.) / 4., (3. + 6.) / 2., (7. + 8.) / 2., 9.]);
        let mut dx = [f32::NAN; 9];
        backward_one(&mut pool, &x, dims, 1, None, &y, &[4.0, 2.0, 6.0, 1.0], Some(&mut dx)).unwrap();
        assert_eq!(dx, [1., 1., 1., 1., 1., 1., 3., 3., 1.]);
    }

    #[test]
    fn max_routes_to_the_first_max_and_overlaps_add() {
        // [1, 3, 3, 2] with windows of 2, stride 1: maxes 3 (first of the tie), 3, 3.
        let x = [1.0, 3.0, 3.0, 2.0];
        let dims = Dims::new(&[4, 1]).unwrap();
        let mut pool = WindowPool::max(window(1, 2, 1, Padding::Valid));
        let mut y = [f32::NAN; 3];
        forward_one(&mut pool, &x, dims, 1, None, &mut y, Mode::Training).unwrap();
        assert_eq!(y, [3.0, 3.0, 3.0]);
        let mut dx = [f32::NAN; 4];
        backward_one(&mut pool, &x, dims, 1, None, &y, &[1.0, 10.0, 100.0], Some(&mut dx)).unwrap();
        assert_eq!(dx, [0.0, 11.0, 100.0, 0.0]);
    }

    #[test]
    fn bad_windows_are_errors() {
        let dims = Dims::new(&[4, 1]).unwrap();
        for w in [
            window(1, 0, 1, Padding::Valid),
            window(1, 2, 0, Padding::Valid),
            window(1, 2, 1, Padding::Causal),
            window(3, 2, 1, Padding::Valid),
        ] {
            assert!(WindowPool::max(w).output_dims(&[dims]).is_err(), "{w:?}");
        }
        let err = WindowPool::max(window(1, 5, 1, Padding::Valid)).output_dims(&[dims]).unwrap_err();
        assert!(err.to_string().contains("MaxPooling1D"), "{err}");
        let mut y = [0.0; 3];
        let mut pool = WindowPool::max(window(1, 2, 1, Padding::Valid));
        assert!(forward_one(&mut pool, &[0.0; 3], dims, 1, None, &mut y, Mode::Training).is_err());
        assert!(forward_one(&mut pool, &[0.0; 4], dims, 1, Some(&[1.0; 3]), &mut y, Mode::Training).is_err());
        assert!(forward_one(&mut pool, &[0.0; 4], dims, 1, None, &mut y[..2], Mode::Training).is_err());
    }
}
