//! [`Grouped`]: a grouped convolution as im2col and gemms over a batch, forward and adjoint,
//! the engine under every convolution layer.
//!
//! The kernel is `(kh·kw·Cg) × F` row-major, Keras's `(kh, kw, C / groups, filters)`; group `g`
//! reads input channels `g·Cg..(g+1)·Cg` and writes filters `g·Fg..(g+1)·Fg`. For a chunk of
//! samples whose `cols` (see [`crate::kernels::im2col`]) fit [`COLS_BUDGET`] values, per group:
//!
//! ```text
//! forward:       out[:, g]   = cols[:, g] · K_g
//! kernel grad:   dK_g       (+)= cols[:, g]ᵀ · dout[:, g]
//! input grad:    dcols[:, g] = dout[:, g] · K_gᵀ,   din = col2im(dcols)
//! ```
//!
//! A whole small batch (the W5 CNN at batch 64) is one chunk, and the `cols` of a training
//! forward are kept for the kernel gradient of the backward pass. A chunk's samples are dealt
//! into shares of consecutive samples (`samples / 8` of them, 1 to 4, a count that depends on
//! the chunk alone) that run side by side on the kernel threads for the passes of each sample
//! alone: im2col and the forward gemms, then `dcols` and col2im. Each output row is computed by
//! the same operations whatever the shares, and the kernel gradient is one sum over the whole
//! chunk, so results do not depend on the thread count.

use std::ops::Range;

use crate::buffer::grow;
use crate::kernels::gemm::{matmul_at_b_strided, sgemm, stride};
use crate::kernels::im2col::{col2im, im2col, Geometry};
use crate::kernels::threads;

/// The most `cols` values one chunk of samples may take (64 MiB of f32); a chunk has at least
/// one sample whatever its size.
const COLS_BUDGET: usize = 1 << 24;

/// The most shares a chunk of samples is dealt into.
const MAX_SHARES: usize = 4;

/// Samples per share (see the module docs).
const SAMPLES_PER_SHARE: usize = 8;

/// Sample `i`'s range of `count` samples dealt into `shares` runs of consecutive samples as
/// even as possible.
fn share_range(count: usize, shares: usize, i: usize) -> Range<usize> {
    let (base, extra) = (count / shares, count % shares);
    let start = i * base + i.min(extra);
    start..start + base + usize::from(i < extra)
}

/// One share's samples (indices into the chunk) and its parts of two buffers.
type SharePart<'a> = (Range<usize>, &'a mut [f32], &'a mut [f32]);

/// The work of one share: its samples (indices into the chunk) and its parts of two buffers.
type ShareWork<'a> = dyn Fn(Range<usize>, &mut [f32], &mut [f32]) + Sync + 'a;

/// Runs `run(range, a, b)` for each share of `count` samples, side by side on the kernel
/// threads: `a` and `b` are the share's parts of `a_all` and `b_all`, which hold `a_len` and
/// `b_len` values a sample.
fn each_share(
    count: usize,
    (a_all, a_len): (&mut [f32], usize),
    (b_all, b_len): (&mut [f32], usize),
    run: &ShareWork<'_>,
) {
    let shares = (count / SAMPLES_PER_SHARE).clamp(1, MAX_SHARES);
    let (mut a_rest, mut b_rest) = (a_all, b_all);
    let mut parts: [SharePart<'_>; MAX_SHARES] = std::array::from_fn(|i| {
        let range = if i < shares { share_range(count, shares, i) } else { 0..0 };
        let (a, a_tail) = std::mem::take(&mut a_rest).split_at_mut(range.len() * a_len);
        let (b, b_tail) = std::mem::take(&mut b_rest).split_at_mut(range.len() * b_len);
        (a_rest, b_rest) = (a_tail, b_tail);
        (range, a, b)
    });
    threads::for_each_item(&mut parts[..shares], &|_, (range, a, b)| run(range.clone(), a, b));
}

