//! [`Compile`]: Keras's `compile` for a model with one output (an extension trait in the
//! prelude, so that the core model traits know nothing of training). A model with several
//! outputs gets a generated `compile` that takes one loss per output.

use crate::error::Result;
use crate::model::{Network, SampleTypes};
use crate::tensor::OutputSample;
use crate::train::loss::Loss;
use crate::train::metrics::Metric;
use crate::train::optim::IntoOptimizer;
use crate::train::Compiled;

/// `compile` for every model with one output (and any number of inputs); `use
/// shaped::prelude::*` brings it into scope.
pub trait Compile: Network + SampleTypes + Sized
where
    Self::Output: OutputSample,
{
    /// Keras's `compile`: pairs the model with an optimiser, a loss and metrics for training.
    ///
    /// Returns the compiled model, whose type carries the loss so that the labels handed to
    /// `fit` are checked against it at compile time; it dereferences to the model, so
    /// `predict` and `summary` stay available. `Err` for an optimiser configuration Keras
    /// rejects too (more than one clipping option, momentum outside [0, 1], ...) and for a
    /// NaN, infinite or out-of-range setting (a learning rate of NaN, `beta_1 = 1`, ...).
    ///
    /// `compile` takes the model and returns the one that trains: keep what it returns.
    ///
    /// ```
    /// use shaped::prelude::*;
    ///
    /// shaped::model! {
    ///     struct Digits {
    ///         input: [64],
    ///         Dense(10, activation = softmax),
    ///     }
    /// }
    ///
    /// let mut model = Digits::new(42).compile(Adam::default(), CategoricalCrossentropy::default(), [Accuracy])?;
    /// let x = vec![[0.5f32; 64]; 4];
    /// let y: Vec<[f32; 10]> = shaped::data::to_categorical(&[1, 2, 3, 4])?;
    /// let loss = model.train_on_batch(&x, &y)?;
    /// assert!(loss > 0.0);
    ///
    /// // An optimiser setting that would make every weight NaN is refused here.
    /// let bad = Adam { beta_1: 1.0, ..Default::default() };
    /// assert!(Digits::new(0).compile(bad, CategoricalCrossentropy::default(), []).is_err());
    /// # Ok::<(), shaped::Error>(())
    /// ```
    #[must_use = "`compile` takes the model and returns it ready to train; keep what it returns: `let mut model = Net::new(seed).compile(optimizer, loss, metrics)?;`"]
    fn compile<L: Loss>(
        self,
        optimizer: impl IntoOptimizer,
        loss: L,
        metrics: impl IntoIterator<Item = Metric>,
    ) -> Result<Compiled<Self, L>>;
}

impl<M> Compile for M
where
    M: Network + SampleTypes,
    M::Output: OutputSample,
{
    fn compile<L: Loss>(
        self,
        optimizer: impl IntoOptimizer,
        loss: L,
        metrics: impl IntoIterator<Item = Metric>,
    ) -> Result<Compiled<Self, L>> {
        Ok(Compiled::new(self, optimizer.into_optimizer()?, loss, metrics.into_iter().collect()))
    }
}
