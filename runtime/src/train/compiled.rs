//! [`Compiled`]: a model with its optimiser, loss and metrics — what Keras's `compile` makes —
//! and its `fit`, `evaluate` and `train_on_batch`.
//!
//! `compile` returns a new value whose type carries the loss, so the labels handed to `fit`
//! are checked against it and the model's output when the user's crate compiles
//! ([`Labels`]). Everything else of the model stays reachable: `Compiled` dereferences to it.
//!
//! Sequences (`Vec<[f32; F]>`, `Vec<u32>`) are padded per batch to the batch's longest, after
//! each sequence; the padding is masked, every layer honours the mask, and a loss on a sequence
//! output averages over real steps only (Keras: `w = mask · N_total / N_valid`).

use crate::error::Result;
use crate::model::{Network, SampleTypes};
use crate::tensor::OutputSample;
use crate::train::engine::Engine;
use crate::train::fit_options::FitOptions;
use crate::train::heads::{HeadRef, Heads, Multi};
use crate::train::history::History;
use crate::train::label_row::LabelRow;
use crate::train::labels::Labels;
use crate::train::loss::Loss;
use crate::train::metrics::Metric;
use crate::train::optim::Optimizer;
use crate::train::Logs;
use std::ops::{Deref, DerefMut};

/// A model ready to train: `model.compile(optimizer, loss, metrics)` for a model with one
/// output (`L` its loss), or the generated `compile(optimizer, losses)` of a model with several
/// (`L` = [`Multi`] of its losses struct).
#[must_use = "this is the model that trains: keep it, `let mut model = Net::new(seed).compile(optimizer, loss, metrics)?;`, then `model.fit(..)`"]
pub struct Compiled<M, L> {
    model: M,
    loss: L,
    metrics: Vec<Metric>,
    engine: Engine,
}

impl<M, L> Deref for Compiled<M, L> {
    type Target = M;
    fn deref(&self) -> &M {
        &self.model
    }
}

impl<M, L> DerefMut for Compiled<M, L> {
    fn deref_mut(&mut self) -> &mut M {
        &mut self.model
    }
}

impl<M, L> Compiled<M, L> {
    /// The model.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The model, giving up the optimiser state.
    pub fn into_model(self) -> M {
        self.model
    }

    /// The optimiser (its learning rate and iteration count).
    pub fn optimizer(&self) -> &dyn Optimizer {
        &*self.engine.optimizer
    }

    /// The optimiser, to change its learning rate between two `fit` calls
    /// (`set_learning_rate`, checked like the optimiser's config).
    pub fn optimizer_mut(&mut self) -> &mut dyn Optimizer {
        &mut *self.engine.optimizer
    }

    /// The loss (for a model with several outputs, [`Multi`] of the losses struct).
    pub fn loss(&self) -> &L {
        &self.loss
    }

    /// For sequence inputs: the fraction of the time steps fed to the model during the last
    /// `fit` that were padding (`None` before any sequence batch).
    pub fn padded_fraction(&self) -> Option<f64> {
        let (padded, total) = self.engine.padding;
        (total > 0).then(|| padded as f64 / total as f64)
    }
}

