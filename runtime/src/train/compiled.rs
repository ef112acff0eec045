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

use crate::buffer::grow;
use crate::data::SplitMix64;
use crate::error::{Error, Result};
use crate::layers::Mode;
use crate::model::{Model, SampleTypes};
use crate::shape::{Dims, Shape};
use crate::tensor::{InputSample, OutputSample};
use crate::train::context::FitContext;
use crate::train::data_checks::{check_class_weight, check_data, TRAINING, VALIDATION};
use crate::train::fit_options::FitOptions;
use crate::train::history::History;
use crate::train::labels::Labels;
use crate::train::loss::Loss;
use crate::train::metrics::{Metric, MetricState};
use crate::train::optim::Optimizer;
use crate::train::progress::Progress;
use crate::train::step_guard::StepGuard;
use crate::train::{Logs, Targets};
use std::collections::HashMap;
use std::ops::{Deref, DerefMut};

/// A model ready to train: `model.compile(optimizer, loss, metrics)`.
#[must_use = "this is the model that trains: keep it, `let mut model = Net::new(seed).compile(optimizer, loss, metrics)?;`, then `model.fit(..)`"]
pub struct Compiled<M, L> {
    model: M,
    loss: L,
    optimizer: Box<dyn Optimizer>,
    metrics: Vec<Metric>,
    buffers: Buffers,
    padding: (u64, u64),
}

/// Per-batch buffers, sized by the largest batch seen and reused: a training step allocates
/// nothing once a batch size (and sequence length) has been seen.
#[derive(Default)]
struct Buffers {
    order: Vec<usize>,
    x: Vec<f32>,
    mask: Vec<f32>,
    dense: Vec<f32>,
    ids: Vec<u32>,
    weights: Vec<f32>,
    out_mask: Vec<f32>,
    states: Vec<MetricState>,
    guard: StepGuard,
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

/// Sample and class weights of a whole dataset, as the user gave them.
#[derive(Clone, Copy, Default)]
struct Weighting<'a> {
    sample: Option<&'a [f32]>,
    class: Option<&'a HashMap<u32, f32>>,
}

