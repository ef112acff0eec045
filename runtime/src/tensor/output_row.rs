//! [`OutputRow`]: one prediction of every output of a model — a single output's sample, or
//! the struct `model!` generates for a model with several outputs.

use crate::tensor::{OutputExtent, OutputSample};

/// One sample of a model's outputs, as `predict` returns it: any [`OutputSample`] for a model
/// with one output, or the generated output struct of a model with several
/// (`RecommenderOutput { rating: [f32; 1], click: [f32; 1] }`), whose field `j` is output `j`.
pub trait OutputRow: Sized {
    /// The number of outputs.
    const COUNT: usize;

    /// Output `j`'s values per step of a sequence (or per sample), and whether it is a
    /// sequence (one row per step).
    fn layout(j: usize) -> (usize, bool);

    /// The sample from each output's values for it (`outputs[j]`, padded to the batch's steps
    /// for a sequence output, to its grid for an image), keeping its own extent (`extents[j]`)
    /// of each padded output.
    fn from_outputs(outputs: &[&[f32]], extents: &[OutputExtent]) -> Self;
}

impl<Y: OutputSample> OutputRow for Y {
    const COUNT: usize = 1;

    fn layout(_j: usize) -> (usize, bool) {
        (Y::STEP_LEN, Y::SEQUENCE)
    }

    fn from_outputs(outputs: &[&[f32]], extents: &[OutputExtent]) -> Self {
        Y::from_padded(outputs[0], extents[0])
    }
}
