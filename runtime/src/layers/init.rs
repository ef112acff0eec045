//! Keras's default initialisers (`initializers/random_initializers.py`).

use crate::data::rng::SplitMix64;

/// glorot_uniform: `U(−l, l)` with `l = √(6 / (fan_in + fan_out))`, written into `out`.
pub fn glorot_uniform(rng: &mut SplitMix64, fan_in: usize, fan_out: usize, out: &mut [f32]) {
    let limit = (6.0 / (fan_in + fan_out).max(1) as f64).sqrt() as f32;
    for w in out {
        *w = (2.0 * rng.next_f32() - 1.0) * limit;
    }
}

/// Keras's `compute_fans(shape)` (`initializers/random_initializers.py`): a vector `(n,)` has
/// `fan_in = fan_out = n`, a matrix `(in, out)` its two sides, and a convolution kernel
/// `(k…, in, out)` the receptive field `∏ k…` times each: `(in · ∏k, out · ∏k)`.
pub fn fans(shape: &[usize]) -> (usize, usize) {
    match shape {
        [] => (1, 1),
        [n] => (*n, *n),
        [a, b] => (*a, *b),
        [window @ .., fan_in, fan_out] => {
            let receptive: usize = window.iter().product();
            (fan_in * receptive, fan_out * receptive)
        }
    }
}

/// glorot_uniform for a weight of Keras `shape`, with Keras's [`fans`]: a convolution kernel
/// `(kh, kw, in, out)` gets `l = √(6 / ((in + out) · kh · kw))`.
pub fn glorot_uniform_shaped(rng: &mut SplitMix64, shape: &[usize], out: &mut [f32]) {
    let (fan_in, fan_out) = fans(shape);
    glorot_uniform(rng, fan_in, fan_out, out);
}

