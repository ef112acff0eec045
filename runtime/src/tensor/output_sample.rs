//! [`OutputSample`]: one prediction as `predict` returns it — a fixed-size array, or one array
//! per real step of a sequence.

use crate::tensor::Sample;

/// One sample of a model's output: a fixed-size array (`[f32; 10]`), or, for a model that
/// returns sequences (`[None, 10]`), one array per step of the input (`Vec<[f32; 10]>`, the
/// padding removed).
pub trait OutputSample: Sized {
    /// Values per step of a sequence output, or per sample when fixed-size.
    const STEP_LEN: usize;
    /// Whether the output is a sequence (one row per input step).
    const SEQUENCE: bool;

    /// The sample from its padded output values (`padded_steps · STEP_LEN` values for a
    /// sequence, a padded grid for an image), keeping its own `extent`.
    fn from_padded(values: &[f32], extent: OutputExtent) -> Self;
}

/// The real size of one sample of a padded output: its rows (a sequence's steps, an image's
/// height), and for an image its columns and the padded grid's columns. A fixed-size output
/// reads none of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputExtent {
    /// Real rows: a sequence's steps, an image's height.
    pub rows: usize,
    /// Real columns of an image (1 for a sequence).
    pub cols: usize,
    /// Columns of the padded grid the values are laid out in (1 for a sequence).
    pub padded_cols: usize,
}

impl OutputExtent {
    /// `steps` of a sequence.
    pub fn steps(steps: usize) -> OutputExtent {
        OutputExtent { rows: steps, cols: 1, padded_cols: 1 }
    }
}

impl Default for OutputExtent {
    fn default() -> Self {
        OutputExtent::steps(1)
    }
}

impl<T: Sample> OutputSample for T {
    const STEP_LEN: usize = T::LEN;
    const SEQUENCE: bool = false;

    fn from_padded(values: &[f32], _extent: OutputExtent) -> Self {
        T::from_flat(&values[..T::LEN])
    }
}

impl<const C: usize> OutputSample for Vec<[f32; C]> {
    const STEP_LEN: usize = C;
    const SEQUENCE: bool = true;

    fn from_padded(values: &[f32], extent: OutputExtent) -> Self {
        values.chunks_exact(C).take(extent.rows).map(<[f32; C]>::from_flat).collect()
    }
}

/// A per-pixel output of an image of any size (`[None, None, C]`): each image's own real
/// height and width, cut from the batch's padded grid.
impl<const C: usize> OutputSample for crate::tensor::Image<C> {
    const STEP_LEN: usize = C;
    const SEQUENCE: bool = true;

    fn from_padded(values: &[f32], extent: OutputExtent) -> Self {
        let OutputExtent { rows, cols, padded_cols } = extent;
        let pixels = (0..rows)
            .flat_map(|r| (0..cols).map(move |c| (r * padded_cols + c) * C))
            .map(|at| <[f32; C]>::from_flat(&values[at..at + C]))
            .collect();
        crate::tensor::Image::from_parts(rows, cols, pixels)
    }
}
