//! [`Compiled`]: a model with its optimiser, loss and metrics — what Keras's `compile` makes —
//! and its `fit`, `evaluate` and `train_on_batch`.
//!
//! `compile` returns a new value whose type carries the loss, so the labels handed to `fit`
//! are checked against the loss and the model's output when the user's crate compiles
//! ([`Labels`]). Everything else of the model stays reachable: `Compiled` dereferences to it.

use crate::data::SplitMix64;
use crate::error::{Error, Result};
use crate::layers::Mode;
use crate::model::{Model, SampleTypes};
use crate::shape::{Dims, Shape};
use crate::tensor::Sample;
use crate::train::context::FitContext;
use crate::train::fit_options::FitOptions;
use crate::train::history::History;
use crate::train::labels::Labels;
use crate::train::loss::Loss;
use crate::train::metrics::{Metric, MetricState};
use crate::train::optim::Optimizer;
use crate::train::progress::Progress;
use crate::train::{Logs, Targets};
use std::ops::{Deref, DerefMut};

/// A model ready to train: `model.compile(optimizer, loss, metrics)`.
pub struct Compiled<M, L> {
    model: M,
    loss: L,
    optimizer: Box<dyn Optimizer>,
    metrics: Vec<Metric>,
    buffers: Buffers,
}

