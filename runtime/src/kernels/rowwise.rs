//! Row-wise helpers on contiguous row-major matrices: a row broadcast into or added to every
//! row (biases), column sums (bias gradients) and transposition.
//!
//! A matrix of `width` columns is a slice whose rows are consecutive runs of `width` values;
//! a trailing partial row is ignored. Each helper states its formula; none allocates.

use crate::kernels::short_run::copy_run;

/// `m[i, :] = v` for every row `i` of `m` (rows of `v.len()` values); nothing when `v` is
/// empty. A Dense layer's bias, written before the gemm that accumulates `x @ K` onto it.
pub fn fill_rows(m: &mut [f32], v: &[f32]) {
    if v.is_empty() {
        return;
    }
    for row in m.chunks_exact_mut(v.len()) {
        copy_run(row, v);
    }
}

/// `m[i, :] += v` for every row `i` of `m` (rows of `v.len()` values); nothing when `v` is
/// empty. A bias added after a gemm; one row is the case `m.len() == v.len()`.
#[inline]
pub fn add_to_rows(m: &mut [f32], v: &[f32]) {
    if v.is_empty() {
        return;
    }
    for row in m.chunks_exact_mut(v.len()) {
        row.iter_mut().zip(v).for_each(|(a, b)| *a += b);
    }
}

/// `out[j] = Σ_i m[i, j]` over the rows of `m` (rows of `out.len()` values), summed from the
/// first row down; nothing when `out` is empty. A bias gradient `db = Σ_rows dz`.
pub fn column_sums(m: &[f32], out: &mut [f32]) {
    out.fill(0.0);
    add_column_sums(m, out);
}

/// `out[j] += Σ_i m[i · n + j]` for `m` stored `rows × n` row-major, `n = out.len()`:
/// [`column_sums`] added onto `out` (a bias gradient summed over several blocks of rows).
pub fn add_column_sums(m: &[f32], out: &mut [f32]) {
    if out.is_empty() {
        return;
    }
    for row in m.chunks_exact(out.len()) {
        out.iter_mut().zip(row).for_each(|(o, v)| *o += v);
    }
}

/// `dst = srcᵀ`: `dst` (`cols × rows`) gets `dst[c · rows + r] = src[r · cols + c]` for `src`
/// stored `rows × cols`, in 16 × 16 tiles so that both sides stay within a few cache lines at
/// a time.
///
/// # Panics
///
/// If `src` or `dst` holds fewer than `rows · cols` values.
pub fn transpose(src: &[f32], rows: usize, cols: usize, dst: &mut [f32]) {
    const TILE: usize = 16;
    let (src, dst) = (&src[..rows * cols], &mut dst[..rows * cols]);
    for r0 in (0..rows).step_by(TILE) {
        let r1 = (r0 + TILE).min(rows);
        for c0 in (0..cols).step_by(TILE) {
            let c1 = (c0 + TILE).min(cols);
            for r in r0..r1 {
                let src_row = &src[r * cols + c0..r * cols + c1];
                for (c, &v) in (c0..c1).zip(src_row) {
                    dst[c * rows + r] = v;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bias_rows_and_column_sums_by_hand() {
        let mut m = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        add_to_rows(&mut m, &[10.0, 20.0, 30.0]);
        assert_eq!(m, [11.0, 22.0, 33.0, 14.0, 25.0, 36.0]);
        add_to_rows(&mut m, &[]);
        let mut sums = [f32::NAN; 3];
        column_sums(&m, &mut sums);
        assert_eq!(sums, [25.0, 47.0, 69.0]);
        column_sums(&m, &mut []);
        fill_rows(&mut m, &[7.0, 8.0]);
        assert_eq!(m, [7.0, 8.0, 7.0, 8.0, 7.0, 8.0]);
    }

    #[test]
    fn transpose_across_tile_edges() {
        for (rows, cols) in [(0, 3), (1, 1), (3, 5), (17, 33), (40, 16)] {
            let src: Vec<f32> = (0..rows * cols).map(|v| v as f32).collect();
            let mut dst = vec![f32::NAN; rows * cols];
            transpose(&src, rows, cols, &mut dst);
            for r in 0..rows {
                for c in 0..cols {
                    assert_eq!(dst[c * rows + r], src[r * cols + c], "{rows} × {cols} at ({r}, {c})");
                }
            }
        }
    }
}