/// The generator for layer `index` of a model seeded with `seed`: each layer draws from its own
/// stream, so adding a layer does not change the weights of the layers before it.
pub fn layer_rng(seed: u64, index: usize) -> SplitMix64 {
    let mut mix = SplitMix64::new(seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    SplitMix64::new(mix.next_u64())
}

/// Keras's `orthogonal(gain=1)` for a `(rows, cols)` weight, written row-major into `out`.
///
/// As `initializers/random_initializers.py::Orthogonal`: draw `A ~ N(0, 1)` of shape
/// `(max, min)` (Box-Muller on `rng`), factor `A = QR`, take `Q · sign(diag R)` (modified
/// Gram-Schmidt in f64 gives the `R` with a positive diagonal directly, so that product is its
/// `Q`), and transpose when `rows < cols`. The result has orthonormal columns when
/// `rows ≥ cols` (`QᵀQ = I`) and orthonormal rows otherwise (`QQᵀ = I`); an LSTM's
/// `(u, 4u)` recurrent kernel gets orthonormal rows.
///
/// `out` must hold `rows · cols` values; anything beyond is left untouched.
pub fn orthogonal(rng: &mut SplitMix64, rows: usize, cols: usize, out: &mut [f32]) {
    let (long, short) = (rows.max(cols), rows.min(cols));
    if long == 0 || short == 0 {
        return;
    }
    // Column-major (long × short): column j is q[j * long..(j + 1) * long].
    let mut q: Vec<f64> = Vec::with_capacity(long * short);
    while q.len() < long * short {
        let (a, b) = standard_normal_pair(rng);
        q.push(a);
        if q.len() < long * short {
            q.push(b);
        }
    }
    for j in 0..short {
        let (done, rest) = q.split_at_mut(j * long);
        let v = &mut rest[..long];
        // Two passes of modified Gram-Schmidt keep QᵀQ = I to f64 rounding.
        for _ in 0..2 {
            for i in 0..j {
                let qi = &done[i * long..(i + 1) * long];
                let r: f64 = qi.iter().zip(v.iter()).map(|(a, b)| a * b).sum();
                for (vk, qk) in v.iter_mut().zip(qi) {
                    *vk -= r * qk;
                }
            }
        }
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        // A normal draw is linearly dependent on the previous columns with probability 0.
        let scale = if norm > 0.0 { 1.0 / norm } else { 0.0 };
        for vk in v.iter_mut() {
            *vk *= scale;
        }
    }
    for (j, column) in q.chunks_exact(long).enumerate() {
        for (i, &value) in column.iter().enumerate() {
            // Q is (rows × cols) when rows ≥ cols: element (i, j); else Qᵀ: element (j, i).
            let index = if rows >= cols { i * cols + j } else { j * cols + i };
            out[index] = value as f32;
        }
    }
}

/// Two independent `N(0, 1)` draws (Box-Muller) from 53-bit uniforms.
fn standard_normal_pair(rng: &mut SplitMix64) -> (f64, f64) {
    // u1 in (0, 1], so ln(u1) is finite.
    let u1 = ((rng.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64);
    let u2 = (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
    let radius = (-2.0 * u1.ln()).sqrt();
    let angle = 2.0 * std::f64::consts::PI * u2;
    (radius * angle.cos(), radius * angle.sin())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Σ_k a[i, k] · a[j, k]` over rows `i`, `j` of the row-major `(rows, cols)` matrix `a`.
    fn row_dot(a: &[f32], cols: usize, i: usize, j: usize) -> f64 {
        (0..cols).map(|k| f64::from(a[i * cols + k]) * f64::from(a[j * cols + k])).sum()
    }

    #[test]
    fn orthogonal_wide_has_orthonormal_rows() {
        // LSTM(8)'s recurrent kernel is (8, 32): QQᵀ = I₈.
        let (rows, cols) = (8, 32);
        let mut w = vec![f32::NAN; rows * cols];
        orthogonal(&mut SplitMix64::new(3), rows, cols, &mut w);
        for i in 0..rows {
            for j in 0..rows {
                let expected = if i == j { 1.0 } else { 0.0 };
                let dot = row_dot(&w, cols, i, j);
                assert!((dot - expected).abs() < 1e-6, "(QQᵀ)[{i}, {j}] = {dot}");
            }
        }
    }

    #[test]
    fn orthogonal_tall_and_square_have_orthonormal_columns() {
        for (rows, cols) in [(12, 5), (16, 16)] {
            let mut w = vec![f32::NAN; rows * cols];
            orthogonal(&mut SplitMix64::new(9), rows, cols, &mut w);
            // Columns of w are the rows of wᵀ.
            let mut t = vec![0.0; rows * cols];
            for i in 0..rows {
                for j in 0..cols {
                    t[j * rows + i] = w[i * cols + j];
                }
            }
            for i in 0..cols {
                for j in 0..cols {
                    let expected = if i == j { 1.0 } else { 0.0 };
                    let dot = row_dot(&t, rows, i, j);
                    assert!((dot - expected).abs() < 1e-6, "{rows}×{cols}: (QᵀQ)[{i}, {j}] = {dot}");
                }
            }
        }
    }

    #[test]
    fn fans_follow_keras() {
        assert_eq!(fans(&[7]), (7, 7));
        assert_eq!(fans(&[3, 5]), (3, 5));
        assert_eq!(fans(&[3, 3, 4, 8]), (36, 72));
        assert_eq!(fans(&[5, 2, 6]), (10, 30));
    }

    #[test]
    fn orthogonal_is_seeded_and_not_trivial() {
        let (mut a, mut b) = (vec![0.0; 64], vec![0.0; 64]);
        orthogonal(&mut SplitMix64::new(1), 8, 8, &mut a);
        orthogonal(&mut SplitMix64::new(1), 8, 8, &mut b);
        assert_eq!(a, b);
        // Not the identity or a signed permutation: many entries are neither 0 nor ±1.
        assert!(a.iter().filter(|v| v.abs() > 0.05 && v.abs() < 0.95).count() > 32);
    }
}
