//! [`InputSample`]: one input sample as `fit` and `predict` take it — a fixed-size array, or a
//! variable-length sequence that the runtime pads per batch, a string, a value that may be
//! missing — and [`Element`], what it holds: `f32` values, `u32` token ids or [`Text`].

use crate::tensor::Sample;

/// What an input holds: `f32` values, or `u32` token ids, which travel as integers all the way
/// to the `Embedding` that reads them.
pub trait Element: Copy + Default + 'static {
    /// Whether these are token ids.
    const TOKEN_IDS: bool;

    /// Whether these are strings, which go to the batch's text buffer rather than to `values`
    /// or `ids` ([`InputSample::text`]).
    const TEXT: bool = false;

    /// The buffer of this element type among a batch's two: `values` or `ids`.
    fn pick<'a>(values: &'a mut [f32], ids: &'a mut [u32]) -> &'a mut [Self];
}

impl Element for f32 {
    const TOKEN_IDS: bool = false;

    fn pick<'a>(values: &'a mut [f32], _ids: &'a mut [u32]) -> &'a mut [f32] {
        values
    }
}

impl Element for u32 {
    const TOKEN_IDS: bool = true;

    fn pick<'a>(_values: &'a mut [f32], ids: &'a mut [u32]) -> &'a mut [u32] {
        ids
    }
}

/// The element of a string input (`input island: String[1]`): the strings go to the batch's
/// [`crate::tensor::TextBuffer`], nothing to its numeric buffers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Text;

impl Element for Text {
    const TOKEN_IDS: bool = false;
    const TEXT: bool = true;

    fn pick<'a>(_values: &'a mut [f32], _ids: &'a mut [u32]) -> &'a mut [Text] {
        &mut []
    }
}

/// One sample of a model's input: a fixed-size array (`[f32; 64]`, `[[f32; 8]; 8]`), a
/// sequence of feature vectors (`Vec<[f32; 12]>` for `input: [None, 12]`), token ids (`u32`
/// for `input: u32[1]`, `[u32; 6]` for `u32[6]`), or a sequence of token ids (`Vec<u32>` for
/// `input: u32[None]`).
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
    /// What the sample holds: `f32` values or `u32` token ids.
    type Elem: Element;

    /// Values per time step (the features; 1 for token ids), or per sample when fixed-size.
    const STEP_LEN: usize;

    /// The number of time steps (an image's rows), `None` for a fixed-size sample.
    fn steps(&self) -> Option<usize>;

    /// The sizes of the axes known only at run time: `[steps, 1]` for a sequence, `[height,
    /// width]` for an [`crate::tensor::Image`], `None` for a fixed-size sample.
    fn extent(&self) -> Option<[usize; 2]> {
        self.steps().map(|t| [t, 1])
    }

    /// Writes the sample into `out` padded to the grid `padded` (`padded[0] · padded[1] ·
    /// STEP_LEN` elements: `padded[0]` steps of a sequence, `padded[0] × padded[1]` pixels of an
    /// image, top-left; for a fixed-size sample, `STEP_LEN`), zeros after the sample's own.
    fn write_padded(&self, padded: [usize; 2], out: &mut [Self::Elem]);

    /// The position (flat index) and value of the first NaN or ±Inf value, if any.
    fn first_non_finite(&self) -> Option<(usize, f32)>;

    /// For token ids: the step and value of the first id not below `limit` (an `Embedding`'s
    /// `input_dim`); `None` for float samples.
    fn first_id_at_least(&self, limit: usize) -> Option<(usize, u32)> {
        let _ = limit;
        None
    }

    /// For a string input: the string, or `Some(None)` when it is missing; `None` for every
    /// other sample.
    fn text(&self) -> Option<Option<&str>> {
        None
    }
}

impl<T: Sample> InputSample for T {
    type Elem = f32;
    const STEP_LEN: usize = T::LEN;

    fn steps(&self) -> Option<usize> {
        None
    }

    fn write_padded(&self, _padded: [usize; 2], out: &mut [f32]) {
        out.copy_from_slice(T::flatten(std::slice::from_ref(self)));
    }

    fn first_non_finite(&self) -> Option<(usize, f32)> {
        first_non_finite(T::flatten(std::slice::from_ref(self)))
    }
}

impl<const F: usize> InputSample for Vec<[f32; F]> {
    type Elem = f32;
    const STEP_LEN: usize = F;

    fn steps(&self) -> Option<usize> {
        Some(self.len())
    }

    fn write_padded(&self, [steps, _]: [usize; 2], out: &mut [f32]) {
        let n = self.len().min(steps) * F;
        out[..n].copy_from_slice(&self.as_flattened()[..n]);
        out[n..].fill(0.0);
    }

    fn first_non_finite(&self) -> Option<(usize, f32)> {
        first_non_finite(self.as_flattened())
    }
}

/// A sequence of token ids (`input: u32[None]`), padded with id 0.
impl InputSample for Vec<u32> {
    type Elem = u32;
    const STEP_LEN: usize = 1;

    fn steps(&self) -> Option<usize> {
        Some(self.len())
    }

    fn write_padded(&self, [steps, _]: [usize; 2], out: &mut [u32]) {
        let n = self.len().min(steps);
        out[..n].copy_from_slice(&self[..n]);
        out[n..steps].fill(0);
    }

    fn first_non_finite(&self) -> Option<(usize, f32)> {
        None
    }

    fn first_id_at_least(&self, limit: usize) -> Option<(usize, u32)> {
        first_id_at_least(self, limit)
    }
}

