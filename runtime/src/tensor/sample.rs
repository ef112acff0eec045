//! [`Sample`]: plain Rust arrays as model inputs and outputs (`[f32; 64]`, `[[f32; 8]; 8]`).
//!
//! The generated `predict` takes `&[[f32; 64]]` for an `input: [64]` model, so a wrong feature
//! count is a plain type error: ``expected `&[[f32; 64]]`, found `&Vec<[f32; 63]>` ``.

/// A fixed-size sample of `f32`s stored contiguously in row-major order.
pub trait Sample: Copy + 'static {
    /// Values per sample.
    const LEN: usize;
    /// The samples as one flat slice.
    fn flatten(samples: &[Self]) -> &[f32];
    /// A sample from exactly [`Sample::LEN`] values.
    fn from_flat(values: &[f32]) -> Self;
}

impl<const N: usize> Sample for [f32; N] {
    const LEN: usize = N;
    fn flatten(samples: &[Self]) -> &[f32] {
        samples.as_flattened()
    }
    fn from_flat(values: &[f32]) -> Self {
        let mut out = [0.0; N];
        out.copy_from_slice(values);
        out
    }
}

impl<const N: usize, const M: usize> Sample for [[f32; N]; M] {
    const LEN: usize = N * M;
    fn flatten(samples: &[Self]) -> &[f32] {
        samples.as_flattened().as_flattened()
    }
    fn from_flat(values: &[f32]) -> Self {
        let mut out = [[0.0; N]; M];
        out.as_flattened_mut().copy_from_slice(values);
        out
    }
}

impl<const N: usize, const M: usize, const L: usize> Sample for [[[f32; N]; M]; L] {
    const LEN: usize = N * M * L;
    fn flatten(samples: &[Self]) -> &[f32] {
        samples.as_flattened().as_flattened().as_flattened()
    }
    fn from_flat(values: &[f32]) -> Self {
        let mut out = [[[0.0; N]; M]; L];
        out.as_flattened_mut().as_flattened_mut().copy_from_slice(values);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let s = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
        let flat = <[[f32; 2]; 3]>::flatten(std::slice::from_ref(&s));
        assert_eq!(flat, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(<[[f32; 2]; 3]>::from_flat(flat), s);
        assert_eq!(<[f32; 3]>::LEN, 3);
    }
}
