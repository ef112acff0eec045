//! `im2col` and its adjoint `col2im`: the copies that turn a convolution into one gemm.
//!
//! A convolution of one channels-last sample `x` (`C` channels) reads, for each output position
//! `(i, j)` and each window tap `p = (ky, kx)` (`p = ky · kw + kx`), the input pixel
//!
//! ```text
//! (y, x) = (i · s₀ + ky · d₀ − pad₀,  j · s₁ + kx · d₁ − pad₁)
//! ```
//!
//! which is a zero when it falls outside the sample's real `input` rectangle (the padding of
//! `same` / `causal`, and the garbage of a padded batch, are never read). [`im2col`] writes one
//! row per position of the (padded) output grid, `kh · kw · C` values wide, with the columns of
//! channel group `g` (`C / groups` channels each) together:
//!
//! ```text
//! cols[(i · grid₁ + j) · kk·C  +  g · kk·Cg  +  p · Cg  +  c'] = x[(y · input_width + x) · C + g · Cg + c']
//! ```
//!
//! so that group `g`'s output is `cols[:, g-block] · K_g` with the kernel laid out
//! `(kh, kw, Cg, filters)` as Keras stores it. Rows of grid positions outside the real `output`
//! rectangle are zeros. [`col2im`] is the adjoint: it adds each real row's values back onto the
//! input pixels they came from (the input gradient of a convolution, or the forward pass of a
//! transposed one). A 1-D sample `[steps, C]` is the case `input_width = 1`, `kernel[1] = 1`.

use crate::kernels::short_run::{copy_run, zero_run};

/// Where one sample's windows sit: the real input and output rectangles inside their padded
/// grids, and the window (see the module docs for the formula).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Geometry {
    /// The input's channels `C`.
    pub channels: usize,
    /// Channel groups: `C` and the filters split into this many independent blocks (≥ 1).
    pub groups: usize,
    /// The real input rectangle `[rows, cols]` (read only there).
    pub input: [usize; 2],
    /// The padded input's width: pixels per input row in memory.
    pub input_width: usize,
    /// The window's size `[kh, kw]`.
    pub kernel: [usize; 2],
    /// The window's strides.
    pub strides: [usize; 2],
    /// The spacing of the window's taps.
    pub dilation: [usize; 2],
    /// The virtual zeros before the input on each axis.
    pub pad: [usize; 2],
    /// The real output rectangle `[rows, cols]`, at the top left of `grid`.
    pub output: [usize; 2],
    /// The padded output grid `[rows, cols]`: the rows `cols` holds for one sample.
    pub grid: [usize; 2],
}

impl Geometry {
    /// Taps per window, `kh · kw`.
    pub fn taps(&self) -> usize {
        self.kernel[0] * self.kernel[1]
    }

    /// Values per row of `cols`, `kh · kw · C`.
    pub fn row_len(&self) -> usize {
        self.taps() * self.channels
    }

    /// Rows of `cols` per sample: the output grid's positions.
    pub fn rows(&self) -> usize {
        self.grid[0] * self.grid[1]
    }

    /// The input pixel tap `(ky, kx)` of output `(i, j)` reads, `None` outside the real input.
    #[inline]
    fn source(&self, i: usize, j: usize, ky: usize, kx: usize) -> Option<usize> {
        let y = (i * self.strides[0] + ky * self.dilation[0]).checked_sub(self.pad[0])?;
        let x = (j * self.strides[1] + kx * self.dilation[1]).checked_sub(self.pad[1])?;
        (y < self.input[0] && x < self.input[1]).then_some(y * self.input_width + x)
    }
}

