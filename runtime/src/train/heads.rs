//! What a model with several outputs is compiled with: one [`OutputLoss`] per output (its loss,
//! loss weight and metrics, Keras's `compile(loss={..}, loss_weights={..}, metrics={..})`),
//! gathered in the struct `model!` generates, which implements [`Heads`].

use crate::train::loss::Loss;
use crate::train::metrics::Metric;

/// One output's loss, its weight in the total loss, and its metrics.
///
/// The total loss that training minimises is `Σ_j weight_j · loss_j` (Keras's `loss_weights`);
/// the logs show it as `loss`, and each output's own unweighted loss as `<output>_loss`, each
/// metric as `<output>_<metric>`.
#[derive(Clone, Debug)]
pub struct OutputLoss<L> {
    /// The loss.
    pub loss: L,
    /// Its weight in the total loss. Default 1.
    pub weight: f32,
    /// The output's metrics. Default none.
    pub metrics: Vec<Metric>,
}

impl<L> OutputLoss<L> {
    /// `loss` with weight 1 and no metrics.
    pub fn new(loss: L) -> Self {
        OutputLoss { loss, weight: 1.0, metrics: Vec::new() }
    }

    /// The same with weight `weight` in the total loss.
    pub fn weighted(self, weight: f32) -> Self {
        OutputLoss { weight, ..self }
    }

    /// The same with `metrics`.
    pub fn with_metrics(self, metrics: impl IntoIterator<Item = Metric>) -> Self {
        OutputLoss { metrics: metrics.into_iter().collect(), ..self }
    }
}

/// One output's loss, weight and metrics, seen without the loss's type.
#[derive(Clone, Copy)]
pub struct HeadRef<'a> {
    /// The loss.
    pub loss: &'a dyn Loss,
    /// Its weight in the total loss.
    pub weight: f32,
    /// The output's metrics.
    pub metrics: &'a [Metric],
}

impl<'a, L: Loss> From<&'a OutputLoss<L>> for HeadRef<'a> {
    fn from(output: &'a OutputLoss<L>) -> Self {
        HeadRef { loss: &output.loss, weight: output.weight, metrics: &output.metrics }
    }
}

/// The losses of every output of a model with several outputs: the struct `model!` generates,
/// `RecommenderLosses { rating: OutputLoss<..>, click: OutputLoss<..> }`, whose field `j` is
/// output `j`'s.
pub trait Heads {
    /// The number of outputs.
    const COUNT: usize;

    /// Output `j`'s loss, weight and metrics (`j < COUNT`).
    fn head(&self, j: usize) -> HeadRef<'_>;
}

/// A model compiled with one loss per output: [`crate::train::Compiled`]`<M, Multi<H>>`, whose
/// `fit`, `evaluate` and `train_on_batch` take one label per output per sample.
#[derive(Clone, Debug)]
pub struct Multi<H>(pub H);