impl<M: Network, L> Compiled<M, L> {
    /// Saves the model as [`crate::io::ModelFiles::save_model`] does (configuration, weights,
    /// layer state) and the optimizer's state with it: its name, iteration count, constant
    /// learning rate and every slot (Adam's `momentum` and `velocity` of each weight), so that
    /// [`Compiled::load`] resumes training exactly. Atomic: a failed save keeps the previous
    /// file.
    ///
    /// Resuming is bit-identical: `fit` for 5 epochs, `save`, then a fresh model compiled with
    /// the same optimizer, `load` and `fit` with `initial_epoch: 5, epochs: 10` (same `seed`)
    /// gives the weights of one `fit` of 10 epochs, since each epoch's shuffle depends on
    /// `(seed, epoch)` alone and `Dropout`'s generator is saved. A custom optimizer without
    /// [`Optimizer::state`] restarts its state instead.
    ///
    /// ```
    /// use shaped::prelude::*;
    ///
    /// shaped::model! {
    ///     struct Net {
    ///         input: [2],
    ///         Dense(4, activation = relu),
    ///         Dropout(0.25),
    ///         Dense(1),
    ///     }
    /// }
    ///
    /// let dir = std::env::temp_dir().join(format!("shaped-doc-resume-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).map_err(|e| shaped::Error::io(&dir, e))?;
    /// let path = dir.join("checkpoint.safetensors");
    /// let x: Vec<[f32; 2]> = (0..16).map(|i| [i as f32 / 16.0, 1.0]).collect();
    /// let y: Vec<[f32; 1]> = (0..16).map(|i| [i as f32 / 8.0]).collect();
    /// let options = |from, to| FitOptions { initial_epoch: from, epochs: to, batch_size: 4, verbose: Verbose::Silent, ..Default::default() };
    ///
    /// let mut straight = Net::new(0).compile(Adam::default(), MeanSquaredError, [])?;
    /// straight.fit(&x, &y, options(0, 4))?;
    ///
    /// let mut first = Net::new(0).compile(Adam::default(), MeanSquaredError, [])?;
    /// first.fit(&x, &y, options(0, 2))?;
    /// first.save(&path)?;
    /// let mut resumed = Net::new(7).compile(Adam::default(), MeanSquaredError, [])?;
    /// resumed.load(&path)?;
    /// resumed.fit(&x, &y, options(2, 4))?;
    ///
    /// let (mut a, mut b) = (Vec::new(), Vec::new());
    /// straight.visit_weights(&mut |p| a.extend(p.data.iter().map(|v| v.to_bits())));
    /// resumed.visit_weights(&mut |p| b.extend(p.data.iter().map(|v| v.to_bits())));
    /// assert_eq!(a, b);
    /// # std::fs::remove_dir_all(&dir).map_err(|e| shaped::Error::io(&dir, e))?;
    /// # Ok::<(), shaped::Error>(())
    /// ```
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let optimizer = &*self.engine.optimizer;
        let saved = crate::io::model_file::SavedOptimizer {
            name: optimizer.name(),
            iterations: optimizer.iterations(),
            state: optimizer.state(),
        };
        crate::io::model_file::save(&self.model, Some(saved), path.as_ref())
    }

    /// Loads a file written by [`Compiled::save`]: the model as
    /// [`crate::io::ModelFiles::load_model`] loads it, and the optimizer's state. All-or-nothing;
    /// `Err` ([`crate::Error::Architecture`]) when the file was saved from another architecture
    /// or with another optimizer (by name), and `Err` when it holds no optimizer state (a file
    /// of `save_model`).
    pub fn load(&mut self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let optimizer = &mut *self.engine.optimizer;
        let name = optimizer.name();
        let mut load_state = |state| optimizer.load_state(state);
        let loaded = crate::io::model_file::LoadedOptimizer { name, load_state: &mut load_state };
        crate::io::model_file::load(&mut self.model, Some(loaded), path.as_ref())
    }
}