/// Writes one sample's `cols` (`g.rows() × g.row_len()`, see the module docs) from its padded
/// input `x` (`input_width` pixels per row of `C` channels).
///
/// Without groups, the taps of one kernel row are contiguous in both `x` (their pixels follow
/// each other when the dilation across is 1) and a row of `cols`, so a window inside the input
/// is `kh` copies of `kw · C` values; windows at an edge go tap by tap.
///
/// # Panics
///
/// If `cols` is shorter than `g.rows() · g.row_len()` or a real pixel lies past the end of `x`
/// (programming errors: the layers check user shapes first).
pub fn im2col(g: &Geometry, x: &[f32], cols: &mut [f32]) {
    if g.groups > 1 {
        return im2col_grouped(g, x, cols);
    }
    let (c, width) = (g.channels, g.row_len());
    let run = g.kernel[1] * c;
    let cols = &mut cols[..g.rows() * width];
    let grid_w = g.grid[1];
    let interior = interior_columns(g);
    for (i, block) in cols.chunks_exact_mut((grid_w * width).max(1)).enumerate() {
        if i >= g.output[0] {
            zero_run(block);
            continue;
        }
        // Grid columns past the real output: zero rows.
        zero_run(&mut block[g.output[1].min(grid_w) * width..]);
        for ky in 0..g.kernel[0] {
            let Some(y) = source_row(g, i, ky) else {
                for j in 0..g.output[1] {
                    zero_run(&mut block[j * width + ky * run..][..run]);
                }
                continue;
            };
            let src_row = &x[y * g.input_width * c..];
            // Windows inside the row: one run of `kw · C` values each, a fixed-size copy for
            // the common runs.
            let (j0, j1) = (interior.start, interior.end);
            if j0 < j1 {
                let dst = &mut block[j0 * width + ky * run..];
                let src = &src_row[(j0 * g.strides[1] - g.pad[1]) * c..];
                let step = g.strides[1] * c;
                match run {
                    3 => copy_windows::<3>(dst, width, src, step, j1 - j0),
                    9 => copy_windows::<9>(dst, width, src, step, j1 - j0),
                    48 => copy_windows::<48>(dst, width, src, step, j1 - j0),
                    96 => copy_windows::<96>(dst, width, src, step, j1 - j0),
                    _ => {
                        for t in 0..j1 - j0 {
                            copy_run(&mut dst[t * width..][..run], &src[t * step..][..run]);
                        }
                    }
                }
            }
            // Windows at an edge (or dilated across): tap by tap.
            for j in (0..j0.min(g.output[1])).chain(j1.max(j0)..g.output[1]) {
                let dst = &mut block[j * width + ky * run..][..run];
                for (kx, tap) in dst.chunks_exact_mut(c.max(1)).enumerate() {
                    match source_col(g, j, kx) {
                        Some(px) => copy_run(tap, &src_row[px * c..][..c]),
                        None => zero_run(tap),
                    }
                }
            }
        }
    }
}

/// The output columns whose whole window row lies inside the real input with contiguous taps
/// (dilation 1 across): `j · s − pad ≥ 0` and `j · s − pad + kw ≤ input width`. Empty when
/// dilated.
fn interior_columns(g: &Geometry) -> std::ops::Range<usize> {
    let (s, pad, kw, w) = (g.strides[1].max(1), g.pad[1], g.kernel[1], g.input[1]);
    if g.dilation[1] != 1 || w + pad < kw {
        return 0..0;
    }
    let start = pad.div_ceil(s);
    let end = ((w + pad - kw) / s + 1).min(g.output[1]);
    start..end.max(start)
}

/// `n` windows of `R` values: `dst[t · width ..][..R] = src[t · step ..][..R]`, `R` fixed so
/// each copy is a few vector moves (in blocks of 16 values: a fixed copy of more than 128 bytes
/// would still be a call to `memcpy`).
#[inline(always)]
fn copy_windows<const R: usize>(dst: &mut [f32], width: usize, src: &[f32], step: usize, n: usize) {
    for t in 0..n {
        let (d, s) = (&mut dst[t * width..][..R], &src[t * step..][..R]);
        let mut d16 = d.chunks_exact_mut(16);
        let mut s16 = s.chunks_exact(16);
        for (d, s) in (&mut d16).zip(&mut s16) {
            let s: &[f32; 16] = s.try_into().expect("16 values");
            d.copy_from_slice(s);
        }
        for (d, s) in d16.into_remainder().iter_mut().zip(s16.remainder()) {
            *d = *s;
        }
    }
}

/// The input row tap row `ky` of output row `i` reads, `None` outside the real input.
#[inline]
fn source_row(g: &Geometry, i: usize, ky: usize) -> Option<usize> {
    let y = (i * g.strides[0] + ky * g.dilation[0]).checked_sub(g.pad[0])?;
    (y < g.input[0]).then_some(y)
}

/// The input column tap column `kx` of output column `j` reads, `None` outside the real input.
#[inline]
fn source_col(g: &Geometry, j: usize, kx: usize) -> Option<usize> {
    let x = (j * g.strides[1] + kx * g.dilation[1]).checked_sub(g.pad[1])?;
    (x < g.input[1]).then_some(x)
}