/// Per-batch buffers, sized by the largest batch seen and reused: a training step allocates
/// nothing once a batch size has been seen.
#[derive(Default)]
struct Buffers {
    x: Vec<f32>,
    dense: Vec<f32>,
    sparse: Vec<u32>,
    weights: Vec<f32>,
    states: Vec<MetricState>,
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

/// How the labels of one model output are laid out for the loss: `row_len` values per row (the
/// last axis), `rows` rows per sample.
#[derive(Clone, Copy)]
struct Layout {
    row_len: usize,
    rows: usize,
}

impl<M: Model + SampleTypes, L: Loss> Compiled<M, L> {
    /// Compiles `model` (see [`Model::compile`]).
    pub fn new(model: M, optimizer: Box<dyn Optimizer>, loss: L, metrics: Vec<Metric>) -> Self {
        Compiled { model, loss, optimizer, metrics, buffers: Buffers::default() }
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

    /// The loss.
    pub fn loss(&self) -> &L {
        &self.loss
    }

    fn layout() -> Layout {
        let row_len = M::Out::DIMS.last().copied().flatten().unwrap_or(1).max(1);
        Layout { row_len, rows: (M::Output::LEN / row_len).max(1) }
    }

    /// One gradient step on this batch (no shuffling), Keras's `train_on_batch`; returns the
    /// batch's loss.
    pub fn train_on_batch<Y>(&mut self, x: &[M::Input], y: &[Y]) -> Result<f32>
    where
        Y: Labels<L, M::Output> + Copy,
    {
        check_lengths(x.len(), y.len(), "x and y")?;
        let targets = Y::targets(y);
        self.reset_metrics(Self::layout(), targets.is_sparse());
        let Compiled { model, loss, optimizer, buffers, .. } = self;
        let x = M::Input::flatten(x);
        check_finite(x, M::Input::LEN, "x")?;
        step(
            model,
            loss,
            &mut **optimizer,
            &mut buffers.states,
            x,
            y.len(),
            targets,
            None,
            Self::layout(),
            true,
        )
    }

    /// Trains for `options.epochs` epochs and returns the per-epoch history (`loss`, metrics,
    /// `val_*`), Keras's `fit`.
    ///
    /// `Err` (naming both values) when `x` and `y` differ in length, the data is empty or holds
    /// NaN/Inf, `batch_size` is 0, `validation_split` is outside [0, 1), the sample weights are
    /// not one per sample, or a class id is out of range.
    pub fn fit<Y>(
        &mut self,
        x: &[M::Input],
        y: &[Y],
        mut options: FitOptions<'_, M::Input, Y>,
    ) -> Result<History>
    where
        Y: Labels<L, M::Output> + Copy,
    {
        check_lengths(x.len(), y.len(), "x and y")?;
        if x.is_empty() {
            return Err(Error::InvalidArgument { name: "x", detail: "the training data is empty".into() });
        }
        if options.batch_size == 0 {
            return Err(Error::InvalidArgument {
                name: "batch_size",
                detail: "must be at least 1, but is 0".into(),
            });
        }
        if !(0.0..1.0).contains(&options.validation_split) {
            return Err(Error::InvalidArgument {
                name: "validation_split",
                detail: format!("must be at least 0 and below 1, but is {}", options.validation_split),
            });
        }
        if let Some(w) = options.sample_weight {
            check_lengths(x.len(), w.len(), "x and sample_weight")?;
        }
        check_finite(M::Input::flatten(x), M::Input::LEN, "x")?;
        let layout = Self::layout();
        let all_targets = Y::targets(y);
        check_targets(all_targets, layout)?;

        // Keras: the validation split is the tail, taken before shuffling.
        let (n_train, validation) = match options.validation_data {
            Some((vx, vy)) => {
                check_lengths(vx.len(), vy.len(), "validation x and y")?;
                check_finite(M::Input::flatten(vx), M::Input::LEN, "validation x")?;
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
        let sample_weights =
            combined_weights(all_targets, layout, options.sample_weight, options.class_weight, x.len())?;
        let val_batch = options.validation_batch_size.unwrap_or(options.batch_size).max(1);

        let mut history = History::new();
        let mut progress = Progress::new(options.verbose, options.epochs);
        let mut order: Vec<usize> = (0..n_train).collect();
        let mut rng = SplitMix64::new(options.seed);
        let steps = n_train.div_ceil(options.batch_size);
        let mut stop = false;
        self.with_context(&mut stop, |ctx| {
            options.callbacks.iter_mut().try_for_each(|c| c.on_train_begin(ctx))
        })?;

        for epoch in options.initial_epoch..options.epochs {
            if stop {
                break;
            }
            self.with_context(&mut stop, |ctx| {
                options.callbacks.iter_mut().try_for_each(|c| c.on_epoch_begin(epoch, ctx))
            })?;
            if options.shuffle {
                rng.shuffle(&mut order);
            }
            progress.epoch_begin(epoch, steps);
            self.reset_metrics(layout, all_targets.is_sparse());
            let (mut loss_sum, mut seen) = (0.0f64, 0usize);
            let mut running = Logs::new();
            for (b, batch) in order.chunks(options.batch_size).enumerate() {
                let loss = self.gathered_step(x, all_targets, sample_weights.as_deref(), batch, layout)?;
                loss_sum += loss as f64 * batch.len() as f64;
                seen += batch.len();
                running.set("loss", loss_sum / seen as f64);
                for state in &self.buffers.states {
                    running.set(state.name(), state.result());
                }
                progress.batch_end(b + 1, &running);
                self.with_context(&mut stop, |ctx| {
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
            self.with_context(&mut stop, |ctx| {
                options.callbacks.iter_mut().try_for_each(|c| c.on_epoch_end(epoch, &logs, ctx))
            })?;
        }
        self.with_context(&mut stop, |ctx| {
            options.callbacks.iter_mut().try_for_each(|c| c.on_train_end(ctx))
        })?;
        Ok(history)
    }

    /// Loss and metrics over `x` and `y` in batches of 32, Keras's `evaluate` with
    /// `return_dict=True`.
    pub fn evaluate<Y>(&mut self, x: &[M::Input], y: &[Y]) -> Result<Logs>
    where
        Y: Labels<L, M::Output> + Copy,
    {
        check_lengths(x.len(), y.len(), "x and y")?;
        check_finite(M::Input::flatten(x), M::Input::LEN, "x")?;
        self.evaluate_batched(x, y, crate::model::DEFAULT_BATCH_SIZE)
    }

    fn evaluate_batched<Y>(&mut self, x: &[M::Input], y: &[Y], batch_size: usize) -> Result<Logs>
    where
        Y: Labels<L, M::Output> + Copy,
    {
        if x.is_empty() {
            return Err(Error::InvalidArgument { name: "x", detail: "the evaluation data is empty".into() });
        }
        let layout = Self::layout();
        let targets = Y::targets(y);
        check_targets(targets, layout)?;
        self.reset_metrics(layout, targets.is_sparse());
        let (mut loss_sum, mut seen) = (0.0f64, 0usize);
        for start in (0..x.len()).step_by(batch_size) {
            let end = (start + batch_size).min(x.len());
            let batch_targets = match targets {
                Targets::Dense(t) => Targets::Dense(
                    &t[start * layout.rows * layout.row_len..end * layout.rows * layout.row_len],
                ),
                Targets::Sparse(t) => Targets::Sparse(&t[start * layout.rows..end * layout.rows]),
            };
            let Compiled { model, loss, optimizer, buffers, .. } = self;
            let xb = M::Input::flatten(&x[start..end]);
            let value = step(
                model,
                loss,
                &mut **optimizer,
                &mut buffers.states,
                xb,
                end - start,
                batch_targets,
                None,
                layout,
                false,
            )?;
            loss_sum += value as f64 * (end - start) as f64;
            seen += end - start;
        }
        let mut logs = Logs::new();
        logs.set("loss", loss_sum / seen as f64);
        for state in &self.buffers.states {
            logs.set(state.name(), state.result());
        }
        Ok(logs)
    }

    /// Gathers the samples `batch` (indices into `x`) into contiguous buffers and trains on them.
    fn gathered_step(
        &mut self,
        x: &[M::Input],
        targets: Targets<'_>,
        weights: Option<&[f32]>,
        batch: &[usize],
        layout: Layout,
    ) -> Result<f32> {
        let Compiled { model, loss, optimizer, buffers, .. } = self;
        let n_in = M::Input::LEN;
        grow(&mut buffers.x, batch.len() * n_in);
        for (slot, &i) in buffers.x.chunks_exact_mut(n_in).zip(batch) {
            slot.copy_from_slice(M::Input::flatten(std::slice::from_ref(&x[i])));
        }
        let per_sample = layout.rows * layout.row_len;
        let batch_targets = match targets {
            Targets::Dense(t) => {
                grow(&mut buffers.dense, batch.len() * per_sample);
                for (slot, &i) in buffers.dense.chunks_exact_mut(per_sample).zip(batch) {
                    slot.copy_from_slice(&t[i * per_sample..(i + 1) * per_sample]);
                }
                Targets::Dense(&buffers.dense[..batch.len() * per_sample])
            }
            Targets::Sparse(t) => {
                if buffers.sparse.len() < batch.len() * layout.rows {
                    buffers.sparse.resize(batch.len() * layout.rows, 0);
                }
                for (slot, &i) in buffers.sparse.chunks_exact_mut(layout.rows).zip(batch) {
                    slot.copy_from_slice(&t[i * layout.rows..(i + 1) * layout.rows]);
                }
                Targets::Sparse(&buffers.sparse[..batch.len() * layout.rows])
            }
        };
        let batch_weights = match weights {
            Some(w) => {
                grow(&mut buffers.weights, batch.len() * layout.rows);
                for (slot, &i) in buffers.weights.chunks_exact_mut(layout.rows).zip(batch) {
                    slot.copy_from_slice(&w[i * layout.rows..(i + 1) * layout.rows]);
                }
                Some(&buffers.weights[..batch.len() * layout.rows])
            }
            None => None,
        };
        let xb = &buffers.x[..batch.len() * n_in];
        step(
            model,
            loss,
            &mut **optimizer,
            &mut buffers.states,
            xb,
            batch.len(),
            batch_targets,
            batch_weights,
            layout,
            true,
        )
    }

    /// Makes one metric state per compiled metric (resolving `Accuracy` by the output and
    /// labels), or resets the existing ones.
    fn reset_metrics(&mut self, layout: Layout, sparse: bool) {
        if self.buffers.states.len() != self.metrics.len() {
            self.buffers.states =
                self.metrics.iter().map(|&m| MetricState::new(m, layout.row_len, sparse)).collect();
        }
        self.buffers.states.iter_mut().for_each(MetricState::reset);
    }

    /// Runs `f` with a [`FitContext`] over this model and optimiser; `stop` carries
    /// `stop_training` across calls.
    fn with_context(
        &mut self,
        stop: &mut bool,
        f: impl FnOnce(&mut FitContext<'_, M>) -> Result<()>,
    ) -> Result<()> {
        let mut ctx = FitContext { model: &mut self.model, optimizer: &mut *self.optimizer, stop: *stop };
        let result = f(&mut ctx);
        *stop = ctx.stop;
        result
    }
}

/// Forward, loss, metrics and — when training — backward and the optimiser update, for one
/// batch already in contiguous buffers. Allocates nothing.
#[allow(clippy::too_many_arguments)]
fn step<M: Model, L: Loss>(
    model: &mut M,
    loss: &L,
    optimizer: &mut dyn Optimizer,
    states: &mut [MetricState],
    x: &[f32],
    batch: usize,
    targets: Targets<'_>,
    weights: Option<&[f32]>,
    layout: Layout,
    train: bool,
) -> Result<f32> {
    let dims = Dims::from_static(M::In::DIMS);
    let mode = if train { Mode::Training } else { Mode::Inference };
    model.run(x, dims, batch, mode)?;
    let activation = model.output_activation();
    let (pred, grad) = model.output_and_grad();
    let value = loss.compute(
        pred,
        targets,
        layout.row_len,
        weights,
        activation,
        if train { Some(grad) } else { None },
    )?;
    // Keras: `compile(metrics=...)` metrics are unweighted (only `weighted_metrics` see the
    // sample and class weights).
    for state in states.iter_mut() {
        state.update(pred, targets, layout.row_len, None)?;
    }
    if train && optimizer.updates_in_one_pass() {
        // Each layer is updated right after its backward pass, while its gradients are in cache.
        let mut result = Ok(());
        optimizer.apply_gradients(&mut |visit| {
            if result.is_ok() {
                result = model.backward_visiting(x, batch, value.grad_is_preactivation, visit);
            }
        });
        result?;
    } else if train {
        model.backward(x, batch, value.grad_is_preactivation, None)?;
        optimizer.apply_gradients(&mut |visit| model.visit_weights_mut(visit));
    }
    Ok(value.value)
}

fn grow(buf: &mut Vec<f32>, len: usize) {
    if buf.len() < len {
        buf.resize(len, 0.0);
    }
}

fn check_lengths(left: usize, right: usize, what: &str) -> Result<()> {
    if left == right {
        Ok(())
    } else {
        Err(Error::LengthMismatch { context: what.to_string(), left, right })
    }
}

/// `Err` naming the first sample and feature holding NaN or ±Inf.
fn check_finite(values: &[f32], per_sample: usize, what: &str) -> Result<()> {
    if crate::kernels::elementwise::all_finite(values) {
        return Ok(());
    }
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::InvalidArgument {
            name: "x",
            detail: format!(
                "{what}[{}] holds {} at feature {}; replace or drop non-finite values before training",
                i / per_sample.max(1),
                values[i],
                i % per_sample.max(1)
            ),
        }),
    }
}

/// Class ids must be below the number of outputs (an `Err` naming the id and the count, where
/// Keras on JAX silently gives NaN).
fn check_targets(targets: Targets<'_>, layout: Layout) -> Result<()> {
    if let Targets::Sparse(ids) = targets {
        if let Some((i, id)) = ids.iter().enumerate().find(|(_, &id)| id as usize >= layout.row_len) {
            return Err(Error::InvalidArgument {
                name: "y",
                detail: format!(
                    "class id {id} of sample {i} is not below the model's {} outputs",
                    layout.row_len
                ),
            });
        }
    }
    Ok(())
}

/// One weight per output row: sample weights × class weights (Keras multiplies them), or
/// `None` when neither is given.
fn combined_weights(
    targets: Targets<'_>,
    layout: Layout,
    sample_weight: Option<&[f32]>,
    class_weight: Option<&std::collections::HashMap<u32, f32>>,
    samples: usize,
) -> Result<Option<Vec<f32>>> {
    if sample_weight.is_none() && class_weight.is_none() {
        return Ok(None);
    }
    let mut weights = vec![1.0f32; samples * layout.rows];
    if let Some(sw) = sample_weight {
        if let Some((i, w)) = sw.iter().enumerate().find(|(_, w)| !w.is_finite() || **w < 0.0) {
            return Err(Error::InvalidArgument {
                name: "sample_weight",
                detail: format!("sample_weight[{i}] is {w}; weights must be finite and not negative"),
            });
        }
        for (row, w) in weights.iter_mut().enumerate() {
            *w *= sw[row / layout.rows];
        }
    }
    if let Some(cw) = class_weight {
        for (row, w) in weights.iter_mut().enumerate() {
            let class = match targets {
                Targets::Sparse(ids) => ids[row],
                Targets::Dense(t) => {
                    let r = &t[row * layout.row_len..(row + 1) * layout.row_len];
                    if layout.row_len == 1 {
                        r[0].round().max(0.0) as u32
                    } else {
                        crate::train::metrics::argmax(r) as u32
                    }
                }
            };
            *w *= cw.get(&class).copied().unwrap_or(1.0);
        }
    }
    Ok(Some(weights))
}