impl<M, L> Compiled<M, L>
where
    M: Network + SampleTypes,
    M::Output: OutputSample,
    L: Loss,
{
    /// Compiles `model` (see [`crate::train::Compile::compile`]).
    pub fn new(model: M, optimizer: Box<dyn Optimizer>, loss: L, metrics: Vec<Metric>) -> Self {
        Compiled { model, loss, metrics, engine: Engine::new(optimizer) }
    }

    /// One gradient step on this batch (no shuffling), Keras's `train_on_batch`; returns the
    /// batch's loss.
    ///
    /// `Err`, before anything changes, for the data mistakes `fit` reports (empty data
    /// included); `Err` [`crate::Error::NonFinite`] when the loss or an updated weight is NaN or
    /// infinite, with the step undone (see `fit`).
    pub fn train_on_batch<Y>(&mut self, x: &[M::Input], y: &[Y]) -> Result<f32>
    where
        Y: Labels<L, M::Output>,
    {
        let Compiled { model, loss, metrics, engine } = self;
        let heads = [HeadRef { loss, weight: 1.0, metrics }];
        engine.train_on_batch::<M, M::Input, Y, L, M::Output>(model, &heads, x, y)
    }

    /// Trains for `options.epochs` epochs and returns the per-epoch history (`loss`, metrics,
    /// `val_*`), Keras's `fit`.
    ///
    /// Every argument and every sample of the training and validation data is checked before
    /// the first step, so a mistake never leaves a half-trained model. `Err` naming the values
    /// and their place in your data (`x[35]`, `validation_data.1[2]`) when: the data is empty;
    /// `x` and `y` differ in length; a sequence and its per-step labels differ in length; an
    /// input or label value is NaN or infinite; a token id is not below the `Embedding`'s
    /// `input_dim`; a class id is not below the number of outputs; `batch_size` or
    /// `validation_batch_size` is 0; `validation_split` is outside [0, 1) or leaves no sample on
    /// one side; a sample or class weight is negative or not finite.
    ///
    /// Training itself stops with [`crate::Error::NonFinite`] when a batch's loss is NaN or infinite
    /// (that step is not applied) or a step leaves a NaN or infinite weight (that step is
    /// undone, and the optimizer's state restarts, as after a new `compile`): the model keeps
    /// the weights of its last finite step. Keras trains on with NaN weights.
    ///
    /// ```
    /// use shaped::prelude::*;
    ///
    /// shaped::model! {
    ///     struct Net {
    ///         input: [4],
    ///         Dense(8, activation = relu),
    ///         Dense(2, activation = softmax),
    ///     }
    /// }
    ///
    /// let x: Vec<[f32; 4]> = (0..64).map(|i| [i as f32 / 64.0, 0.5, 1.0, 0.0]).collect();
    /// let y: Vec<u32> = (0..64).map(|i| u32::from(i >= 32)).collect();
    /// let mut model = Net::new(0).compile(Adam::default(), SparseCategoricalCrossentropy::default(), [Accuracy])?;
    /// let history = model.fit(&x, &y, FitOptions {
    ///     epochs: 5,
    ///     batch_size: 16,
    ///     validation_split: 0.25, // the last 16 samples, taken before shuffling
    ///     verbose: Verbose::Silent,
    ///     ..Default::default()
    /// })?;
    /// assert_eq!(history.get("val_loss").map(|l| l.len()), Some(5));
    ///
    /// // A mistake in the data is found before the first step, with its place in `y`.
    /// let err = model.fit(&x, &vec![7; 64], FitOptions::default()).unwrap_err();
    /// assert!(err.to_string().contains("y[0] holds class id 7"));
    /// # Ok::<(), shaped::Error>(())
    /// ```
    pub fn fit<Y>(
        &mut self,
        x: &[M::Input],
        y: &[Y],
        fit_options: FitOptions<'_, M::Input, Y>,
    ) -> Result<History>
    where
        Y: Labels<L, M::Output>,
    {
        let Compiled { model, loss, metrics, engine } = self;
        let heads = [HeadRef { loss, weight: 1.0, metrics }];
        engine.fit::<M, M::Input, Y, L, M::Output>(model, &heads, x, y, fit_options)
    }

    /// Loss and metrics over `x` and `y` in batches of 32, Keras's `evaluate` with
    /// `return_dict=True`. The data is checked as `fit` checks it; the weights do not change.
    ///
    /// ```
    /// use shaped::prelude::*;
    ///
    /// shaped::model! {
    ///     struct Net {
    ///         input: [2],
    ///         Dense(3, activation = softmax),
    ///     }
    /// }
    ///
    /// let x = vec![[0.5, -1.0], [1.0, 0.0], [0.0, 2.0]];
    /// let y: Vec<[f32; 3]> = shaped::data::to_categorical(&[0, 1, 2])?;
    /// let mut model = Net::new(0).compile(Sgd::default(), CategoricalCrossentropy::default(), [Accuracy])?;
    /// let scores = model.evaluate(&x, &y)?;
    /// assert!(scores.get("loss").is_some_and(|l| l > 0.0));
    /// assert!(scores.get("accuracy").is_some_and(|a| (0.0..=1.0).contains(&a)));
    /// # Ok::<(), shaped::Error>(())
    /// ```
    pub fn evaluate<Y>(&mut self, x: &[M::Input], y: &[Y]) -> Result<Logs>
    where
        Y: Labels<L, M::Output>,
    {
        let Compiled { model, loss, metrics, engine } = self;
        let heads = [HeadRef { loss, weight: 1.0, metrics }];
        engine.evaluate::<M, M::Input, Y, L, M::Output>(model, &heads, x, y)
    }
}