/// A grouped convolution's kernel, its gradient and its scratch (see the module docs).
#[derive(Clone, Debug)]
pub(super) struct Grouped {
    /// Channel groups.
    pub groups: usize,
    /// Output channels `F`.
    pub filters: usize,
    /// `(kh·kw·Cg) × F`.
    pub kernel: Vec<f32>,
    /// `dL/dK`, the kernel's layout.
    pub kernel_grad: Vec<f32>,
    /// Each sample's geometry for the current pass (grown, never shrunk).
    pub geoms: Vec<Geometry>,
    /// im2col of the current chunk; reused for `dcols` (grown, never shrunk).
    cols: Vec<f32>,
    /// `K_gᵀ` of every group, `Fg × (kh·kw·Cg)` each (grown, never shrunk).
    kernel_t: Vec<f32>,
    /// `(batch, input address)` of the forward whose `cols` `cols` holds, whole batch.
    kept: Option<(usize, usize)>,
}

impl Grouped {
    /// An engine for `taps` window positions, `channels` in, `filters` out, `groups` groups; the
    /// kernel zero (the layers draw it).
    pub fn new(taps: usize, channels: usize, groups: usize, filters: usize) -> Self {
        let groups = groups.max(1);
        let len = taps.saturating_mul(channels / groups).saturating_mul(filters);
        Grouped {
            groups,
            filters,
            kernel: vec![0.0; len],
            kernel_grad: vec![0.0; len],
            geoms: Vec::new(),
            cols: Vec::new(),
            kernel_t: Vec::new(),
            kept: None,
        }
    }

    /// Sets the geometry of each of `batch` samples.
    pub fn plan(&mut self, batch: usize, geometry: impl Fn(usize) -> Geometry) {
        grow(&mut self.geoms, batch);
        for (b, g) in self.geoms[..batch].iter_mut().enumerate() {
            *g = geometry(b);
        }
        self.kept = None;
    }

    /// Samples per chunk and the rows and `cols` width of one sample.
    fn chunking(&self, batch: usize) -> (usize, usize, usize) {
        let g = self.geoms.first().copied().unwrap_or_default();
        let (rows, width) = (g.rows(), g.row_len());
        let per_sample = (rows * width).max(1);
        ((COLS_BUDGET / per_sample).clamp(1, batch.max(1)), rows, width)
    }

    /// im2col of samples `b0..b1` of `input` (`in_len` values each) into `cols`.
    fn fill_cols(&mut self, input: &[f32], in_len: usize, b0: usize, b1: usize, rows: usize, width: usize) {
        grow(&mut self.cols, (b1 - b0) * rows * width);
        for b in b0..b1 {
            let cols = &mut self.cols[(b - b0) * rows * width..(b - b0 + 1) * rows * width];
            im2col(&self.geoms[b], &input[b * in_len..(b + 1) * in_len], cols);
        }
    }

    /// `out = conv(input)` for `batch` samples (`input`: `in_len` values each; `out`: each
    /// sample's grid of `F` values, every grid position written, padded ones from zero rows;
    /// what `out` held is never read). `keep`: a training forward, whose `cols` the backward
    /// pass may reuse.
    pub fn forward(&mut self, input: &[f32], in_len: usize, batch: usize, out: &mut [f32], keep: bool) {
        let (chunk, rows, width) = self.chunking(batch);
        let (f, groups) = (self.filters, self.groups);
        let (fg, kg) = (f / groups, width / groups);
        for b0 in (0..batch).step_by(chunk) {
            let b1 = (b0 + chunk).min(batch);
            grow(&mut self.cols, (b1 - b0) * rows * width);
            let (geoms, kernel) = (&self.geoms[b0..b1], &self.kernel[..]);
            let cols = (&mut self.cols[..(b1 - b0) * rows * width], rows * width);
            let out = (&mut out[b0 * rows * f..b1 * rows * f], rows * f);
            each_share(b1 - b0, cols, out, &|samples, cols, out| {
                for (s, b) in samples.clone().enumerate() {
                    let x = &input[(b0 + b) * in_len..(b0 + b + 1) * in_len];
                    im2col(&geoms[b], x, &mut cols[s * rows * width..(s + 1) * rows * width]);
                }
                let m = samples.len() * rows;
                if m * width == 0 {
                    return;
                }
                for g in 0..groups {
                    sgemm(
                        m,
                        kg,
                        fg,
                        1.0,
                        &cols[g * kg..],
                        stride(width),
                        1,
                        &kernel[g * fg..],
                        stride(f),
                        1,
                        0.0,
                        &mut out[g * fg..],
                        stride(f),
                        1,
                    );
                }
            });
        }
        self.kept = (keep && chunk >= batch).then_some((batch, input.as_ptr() as usize));
    }