/// The first input column of output column `j`'s window when the whole window row lies inside
/// the input with contiguous taps (dilation 1 across): its `kw` pixels are then one run.
#[inline]
fn window_across(g: &Geometry, j: usize) -> Option<usize> {
    let x0 = (j * g.strides[1]).checked_sub(g.pad[1])?;
    (g.dilation[1] == 1 && x0 + g.kernel[1] <= g.input[1]).then_some(x0)
}

/// `dst += src` (an add loop is never a library call, so one loop serves every length).
#[inline(always)]
fn add_run(dst: &mut [f32], src: &[f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += s;
    }
}

/// [`im2col`] with channel groups: each group's columns together, tap by tap.
fn im2col_grouped(g: &Geometry, x: &[f32], cols: &mut [f32]) {
    let (c, width, groups) = (g.channels, g.row_len(), g.groups.max(1));
    let cg = c / groups;
    let block = g.taps() * cg;
    let cols = &mut cols[..g.rows() * width];
    for (r, row) in cols.chunks_exact_mut(width.max(1)).enumerate() {
        let (i, j) = (r / g.grid[1].max(1), r % g.grid[1].max(1));
        if i >= g.output[0] || j >= g.output[1] {
            zero_run(row);
            continue;
        }
        for ky in 0..g.kernel[0] {
            for kx in 0..g.kernel[1] {
                let p = ky * g.kernel[1] + kx;
                let pixel = g.source(i, j, ky, kx);
                for gi in 0..groups {
                    let dst = &mut row[gi * block + p * cg..][..cg];
                    match pixel {
                        Some(pixel) => copy_run(dst, &x[pixel * c + gi * cg..][..cg]),
                        None => zero_run(dst),
                    }
                }
            }
        }
    }
}

