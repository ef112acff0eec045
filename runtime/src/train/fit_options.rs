//! [`FitOptions`]: Keras's `fit` arguments, with Keras's defaults.

use crate::train::progress::Verbose;
use crate::train::Callback;
use std::collections::HashMap;
use std::io::Write;

/// The arguments of `fit`, as Keras names them. Write the ones you change and
/// `..Default::default()` for the rest:
///
/// ```text
/// FitOptions { epochs: 20, batch_size: 32, validation_split: 0.1, ..Default::default() }
/// ```
pub struct FitOptions<'a, X, Y> {
    /// Passes over the training data. Default 1.
    pub epochs: usize,
    /// Samples per gradient step; the last batch of an epoch may be smaller. Default 32.
    pub batch_size: usize,
    /// Fraction of the data held out for validation: the **last** samples, taken before any
    /// shuffling (Keras). Default 0.
    pub validation_split: f32,
    /// Validation data given explicitly; it takes precedence over `validation_split`.
    pub validation_data: Option<(&'a [X], &'a [Y])>,
    /// Reshuffle the training samples before every epoch. Default true.
    pub shuffle: bool,
    /// Seed of the shuffling: the same seed and data give bit-identical training. Default 0.
    ///
    /// Epoch `e` is shuffled by a generator drawn from `(seed, e)` alone, starting from the
    /// data's order: it does not depend on the epochs run before it in this call, so `fit` to
    /// epoch 5, `Compiled::save`, `Compiled::load` and `fit` from `initial_epoch: 5` give the
    /// same batches, and the same weights bit for bit, as one `fit` of all the epochs.
    pub seed: u64,
    /// One weight per training sample, multiplying its loss. Default none.
    pub sample_weight: Option<&'a [f32]>,
    /// A weight per class id, multiplying the loss of samples of that class (classes not
    /// listed weigh 1). Default none.
    pub class_weight: Option<&'a HashMap<u32, f32>>,
    /// The epoch to start from (for resuming: `epochs` stays the last epoch, not a count from
    /// here). Epochs before it do not run, and do not change the shuffles of later ones.
    /// Default 0.
    pub initial_epoch: usize,
    /// Batch size for validation; default: `batch_size`.
    pub validation_batch_size: Option<usize>,
    /// For sequences: group samples of similar length into the same batch (sorted by length,
    /// cut into batches, the batches' order shuffled every epoch with `seed`), so each batch
    /// pads less. Off by default, as in Keras; `Compiled::padded_fraction` reports the effect.
    pub bucket_by_length: bool,
    /// Progress output: a Keras-style bar on a terminal, one line per epoch otherwise.
    pub verbose: Verbose,
    /// Where the progress and the callbacks' messages go; default stdout (a terminal gets
    /// colours). `Some(Box::new(std::io::sink()))` with `verbose: Verbose::Silent` prints
    /// nothing at all.
    pub output: Option<Box<dyn Write + 'a>>,
    /// Callbacks, called in order.
    pub callbacks: Vec<Box<dyn Callback + 'a>>,
}

impl<X, Y> Default for FitOptions<'_, X, Y> {
    fn default() -> Self {
        FitOptions {
            epochs: 1,
            batch_size: 32,
            validation_split: 0.0,
            validation_data: None,
            shuffle: true,
            seed: 0,
            sample_weight: None,
            class_weight: None,
            initial_epoch: 0,
            validation_batch_size: None,
            bucket_by_length: false,
            verbose: Verbose::Auto,
            output: None,
            callbacks: Vec::new(),
        }
    }
}
