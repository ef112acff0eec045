//! [`InputSample`]: one input sample as `fit` and `predict` take it — a fixed-size array, or a
//! variable-length sequence that the runtime pads per batch.

use crate::tensor::Sample;

/// One sample of a model's input: a fixed-size array (`[f32; 64]`, `[[f32; 8]; 8]`), a
/// sequence of feature vectors (`Vec<[f32; 12]>` for `input: [None, 12]`), or a sequence of
/// token ids (`Vec<u32>` for `input: u32[None]`).
///
/// A batch of sequences is padded after each sequence to the batch's longest, and the padding
/// is masked; nothing is padded for fixed-size samples.
///
/// Ragged sequences go to `fit`, `evaluate` and `predict` as they are: no padding by hand.
///
/// ```
/// use shaped::prelude::*;
///
/// shaped::model! {
///     /// Reads a variable number of steps of 3 features.
///     struct Reader {
///         input: [None, 3],
///         Lstm(8),
///         Dense(2, activation = softmax),
///     }
/// }
///
/// let x: Vec<Vec<[f32; 3]>> = vec![
///     vec![[0.1, 0.2, 0.3]; 5],
///     vec![[0.3, 0.2, 0.1]; 2],
///     vec![[0.0, 1.0, 0.0]; 9],
/// ];
/// let y: Vec<u32> = vec![0, 1, 0];
/// let mut model = Reader::new(0).compile(Adam::default(), SparseCategoricalCrossentropy::default(), [Accuracy])?;
/// model.fit(&x, &y, FitOptions { epochs: 2, verbose: Verbose::Silent, ..Default::default() })?;
///
/// // Padding never changes a result: a sequence predicts the same alone and in a batch.
/// let together: Vec<[f32; 2]> = model.predict(&x)?;
/// let alone: Vec<[f32; 2]> = model.predict(&x[1..2])?;
/// assert!((together[1][0] - alone[0][0]).abs() < 1e-6);
/// # Ok::<(), shaped::Error>(())
/// ```
pub trait InputSample {
    /// Values per time step (the features; 1 for token ids), or per sample when fixed-size.
    const STEP_LEN: usize;

    /// The number of time steps, `None` for a fixed-size sample.
    fn steps(&self) -> Option<usize>;

    /// Writes the sample into `out` (`steps · STEP_LEN` values; for a fixed-size sample,
    /// `STEP_LEN`), padding after the sample's own steps with zeros.
    fn write_padded(&self, steps: usize, out: &mut [f32]);

    /// The position (flat index) and value of the first NaN or ±Inf value, if any.
    fn first_non_finite(&self) -> Option<(usize, f32)>;

    /// For token ids: the step and value of the first id not below `limit` (an `Embedding`'s
    /// `input_dim`); `None` for float samples.
    fn first_id_at_least(&self, limit: usize) -> Option<(usize, u32)> {
        let _ = limit;
        None
    }
}

impl<T: Sample> InputSample for T {
    const STEP_LEN: usize = T::LEN;

    fn steps(&self) -> Option<usize> {
        None
    }

    fn write_padded(&self, _steps: usize, out: &mut [f32]) {
        out.copy_from_slice(T::flatten(std::slice::from_ref(self)));
    }

    fn first_non_finite(&self) -> Option<(usize, f32)> {
        first_non_finite(T::flatten(std::slice::from_ref(self)))
    }
}

impl<const F: usize> InputSample for Vec<[f32; F]> {
    const STEP_LEN: usize = F;

    fn steps(&self) -> Option<usize> {
        Some(self.len())
    }

    fn write_padded(&self, steps: usize, out: &mut [f32]) {
        let n = self.len().min(steps) * F;
        out[..n].copy_from_slice(&self.as_flattened()[..n]);
        out[n..].fill(0.0);
    }

    fn first_non_finite(&self) -> Option<(usize, f32)> {
        first_non_finite(self.as_flattened())
    }
}

/// Token ids are fed to the model as `f32` (exact up to 2²⁴ = 16,777,216, far above any
/// vocabulary an `Embedding` holds); the `Embedding` layer checks them against its size.
impl InputSample for Vec<u32> {
    const STEP_LEN: usize = 1;

    fn steps(&self) -> Option<usize> {
        Some(self.len())
    }

    fn write_padded(&self, steps: usize, out: &mut [f32]) {
        let n = self.len().min(steps);
        for (o, &id) in out.iter_mut().zip(&self[..n]) {
            *o = id as f32;
        }
        out[n..steps].fill(0.0);
    }

    fn first_non_finite(&self) -> Option<(usize, f32)> {
        None
    }

    fn first_id_at_least(&self, limit: usize) -> Option<(usize, u32)> {
        self.iter().position(|&id| id as usize >= limit).map(|step| (step, self[step]))
    }
}

/// The first non-finite value and its index, after a vectorised scan finds there is one.
fn first_non_finite(values: &[f32]) -> Option<(usize, f32)> {
    if crate::kernels::elementwise::all_finite(values) {
        return None;
    }
    values.iter().position(|v| !v.is_finite()).map(|i| (i, values[i]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_after_the_sequence() {
        let seq = vec![[1.0, 2.0], [3.0, 4.0]];
        let mut out = [9.0; 6];
        seq.write_padded(3, &mut out);
        assert_eq!(out, [1.0, 2.0, 3.0, 4.0, 0.0, 0.0]);
        let ids = vec![5u32, 7];
        let mut out = [9.0; 4];
        ids.write_padded(4, &mut out);
        assert_eq!(out, [5.0, 7.0, 0.0, 0.0]);
        assert_eq!([1.0f32, 2.0].steps(), None);
        assert_eq!(<[f32; 2]>::STEP_LEN, 2);
    }
}