/// One token id (`input: u32[1]`): a user id, an item id.
impl InputSample for u32 {
    type Elem = u32;
    const STEP_LEN: usize = 1;

    fn steps(&self) -> Option<usize> {
        None
    }

    fn write_padded(&self, _padded: [usize; 2], out: &mut [u32]) {
        out[0] = *self;
    }

    fn first_non_finite(&self) -> Option<(usize, f32)> {
        None
    }

    fn first_id_at_least(&self, limit: usize) -> Option<(usize, u32)> {
        first_id_at_least(std::slice::from_ref(self), limit)
    }
}

/// A fixed number of token ids (`input: u32[6]`).
impl<const N: usize> InputSample for [u32; N] {
    type Elem = u32;
    const STEP_LEN: usize = N;

    fn steps(&self) -> Option<usize> {
        None
    }

    fn write_padded(&self, _padded: [usize; 2], out: &mut [u32]) {
        out[..N].copy_from_slice(self);
    }

    fn first_non_finite(&self) -> Option<(usize, f32)> {
        None
    }

    fn first_id_at_least(&self, limit: usize) -> Option<(usize, u32)> {
        first_id_at_least(self, limit)
    }
}

/// An image of any size (`input: [None, None, C]`), padded at the bottom and right with zeros.
impl<const C: usize> InputSample for crate::tensor::Image<C> {
    type Elem = f32;
    const STEP_LEN: usize = C;

    fn steps(&self) -> Option<usize> {
        Some(self.height())
    }

    fn extent(&self) -> Option<[usize; 2]> {
        Some([self.height(), self.width()])
    }

    fn write_padded(&self, padded: [usize; 2], out: &mut [f32]) {
        self.write_padded_grid(padded, out);
    }

    fn first_non_finite(&self) -> Option<(usize, f32)> {
        first_non_finite(self.pixels().as_flattened())
    }
}

/// One string (`input: String[1]`), for a `StringLookup` or `Hashing` to turn into an index.
impl InputSample for String {
    type Elem = Text;
    const STEP_LEN: usize = 1;

    fn steps(&self) -> Option<usize> {
        None
    }

    fn write_padded(&self, _padded: [usize; 2], _out: &mut [Text]) {}

    fn first_non_finite(&self) -> Option<(usize, f32)> {
        None
    }

    fn text(&self) -> Option<Option<&str>> {
        Some(Some(self))
    }
}

/// A string that may be missing (`input: Option<String>[1]`): a lookup gives a missing value
/// the out-of-vocabulary index.
impl InputSample for Option<String> {
    type Elem = Text;
    const STEP_LEN: usize = 1;

    fn steps(&self) -> Option<usize> {
        None
    }

    fn write_padded(&self, _padded: [usize; 2], _out: &mut [Text]) {}

    fn first_non_finite(&self) -> Option<(usize, f32)> {
        None
    }

    fn text(&self) -> Option<Option<&str>> {
        Some(self.as_deref())
    }
}

/// A number that may be missing (`input: Option<f32>[1]`). A missing value travels as NaN to
/// the layer that reads it, `Normalization` (which fills it with the mean) or
/// `MissingIndicator`; the model accepts no other reader. A present value must be finite.
impl InputSample for Option<f32> {
    type Elem = f32;
    const STEP_LEN: usize = 1;

    fn steps(&self) -> Option<usize> {
        None
    }

    fn write_padded(&self, _padded: [usize; 2], out: &mut [f32]) {
        out[0] = self.unwrap_or(f32::NAN);
    }

    fn first_non_finite(&self) -> Option<(usize, f32)> {
        self.filter(|v| !v.is_finite()).map(|v| (0, v))
    }
}

/// The position and value of the first id not below `limit`.
fn first_id_at_least(ids: &[u32], limit: usize) -> Option<(usize, u32)> {
    ids.iter().position(|&id| id as usize >= limit).map(|at| (at, ids[at]))
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
        seq.write_padded([3, 1], &mut out);
        assert_eq!(out, [1.0, 2.0, 3.0, 4.0, 0.0, 0.0]);
        let ids = vec![5u32, 7];
        let mut out = [9; 4];
        ids.write_padded([4, 1], &mut out);
        assert_eq!(out, [5, 7, 0, 0]);
        // Ids stay exact above 2^24, where an f32 would round them.
        let mut one = [0];
        16_777_217u32.write_padded([1, 1], &mut one);
        assert_eq!(one, [16_777_217]);
        assert_eq!([3u32, 9].first_id_at_least(5), Some((1, 9)));
        assert_eq!([1.0f32, 2.0].steps(), None);
        assert_eq!(<[f32; 2]>::STEP_LEN, 2);
    }

    #[test]
    fn pads_an_image_at_the_bottom_and_right() {
        let img =
            crate::tensor::Image::<2>::new(2, 3, (0..6).map(|i| [i as f32, -(i as f32)]).collect()).unwrap();
        assert_eq!(img.extent(), Some([2, 3]));
        let mut out = [9.0; 3 * 4 * 2];
        img.write_padded([3, 4], &mut out);
        #[rustfmt::skip]
        assert_eq!(out, [
            0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.0, 0.0,
            3.0, -3.0, 4.0, -4.0, 5.0, -5.0, 0.0, 0.0,
            0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
        ]);
        assert_eq!(img.first_non_finite(), None);
        // Rows far below the image are zeros too.
        let mut tall = [9.0; 5 * 4 * 2];
        img.write_padded([5, 4], &mut tall);
        assert!(tall[16..].iter().all(|&v| v == 0.0));
    }
}