/// The adjoint of [`im2col`]: adds each real output row of `cols` onto the real input pixels of
/// `dx` it was copied from (`dx[pixel · C + g · Cg + c'] += cols[row, g-block, p, c']`). Rows of
/// padded grid positions and taps outside the real input are skipped; `dx` is not cleared.
///
/// # Panics
///
/// As [`im2col`].
pub fn col2im(g: &Geometry, cols: &[f32], dx: &mut [f32]) {
    let (c, width, groups) = (g.channels, g.row_len(), g.groups.max(1));
    let run = g.kernel[1] * c;
    for i in 0..g.output[0] {
        for j in 0..g.output[1] {
            let r = i * g.grid[1] + j;
            let row = &cols[r * width..(r + 1) * width];
            if groups == 1 {
                let across = window_across(g, j);
                for (ky, src) in row.chunks_exact(run.max(1)).enumerate() {
                    let Some(y) = source_row(g, i, ky) else { continue };
                    match across {
                        Some(x0) => add_run(&mut dx[(y * g.input_width + x0) * c..][..run], src),
                        None => {
                            for (kx, tap) in src.chunks_exact(c.max(1)).enumerate() {
                                if let Some(px) = source_col(g, j, kx) {
                                    add_run(&mut dx[(y * g.input_width + px) * c..][..c], tap);
                                }
                            }
                        }
                    }
                }
                continue;
            }
            let cg = c / groups;
            let block = g.taps() * cg;
            for ky in 0..g.kernel[0] {
                for kx in 0..g.kernel[1] {
                    let Some(pixel) = g.source(i, j, ky, kx) else { continue };
                    let p = ky * g.kernel[1] + kx;
                    for gi in 0..groups {
                        let src = &row[gi * block + p * cg..][..cg];
                        add_run(&mut dx[pixel * c + gi * cg..][..cg], src);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::SplitMix64;

    fn random(n: usize, seed: u64) -> Vec<f32> {
        let mut rng = SplitMix64::new(seed);
        (0..n).map(|_| 2.0 * rng.next_f32() - 1.0).collect()
    }

    /// The convolution of one sample straight from the formula: `y[i, j, f] = Σ x[y, x, c] ·
    /// K[ky, kx, c', f]` over the taps inside the real input and the channels of `f`'s group.
    fn naive(g: &Geometry, x: &[f32], kernel: &[f32], filters: usize) -> Vec<f32> {
        let (c, groups) = (g.channels, g.groups);
        let (cg, fg) = (c / groups, filters / groups);
        let mut y = vec![0.0; g.rows() * filters];
        for i in 0..g.output[0] {
            for j in 0..g.output[1] {
                for f in 0..filters {
                    let group = f / fg;
                    let mut sum = 0.0;
                    for ky in 0..g.kernel[0] {
                        for kx in 0..g.kernel[1] {
                            let yy = (i * g.strides[0] + ky * g.dilation[0]) as isize - g.pad[0] as isize;
                            let xx = (j * g.strides[1] + kx * g.dilation[1]) as isize - g.pad[1] as isize;
                            if yy < 0 || xx < 0 || yy >= g.input[0] as isize || xx >= g.input[1] as isize {
                                continue;
                            }
                            let pixel = yy as usize * g.input_width + xx as usize;
                            for ci in 0..cg {
                                let w = kernel[((ky * g.kernel[1] + kx) * cg + ci) * filters + f];
                                sum += x[pixel * c + group * cg + ci] * w;
                            }
                        }
                    }
                    y[(i * g.grid[1] + j) * filters + f] = sum;
                }
            }
        }
        y
    }

    fn geometries() -> Vec<Geometry> {
        let base = Geometry {
            channels: 4,
            groups: 1,
            input: [5, 6],
            input_width: 7,
            kernel: [3, 2],
            strides: [1, 1],
            dilation: [1, 1],
            pad: [0, 0],
            output: [3, 5],
            grid: [4, 6],
        };
        vec![
            base,
            Geometry { groups: 2, ..base },
            Geometry { groups: 4, ..base },
            Geometry { strides: [2, 3], pad: [1, 1], output: [3, 2], ..base },
            Geometry { dilation: [2, 2], pad: [2, 1], output: [4, 6], ..base },
            // 1-D: [steps, C], causal.
            Geometry {
                input: [6, 1],
                input_width: 1,
                kernel: [3, 1],
                pad: [2, 0],
                output: [6, 1],
                grid: [8, 1],
                ..base
            },
            Geometry { output: [0, 0], ..base },
            // One channel and sixteen, `same` padding: windows at every edge.
            Geometry { channels: 1, kernel: [3, 3], pad: [1, 1], output: [5, 6], grid: [5, 7], ..base },
            Geometry {
                channels: 16,
                kernel: [3, 3],
                pad: [1, 1],
                strides: [2, 2],
                output: [3, 3],
                grid: [4, 4],
                ..base
            },
            Geometry {
                channels: 3,
                kernel: [2, 5],
                dilation: [1, 2],
                pad: [0, 3],
                output: [4, 3],
                grid: [4, 3],
                ..base
            },
        ]
    }

    #[test]
    fn im2col_then_gemm_is_the_naive_convolution() {
        for (t, g) in geometries().into_iter().enumerate() {
            let filters = 4;
            let x = random(6 * g.input_width * g.channels, t as u64);
            let kernel = random(g.taps() * (g.channels / g.groups) * filters, 100 + t as u64);
            let mut cols = vec![f32::NAN; g.rows() * g.row_len()];
            im2col(&g, &x, &mut cols);
            let (cg, fg) = (g.channels / g.groups, filters / g.groups);
            let block = g.taps() * cg;
            let mut y = vec![0.0; g.rows() * filters];
            for r in 0..g.rows() {
                for f in 0..filters {
                    let group = f / fg;
                    y[r * filters + f] = (0..block)
                        .map(|q| cols[r * g.row_len() + group * block + q] * kernel[q * filters + f])
                        .sum();
                }
            }
            crate::testing::assert_close(&y, &naive(&g, &x, &kernel, filters), 1e-5);
        }
    }

    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        // ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for every x and c.
        for (t, g) in geometries().into_iter().enumerate() {
            let x = random(6 * g.input_width * g.channels, 7 + t as u64);
            let c = random(g.rows() * g.row_len(), 70 + t as u64);
            let mut cols = vec![0.0; c.len()];
            im2col(&g, &x, &mut cols);
            let mut dx = vec![0.0; x.len()];
            col2im(&g, &c, &mut dx);
            let left: f64 = cols.iter().zip(&c).map(|(a, b)| f64::from(a * b)).sum();
            let right: f64 = x.iter().zip(&dx).map(|(a, b)| f64::from(a * b)).sum();
            assert!((left - right).abs() < 1e-4, "geometry {t}: {left} vs {right}");
            // Nothing lands outside the real input.
            for (pixel, d) in dx.chunks(g.channels).enumerate() {
                let (yy, xx) = (pixel / g.input_width, pixel % g.input_width);
                if yy >= g.input[0] || xx >= g.input[1] {
                    assert!(d.iter().all(|&v| v == 0.0), "geometry {t}: pixel {pixel}");
                }
            }
        }
    }
}