impl<M: Model + SampleTypes, L: Loss> Compiled<M, L> {
    /// Compiles `model` (see [`Model::compile`]).
    pub fn new(model: M, optimizer: Box<dyn Optimizer>, loss: L, metrics: Vec<Metric>) -> Self {
        Compiled { model, loss, optimizer, metrics, buffers: Buffers::default(), padding: (0, 0) }
    }

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
        &*self.optimizer
    }

    /// The optimiser, to change its learning rate between two `fit` calls
    /// (`set_learning_rate`, checked like the optimiser's config).
    pub fn optimizer_mut(&mut self) -> &mut dyn Optimizer {
        &mut *self.optimizer
    }

    /// The loss.
    pub fn loss(&self) -> &L {
        &self.loss
    }

    /// For sequence inputs: the fraction of the time steps fed to the model during the last
    /// `fit` that were padding (`None` before any sequence batch).
    pub fn padded_fraction(&self) -> Option<f64> {
        let (padded, total) = self.padding;
        (total > 0).then(|| padded as f64 / total as f64)
    }

    /// One gradient step on this batch (no shuffling), Keras's `train_on_batch`; returns the
    /// batch's loss.
    ///
    /// `Err`, before anything changes, for the data mistakes `fit` reports (empty data
    /// included); `Err` [`Error::NonFinite`] when the loss or an updated weight is NaN or
    /// infinite, with the step undone (see `fit`).
    pub fn train_on_batch<Y>(&mut self, x: &[M::Input], y: &[Y]) -> Result<f32>
    where
        Y: Labels<L, M::Output>,
    {
        check_data::<M, L, Y>(x, y, None, TRAINING)?;
        self.reset_metrics(Y::SPARSE);
        let mut order = std::mem::take(&mut self.buffers.order);
        order.clear();
        order.extend(0..x.len());
        let result = self.batch_step(x, y, &order, Weighting::default(), Some(Step::Single));
        self.buffers.order = order;
        result
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
    /// Training itself stops with [`Error::NonFinite`] when a batch's loss is NaN or infinite
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
        mut options: FitOptions<'_, M::Input, Y>,
    ) -> Result<History>
    where
        Y: Labels<L, M::Output>,
    {
        if options.batch_size == 0 {
            return Err(Error::InvalidArgument {
                name: "batch_size",
                detail: "must be at least 1, but is 0".into(),
            });
        }
        if options.validation_batch_size == Some(0) {
            return Err(Error::InvalidArgument {
                name: "validation_batch_size",
                detail: "must be at least 1, but is 0 (leave it `None` to use `batch_size`)".into(),
            });
        }
        if !(0.0..1.0).contains(&options.validation_split) {
            return Err(Error::InvalidArgument {
                name: "validation_split",
                detail: format!("must be at least 0 and below 1, but is {}", options.validation_split),
            });
        }
        check_data::<M, L, Y>(x, y, options.sample_weight, TRAINING)?;
        if let Some(class_weight) = options.class_weight {
            check_class_weight(class_weight)?;
        }

        // Keras: the validation split is the tail, taken before shuffling.
        let (n_train, validation) = match options.validation_data {
            Some((vx, vy)) => {
                check_data::<M, L, Y>(vx, vy, None, VALIDATION)?;
                (x.len(), Some((vx, vy)))
            }
            None if options.validation_split > 0.0 => {
                let n_train = (x.len() as f64 * (1.0 - options.validation_split as f64)).floor() as usize;
                if n_train == 0 || n_train == x.len() {
                    return Err(Error::InvalidArgument {
                        name: "validation_split",
                        detail: format!(
                            "{} of {} samples leaves {} for training and {} for validation; both need at least one",
                            options.validation_split,
                            x.len(),
                            n_train,
                            x.len() - n_train
                        ),
                    });
                }
                (n_train, Some((&x[n_train..], &y[n_train..])))
            }
            None => (x.len(), None),
        };
        let weighting = Weighting { sample: options.sample_weight, class: options.class_weight };
        let val_batch = options.validation_batch_size.unwrap_or(options.batch_size);

        let mut history = History::new();
        let mut progress = match options.output.take() {
            Some(out) => Progress::with_writer(options.verbose, options.epochs, out),
            None => Progress::new(options.verbose, options.epochs),
        };
        let mut order: Vec<usize> = (0..n_train).collect();
        let mut rng = SplitMix64::new(options.seed);
        let steps = n_train.div_ceil(options.batch_size);
        let bucketed = options.bucket_by_length && x.first().and_then(InputSample::steps).is_some();
        let mut batch_order: Vec<usize> = (0..steps).collect();
        if bucketed {
            order.sort_by_key(|&i| x[i].steps().unwrap_or(0));
        }
        self.padding = (0, 0);
        let mut stop = false;
        self.with_context(&mut stop, &mut progress, |ctx| {
            options.callbacks.iter_mut().try_for_each(|c| c.on_train_begin(ctx))
        })?;

        for epoch in options.initial_epoch..options.epochs {
            if stop {
                break;
            }
            self.with_context(&mut stop, &mut progress, |ctx| {
                options.callbacks.iter_mut().try_for_each(|c| c.on_epoch_begin(epoch, ctx))
            })?;
            if bucketed {
                // Batches of similar lengths; their order changes every epoch.
                rng.shuffle(&mut batch_order);
            } else if options.shuffle {
                rng.shuffle(&mut order);
            }
            progress.epoch_begin(epoch, steps);
            self.reset_metrics(Y::SPARSE);
            let (mut loss_sum, mut seen) = (0.0f64, 0usize);
            let mut running = Logs::new();
            for (b, &chunk) in batch_order.iter().enumerate() {
                let batch =
                    &order[chunk * options.batch_size..((chunk + 1) * options.batch_size).min(n_train)];
                let loss = self.batch_step(x, y, batch, weighting, Some(Step::Fit { epoch, batch: b }))?;
                loss_sum += loss as f64 * batch.len() as f64;
                seen += batch.len();
                running.set("loss", loss_sum / seen as f64);
                for state in &self.buffers.states {
                    running.set(state.name(), state.result());
                }
                progress.batch_end(b + 1, &running);
                self.with_context(&mut stop, &mut progress, |ctx| {
                    options.callbacks.iter_mut().try_for_each(|c| c.on_batch_end(b, loss as f64, ctx))
                })?;
            }
            let mut logs = running;
            if let Some((vx, vy)) = validation {
                let val = self.evaluate_batched(vx, vy, val_batch)?;
                for (name, value) in val.iter() {
                    logs.set(&format!("val_{name}"), value);
                }
            }
            progress.epoch_end(&logs);
            history.push(epoch, &logs);
            self.with_context(&mut stop, &mut progress, |ctx| {
                options.callbacks.iter_mut().try_for_each(|c| c.on_epoch_end(epoch, &logs, ctx))
            })?;
        }
        self.with_context(&mut stop, &mut progress, |ctx| {
            options.callbacks.iter_mut().try_for_each(|c| c.on_train_end(ctx))
        })?;
        Ok(history)
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
        check_data::<M, L, Y>(x, y, None, TRAINING)?;
        self.evaluate_batched(x, y, crate::model::DEFAULT_BATCH_SIZE)
    }

    fn evaluate_batched<Y>(&mut self, x: &[M::Input], y: &[Y], batch_size: usize) -> Result<Logs>
    where
        Y: Labels<L, M::Output>,
    {
        if x.is_empty() {
            return Err(Error::InvalidArgument { name: "x", detail: "the evaluation data is empty".into() });
        }
        self.reset_metrics(Y::SPARSE);
        let padding = self.padding;
        let (mut loss_sum, mut seen) = (0.0f64, 0usize);
        let mut order = std::mem::take(&mut self.buffers.order);
        let mut result = Ok(());
        for start in (0..x.len()).step_by(batch_size) {
            let end = (start + batch_size).min(x.len());
            order.clear();
            order.extend(start..end);
            match self.batch_step(x, y, &order, Weighting::default(), None) {
                Ok(value) => {
                    loss_sum += value as f64 * (end - start) as f64;
                    seen += end - start;
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        self.buffers.order = order;
        self.padding = padding;
        result?;
        let mut logs = Logs::new();
        logs.set("loss", loss_sum / seen as f64);
        for state in &self.buffers.states {
            logs.set(state.name(), state.result());
        }
        Ok(logs)
    }

    /// One batch: the samples `idx` of `x` and `y` padded into contiguous buffers, forward,
    /// loss, metrics, and — when `step` says this is a training step — backward and the
    /// optimiser update, undone if it leaves a non-finite weight. Allocates nothing once the
    /// buffers are large enough.
    fn batch_step<Y>(
        &mut self,
        x: &[M::Input],
        y: &[Y],
        idx: &[usize],
        weighting: Weighting<'_>,
        step: Option<Step>,
    ) -> Result<f32>
    where
        Y: Labels<L, M::Output>,
    {
        let Compiled { model, loss, optimizer, buffers, padding, .. } = self;
        let batch = idx.len();
        let train = step.is_some();

        // Inputs, padded to the batch's longest sequence, and the data's mask.
        let steps = idx.iter().filter_map(|&i| x[i].steps()).max().map(|t| t.max(1));
        let per_sample = M::Input::STEP_LEN * steps.unwrap_or(1);
        grow(&mut buffers.x, batch * per_sample);
        for (slot, &i) in buffers.x.chunks_exact_mut(per_sample).zip(idx) {
            x[i].write_padded(steps.unwrap_or(1), slot);
        }
        let mut dims = Dims::from_static(M::In::DIMS);
        let mask = match steps {
            Some(t) => {
                dims = dims.with_first(t);
                grow(&mut buffers.mask, batch * t);
                let mut real = 0u64;
                for (row, &i) in buffers.mask.chunks_exact_mut(t).zip(idx) {
                    let len = x[i].steps().unwrap_or(t).min(t);
                    row[..len].fill(1.0);
                    row[len..].fill(0.0);
                    real += len as u64;
                }
                if train {
                    padding.0 += (batch * t) as u64 - real;
                    padding.1 += (batch * t) as u64;
                }
                Some(&buffers.mask[..batch * t])
            }
            None => None,
        };
        let mode = if train { Mode::Training } else { Mode::Inference };
        let xb = &buffers.x[..batch * per_sample];
        let (_, out_dims) = model.run_masked(xb, dims, batch, mask, mode)?;

        // Labels, laid out like the output: one row per step of a sequence output.
        let row_len = out_dims.last().max(1);
        let rows = out_dims.numel() / row_len;
        let label_steps = if M::Output::SEQUENCE { rows } else { 1 };
        let targets = if Y::SPARSE {
            grow(&mut buffers.ids, batch * rows);
            for (slot, &i) in buffers.ids.chunks_exact_mut(rows).zip(idx) {
                y[i].write(label_steps, &mut [], slot);
            }
            Targets::Sparse(&buffers.ids[..batch * rows])
        } else {
            let per = rows * row_len;
            grow(&mut buffers.dense, batch * per);
            for (slot, &i) in buffers.dense.chunks_exact_mut(per).zip(idx) {
                y[i].write(label_steps, slot, &mut []);
            }
            Targets::Dense(&buffers.dense[..batch * per])
        };

        // Weights per output row: sample weight × class weight × the output's mask, the mask
        // rescaled so the loss averages over real steps (Keras's `N_total / N_valid`).
        let out_mask = model.output_mask().filter(|m| m.len() == batch * rows);
        let masked = out_mask.is_some();
        if let Some(m) = out_mask {
            grow(&mut buffers.out_mask, m.len());
            buffers.out_mask[..m.len()].copy_from_slice(m);
        }
        let weighted = masked || weighting.sample.is_some() || weighting.class.is_some();
        if weighted {
            grow(&mut buffers.weights, batch * rows);
            let w = &mut buffers.weights[..batch * rows];
            w.fill(1.0);
            for (k, &i) in idx.iter().enumerate() {
                let sw = weighting.sample.map_or(1.0, |s| s[i]);
                w[k * rows..(k + 1) * rows].iter_mut().for_each(|v| *v *= sw);
            }
            if let Some(cw) = weighting.class {
                for (r, v) in w.iter_mut().enumerate() {
                    *v *= cw.get(&class_of(targets, r, row_len)).copied().unwrap_or(1.0);
                }
            }
            if masked {
                let m = &buffers.out_mask[..batch * rows];
                let valid: f32 = m.iter().sum();
                let scale = if valid > 0.0 { (batch * rows) as f32 / valid } else { 0.0 };
                for (v, &mv) in w.iter_mut().zip(m) {
                    *v *= mv * scale;
                }
            }
        }
        let weights = weighted.then(|| &buffers.weights[..batch * rows]);
        let metric_weights = masked.then(|| &buffers.out_mask[..batch * rows]);

        let activation = model.output_activation();
        let (pred, grad) = model.output_and_grad();
        let value =
            loss.compute(pred, targets, row_len, weights, activation, if train { Some(grad) } else { None })?;
        // Keras: `compile(metrics=...)` metrics see the mask but not the sample or class weights.
        for state in buffers.states.iter_mut() {
            state.update(pred, targets, row_len, metric_weights)?;
        }
        let Some(step) = step else { return Ok(value.value) };
        if !value.value.is_finite() {
            return Err(Error::NonFinite {
                detail: format!(
                    "the loss is {} {step}; that step was not applied, so the weights are those of the step before; lower the learning rate, clip the gradients (`clipnorm`), or check the data",
                    value.value
                ),
            });
        }
        let guard = &mut buffers.guard;
        guard.begin(&**optimizer);
        let pre = value.grad_is_preactivation;
        let mut result = Ok(());
        if optimizer.updates_in_one_pass() {
            // Each layer is updated right after its backward pass, while its gradients are in cache.
            optimizer.apply_gradients(&mut |visit| {
                if result.is_ok() {
                    result = model.backward_visiting(xb, batch, pre, &mut |p| guard.update(p, visit));
                }
            });
        } else {
            result = model.backward(xb, batch, pre, None);
            if result.is_ok() {
                optimizer
                    .apply_gradients(&mut |visit| model.visit_weights_mut(&mut |p| guard.update(p, visit)));
            }
        }
        if let Err(e) = result {
            // A layer's backward failed after the layers above it were updated: undo them.
            guard.restore(|visit| model.visit_weights_mut(visit));
            optimizer.reset_state();
            return Err(e);
        }
        if let Some(failure) = guard.finish(&mut **optimizer) {
            let detail = format!(
                "the update {step} made weight `{}` {} at index {} (learning rate {:e}); that step was undone, so the weights are those of the step before, and the optimizer's state starts afresh; lower the learning rate or clip the gradients (`clipnorm`)",
                failure.name,
                failure.value,
                failure.index,
                optimizer.current_learning_rate()
            );
            guard.restore(|visit| model.visit_weights_mut(visit));
            optimizer.reset_state();
            return Err(Error::NonFinite { detail });
        }
        Ok(value.value)
    }

    /// Makes one metric state per compiled metric (resolving `Accuracy` by the output and
    /// labels), or resets the existing ones.
    fn reset_metrics(&mut self, sparse: bool) {
        let row_len = M::Out::DIMS.last().copied().flatten().unwrap_or(1).max(1);
        if self.buffers.states.len() != self.metrics.len() {
            self.buffers.states =
                self.metrics.iter().map(|&m| MetricState::new(m, row_len, sparse)).collect();
        }
        self.buffers.states.iter_mut().for_each(MetricState::reset);
    }

    /// Runs `f` with a [`FitContext`] over this model, optimiser and progress output; `stop` carries
    /// `stop_training` across calls.
    fn with_context<'w>(
        &mut self,
        stop: &mut bool,
        progress: &mut Progress<'w>,
        f: impl FnOnce(&mut FitContext<'_, 'w, M>) -> Result<()>,
    ) -> Result<()> {
        let mut ctx =
            FitContext { model: &mut self.model, optimizer: &mut *self.optimizer, progress, stop: *stop };
        let result = f(&mut ctx);
        *stop = ctx.stop;
        result
    }
}

/// The class a row's label stands for: its id, or the argmax of a one-hot row (a rounded
/// value for a single output), as Keras's `class_weight` reads it.
fn class_of(targets: Targets<'_>, row: usize, row_len: usize) -> u32 {
    match targets {
        Targets::Sparse(ids) => ids[row],
        Targets::Dense(t) => {
            let r = &t[row * row_len..(row + 1) * row_len];
            if row_len == 1 {
                r[0].round().max(0.0) as u32
            } else {
                crate::train::metrics::argmax(r) as u32
            }
        }
    }
}

/// Which training step a batch is, for messages.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// `train_on_batch`.
    Single,
    /// Batch `batch` of epoch `epoch` of `fit` (both from 0).
    Fit { epoch: usize, batch: usize },
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Single => f.write_str("in `train_on_batch`"),
            Step::Fit { epoch, batch } => write!(f, "in epoch {}, batch {}", epoch + 1, batch + 1),
        }
    }
}