/// A model with several outputs, compiled with one loss per output (its generated `compile`):
/// `fit`, `evaluate` and `train_on_batch` take the generated labels struct, one field per
/// output, each checked against its output's loss at compile time. The total loss is
/// `Σ_j weight_j · loss_j`; the logs hold it as `loss`, each output's as `<output>_loss` and
/// each metric as `<output>_<metric>`, as Keras logs them. One `sample_weight` per sample
/// weighs every output's loss; `class_weight` is for models with one output (as in Keras).
impl<M, H> Compiled<M, Multi<H>>
where
    M: Network + SampleTypes,
    H: Heads,
{
    /// Compiles `model` with `losses`, one per output (what the generated `compile` calls).
    pub fn with_losses(model: M, optimizer: Box<dyn Optimizer>, losses: H) -> Self {
        Compiled { model, loss: Multi(losses), metrics: Vec::new(), engine: Engine::new(optimizer) }
    }

    /// One gradient step on this batch (see the one-output `train_on_batch`); returns the
    /// total loss.
    pub fn train_on_batch<Y>(&mut self, x: &[M::Input], y: &[Y]) -> Result<f32>
    where
        Y: LabelRow<H, M::Output>,
    {
        let Compiled { model, loss, engine, .. } = self;
        with_heads(&loss.0, |heads| engine.train_on_batch::<M, M::Input, Y, H, M::Output>(model, heads, x, y))
    }

    /// Keras's `fit` (see the one-output `fit` for what is checked and when training stops).
    pub fn fit<Y>(
        &mut self,
        x: &[M::Input],
        y: &[Y],
        fit_options: FitOptions<'_, M::Input, Y>,
    ) -> Result<History>
    where
        Y: LabelRow<H, M::Output>,
    {
        let Compiled { model, loss, engine, .. } = self;
        with_heads(&loss.0, |heads| {
            engine.fit::<M, M::Input, Y, H, M::Output>(model, heads, x, y, fit_options)
        })
    }

    /// Keras's `evaluate` with `return_dict=True`: `loss`, each `<output>_loss` and each
    /// `<output>_<metric>`.
    pub fn evaluate<Y>(&mut self, x: &[M::Input], y: &[Y]) -> Result<Logs>
    where
        Y: LabelRow<H, M::Output>,
    {
        let Compiled { model, loss, engine, .. } = self;
        with_heads(&loss.0, |heads| engine.evaluate::<M, M::Input, Y, H, M::Output>(model, heads, x, y))
    }
}

/// Calls `f` with every output's loss, weight and metrics, laid out on the stack.
fn with_heads<H: Heads, R>(losses: &H, f: impl FnOnce(&[HeadRef<'_>]) -> R) -> R {
    let count = H::COUNT.min(crate::model::MAX_OUTPUTS);
    let heads: [HeadRef<'_>; crate::model::MAX_OUTPUTS] =
        std::array::from_fn(|j| losses.head(j.min(count.saturating_sub(1))));
    f(&heads[..count])
}
