//! [`Targets`]: a batch of labels as the losses and metrics read them.

/// The labels of one batch, flat.
#[derive(Clone, Copy, Debug)]
pub enum Targets<'a> {
    /// Labels shaped like the model's output (one-hot classes, regression targets), row-major,
    /// `batch · row_len` values.
    Dense(&'a [f32]),
    /// One class id per row of the output (`batch · rows_per_sample` ids), for the sparse loss.
    Sparse(&'a [u32]),
}

impl Targets<'_> {
    /// Whether these are class ids.
    pub fn is_sparse(&self) -> bool {
        matches!(self, Targets::Sparse(_))
    }
}