    /// The adjoint pass for `batch` samples, `dout` each sample's grid of `F` values (zero at
    /// padded positions): the kernel gradient `dK = Σ colsᵀ · dout` when `input` is given (the
    /// forward's input, `in_len` values a sample), and `din = col2im(dout · Kᵀ)` (overwritten,
    /// zero at padded input positions) when wanted.
    pub fn backward(
        &mut self,
        input: Option<&[f32]>,
        in_len: usize,
        batch: usize,
        dout: &[f32],
        mut din: Option<&mut [f32]>,
    ) {
        let (chunk, rows, width) = self.chunking(batch);
        let (f, groups) = (self.filters, self.groups);
        let (fg, kg) = (f / groups, width / groups);
        if input.is_some() && batch == 0 {
            self.kernel_grad.fill(0.0);
        }
        if let Some(din) = din.as_deref_mut() {
            din.fill(0.0);
            self.transpose_kernel(kg, fg);
        }
        let reuse = match input {
            Some(x) => self.kept == Some((batch, x.as_ptr() as usize)),
            None => false,
        };
        for b0 in (0..batch).step_by(chunk) {
            let b1 = (b0 + chunk).min(batch);
            let m = (b1 - b0) * rows;
            let dout = &dout[b0 * rows * f..b1 * rows * f];
            if let Some(x) = input {
                if !reuse {
                    self.fill_cols(x, in_len, b0, b1, rows, width);
                }
                for g in 0..groups {
                    let (a, b) = (&self.cols[g * kg..], &dout[g * fg..]);
                    let c = &mut self.kernel_grad[g * fg..];
                    matmul_at_b_strided(kg, m, fg, a, width, b, f, c, f, b0 > 0);
                }
            }
            let Some(din) = din.as_deref_mut() else { continue };
            grow(&mut self.cols, m * width);
            let (geoms, kernel_t) = (&self.geoms[b0..b1], &self.kernel_t[..]);
            let dcols = (&mut self.cols[..m * width], rows * width);
            let din = (&mut din[b0 * in_len..b1 * in_len], in_len);
            each_share(b1 - b0, dcols, din, &|samples, dcols, din| {
                let dout = &dout[samples.start * rows * f..samples.end * rows * f];
                if dcols.is_empty() {
                    return;
                }
                for g in 0..groups {
                    sgemm(
                        samples.len() * rows,
                        fg,
                        kg,
                        1.0,
                        &dout[g * fg..],
                        stride(f),
                        1,
                        &kernel_t[g * fg * kg..],
                        stride(kg),
                        1,
                        0.0,
                        &mut dcols[g * kg..],
                        stride(width),
                        1,
                    );
                }
                for (s, b) in samples.enumerate() {
                    let dcols = &dcols[s * rows * width..(s + 1) * rows * width];
                    col2im(&geoms[b], dcols, &mut din[s * in_len..(s + 1) * in_len]);
                }
            });
        }
        // `cols` now holds `dcols` (or another chunk): nothing to reuse.
        self.kept = None;
    }

    /// `kernel_t[g] = K_gᵀ` (`Fg × kg`) for every group.
    fn transpose_kernel(&mut self, kg: usize, fg: usize) {
        let f = self.filters;
        grow(&mut self.kernel_t, kg * f);
        for g in 0..self.groups {
            let kt = &mut self.kernel_t[g * fg * kg..(g + 1) * fg * kg];
            for i in 0..kg {
                for q in 0..fg {
                    kt[q * kg + i] = self.kernel[i * f + g * fg + q];
                }
            }
        }
    }
}
