//! [`LabelRow`]: one sample's labels for every output of a model — a single output's label
//! ([`Labels`]), or the struct `model!` generates for a model with several outputs.

use crate::train::labels::Labels;

/// One sample's labels for a model trained with the losses `H` (one loss, or the losses struct
/// of a model with several outputs) whose output sample is `O`: the label of output `j` is
/// field `j`.
///
/// Every [`Labels`] type is a row of one label; `model!` implements it for the labels struct
/// of a model with several outputs (`RecommenderLabels { rating: [f32; 1], click: u32 }`),
/// checking each field against its output's loss at compile time.
pub trait LabelRow<H, O> {
    /// The number of labelled outputs.
    const COUNT: usize;

    /// Whether output `j`'s labels are class ids rather than values like the output.
    fn sparse(j: usize) -> bool;

    /// The steps of output `j`'s per-step labels, `None` for one label per sample.
    fn steps(&self, j: usize) -> Option<usize>;

    /// Writes output `j`'s label padded to `steps` steps: values into `dense` or class ids
    /// into `ids` (see [`Labels::write`]).
    fn write(&self, j: usize, steps: usize, dense: &mut [f32], ids: &mut [u32]);

    /// The position and value of the first NaN or ±∞ among output `j`'s label values.
    fn first_non_finite(&self, j: usize) -> Option<(usize, f32)>;

    /// The position and value of the first class id of output `j` not below `classes`.
    fn first_id_at_least(&self, j: usize, classes: usize) -> Option<(usize, u32)>;
}

impl<L, O, Y: Labels<L, O>> LabelRow<L, O> for Y {
    const COUNT: usize = 1;

    fn sparse(_j: usize) -> bool {
        Y::SPARSE
    }

    fn steps(&self, _j: usize) -> Option<usize> {
        Labels::steps(self)
    }

    fn write(&self, _j: usize, steps: usize, dense: &mut [f32], ids: &mut [u32]) {
        Labels::write(self, steps, dense, ids)
    }

    fn first_non_finite(&self, _j: usize) -> Option<(usize, f32)> {
        Labels::first_non_finite(self)
    }

    fn first_id_at_least(&self, _j: usize, classes: usize) -> Option<(usize, u32)> {
        Labels::first_id_at_least(self, classes)
    }
}
