//! [`Engine`]: the training loop under `Compiled`, for any [`Network`] — one input or several,
//! one output or several — with the optimiser, the per-batch buffers and the metric states.
//!
//! A batch is padded input by input (each sequence input to its own longest in the batch, with
//! its own mask), run forward, each output's loss and metrics computed against its labels, the
//! loss gradients weighted and written into the outputs' gradient buffers, and, when training,
//! the backward pass runs with the optimiser update, undone if it leaves a non-finite weight.
//! Nothing is allocated per step once a batch size (and sequence lengths) has been seen.

use crate::buffer::grow;
use crate::data::SplitMix64;
use crate::error::{Error, Result};
use crate::layers::Mode;
use crate::model::{InputBatch, Network, MAX_OUTPUTS};
use crate::tensor::{InputRow, OutputRow};
use crate::train::context::FitContext;
use crate::train::data_checks::{check_class_weight, check_data, TRAINING, VALIDATION};
use crate::train::fit_options::FitOptions;
use crate::train::heads::HeadRef;
use crate::train::history::History;
use crate::train::label_row::LabelRow;
use crate::train::metrics::MetricState;
use crate::train::optim::Optimizer;
use crate::train::progress::Progress;
use crate::train::step_guard::StepGuard;
use crate::train::{Logs, Targets};
use std::collections::HashMap;

/// The optimiser and everything a training step reuses.
pub(crate) struct Engine {
    pub(crate) optimizer: Box<dyn Optimizer>,
    buffers: Buffers,
    /// Padded and total time steps fed to the model during the last `fit`.
    pub(crate) padding: (u64, u64),
}

/// Per-batch buffers, sized by the largest batch seen and reused.
#[derive(Default)]
struct Buffers {
    order: Vec<usize>,
    inputs: InputBatch,
    heads: Vec<HeadBuffers>,
    guard: StepGuard,
}

/// One output's labels, loss weights, mask, metric states and log names.
#[derive(Default)]
struct HeadBuffers {
    dense: Vec<f32>,
    ids: Vec<u32>,
    weights: Vec<f32>,
    out_mask: Vec<f32>,
    states: Vec<MetricState>,
    /// `<output>_loss` (several outputs) or empty (one output: the total is its loss).
    loss_name: String,
    /// `<output>_<metric>` (several outputs) or the metric's name, per metric.
    metric_names: Vec<String>,
    /// The output's unweighted loss on the last batch.
    value: f32,
}

/// Sample and class weights of a whole dataset, as the user gave them.
#[derive(Clone, Copy, Default)]
struct Weighting<'a> {
    sample: Option<&'a [f32]>,
    class: Option<&'a HashMap<u32, f32>>,
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

impl Engine {
    /// An engine around `optimizer`.
    pub(crate) fn new(optimizer: Box<dyn Optimizer>) -> Self {
        Engine { optimizer, buffers: Buffers::default(), padding: (0, 0) }
    }

    /// One gradient step on `x` and `y` as one batch (Keras's `train_on_batch`).
    pub(crate) fn train_on_batch<N, X, Y, H, O>(
        &mut self,
        net: &mut N,
        heads: &[HeadRef<'_>],
        x: &[X],
        y: &[Y],
    ) -> Result<f32>
    where
        N: Network,
        X: InputRow,
        Y: LabelRow<H, O>,
        O: OutputRow,
    {
        check_data::<N, X, Y, H, O>(net, x, y, None, TRAINING)?;
        self.reset_metrics::<N, Y, H, O>(heads);
        let mut order = std::mem::take(&mut self.buffers.order);
        order.clear();
        order.extend(0..x.len());
        let result = self.batch_step::<N, X, Y, H, O>(
            net,
            heads,
            x,
            y,
            &order,
            Weighting::default(),
            Some(Step::Single),
        );
        self.buffers.order = order;
        result
    }

    /// Keras's `fit` (see `Compiled::fit` for what is checked and when training stops).
    pub(crate) fn fit<N, X, Y, H, O>(
        &mut self,
        net: &mut N,
        heads: &[HeadRef<'_>],
        x: &[X],
        y: &[Y],
        mut options: FitOptions<'_, X, Y>,
    ) -> Result<History>
    where
        N: Network,
        X: InputRow,
        Y: LabelRow<H, O>,
        O: OutputRow,
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
        check_data::<N, X, Y, H, O>(net, x, y, options.sample_weight, TRAINING)?;
        if let Some(class_weight) = options.class_weight {
            if N::OUTPUTS.len() > 1 {
                return Err(Error::InvalidArgument {
                    name: "class_weight",
                    detail: format!(
                        "is for models with one output, but model `{}` has {}; weigh samples with `sample_weight` (Keras refuses it too)",
                        N::NAME,
                        N::OUTPUTS.len()
                    ),
                });
            }
            check_class_weight(class_weight)?;
        }

        // Keras: the validation split is the tail, taken before shuffling.
        let (n_train, validation) = match options.validation_data {
            Some((vx, vy)) => {
                check_data::<N, X, Y, H, O>(net, vx, vy, None, VALIDATION)?;
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
        let steps = n_train.div_ceil(options.batch_size);
        let bucketed =
            options.bucket_by_length && x.first().is_some_and(|s| largest_padded_size(s).is_some());
        let mut batch_order: Vec<usize> = (0..steps).collect();
        if bucketed {
            order.sort_by_key(|&i| largest_padded_size(&x[i]).unwrap_or(0));
        }
        let sorted = order.clone();
        self.padding = (0, 0);
        let mut stop = false;
        self.with_context(net, &mut stop, &mut progress, |ctx| {
            options.callbacks.iter_mut().try_for_each(|c| c.on_train_begin(ctx))
        })?;

        for epoch in options.initial_epoch..options.epochs {
            if stop {
                break;
            }
            self.with_context(net, &mut stop, &mut progress, |ctx| {
                options.callbacks.iter_mut().try_for_each(|c| c.on_epoch_begin(epoch, ctx))
            })?;
            // Each epoch's order comes from (seed, epoch) alone, from the unshuffled order, so
            // that epoch 7 is the same whether this call started at 0 or at 5 (resuming).
            let mut rng = SplitMix64::nth_stream(options.seed, epoch as u64);
            if bucketed {
                // Batches of similar lengths; their order changes every epoch.
                batch_order.iter_mut().enumerate().for_each(|(i, b)| *b = i);
                rng.shuffle(&mut batch_order);
            } else if options.shuffle {
                order.copy_from_slice(&sorted);
                rng.shuffle(&mut order);
            }
            progress.epoch_begin(epoch, steps);
            self.reset_metrics::<N, Y, H, O>(heads);
            let mut sums = LossSums::default();
            let mut running = Logs::new();
            for (b, &chunk) in batch_order.iter().enumerate() {
                let batch =
                    &order[chunk * options.batch_size..((chunk + 1) * options.batch_size).min(n_train)];
                let step = Some(Step::Fit { epoch, batch: b });
                let loss = self.batch_step::<N, X, Y, H, O>(net, heads, x, y, batch, weighting, step)?;
                sums.add(loss, &self.buffers.heads, batch.len());
                sums.log(&mut running, &self.buffers.heads);
                progress.batch_end(b + 1, &running);
                self.with_context(net, &mut stop, &mut progress, |ctx| {
                    options.callbacks.iter_mut().try_for_each(|c| c.on_batch_end(b, loss as f64, ctx))
                })?;
            }
            let mut logs = running;
            if let Some((vx, vy)) = validation {
                let val = self.evaluate_batched::<N, X, Y, H, O>(net, heads, vx, vy, val_batch)?;
                for (name, value) in val.iter() {
                    logs.set(&format!("val_{name}"), value);
                }
            }
            progress.epoch_end(&logs);
            history.push(epoch, &logs);
            self.with_context(net, &mut stop, &mut progress, |ctx| {
                options.callbacks.iter_mut().try_for_each(|c| c.on_epoch_end(epoch, &logs, ctx))
            })?;
        }
        self.with_context(net, &mut stop, &mut progress, |ctx| {
            options.callbacks.iter_mut().try_for_each(|c| c.on_train_end(ctx))
        })?;
        Ok(history)
    }

    /// Keras's `evaluate` in batches of 32 after checking the data as `fit` does.
    pub(crate) fn evaluate<N, X, Y, H, O>(
        &mut self,
        net: &mut N,
        heads: &[HeadRef<'_>],
        x: &[X],
        y: &[Y],
    ) -> Result<Logs>
    where
        N: Network,
        X: InputRow,
        Y: LabelRow<H, O>,
        O: OutputRow,
    {
        check_data::<N, X, Y, H, O>(net, x, y, None, TRAINING)?;
        self.evaluate_batched::<N, X, Y, H, O>(net, heads, x, y, crate::model::DEFAULT_BATCH_SIZE)
    }

    fn evaluate_batched<N, X, Y, H, O>(
        &mut self,
        net: &mut N,
        heads: &[HeadRef<'_>],
        x: &[X],
        y: &[Y],
        batch_size: usize,
    ) -> Result<Logs>
    where
        N: Network,
        X: InputRow,
        Y: LabelRow<H, O>,
        O: OutputRow,
    {
        if x.is_empty() {
            return Err(Error::InvalidArgument { name: "x", detail: "the evaluation data is empty".into() });
        }
        self.reset_metrics::<N, Y, H, O>(heads);
        let padding = self.padding;
        let mut sums = LossSums::default();
        let mut order = std::mem::take(&mut self.buffers.order);
        let mut result = Ok(());
        for start in (0..x.len()).step_by(batch_size) {
            let end = (start + batch_size).min(x.len());
            order.clear();
            order.extend(start..end);
            match self.batch_step::<N, X, Y, H, O>(net, heads, x, y, &order, Weighting::default(), None) {
                Ok(value) => sums.add(value, &self.buffers.heads, end - start),
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
        sums.log(&mut logs, &self.buffers.heads);
        Ok(logs)
    }

    /// One batch: the samples `idx` of `x` and `y` padded into contiguous buffers, forward,
    /// each output's loss and metrics, and — when `step` says this is a training step —
    /// backward and the optimiser update, undone if it leaves a non-finite weight. Returns the
    /// total loss `Σ_j weight_j · loss_j`.
    #[allow(clippy::too_many_arguments)]
    fn batch_step<N, X, Y, H, O>(
        &mut self,
        net: &mut N,
        heads: &[HeadRef<'_>],
        x: &[X],
        y: &[Y],
        idx: &[usize],
        weighting: Weighting<'_>,
        step: Option<Step>,
    ) -> Result<f32>
    where
        N: Network,
        X: InputRow,
        Y: LabelRow<H, O>,
        O: OutputRow,
    {
        let Engine { optimizer, buffers, padding } = self;
        let Buffers { inputs: input_batch, heads: head_buffers, guard, .. } = buffers;
        let batch = idx.len();
        let train = step.is_some();

        // Each input padded to its own longest sequence in the batch, with its own mask.
        let pad = input_batch.fill::<N, X>(x, idx);
        if train {
            padding.0 += pad.padded;
            padding.1 += pad.total;
        }
        let inputs = input_batch.inputs();
        let inputs = &inputs[..input_batch.count()];
        let mode = if train { Mode::Training } else { Mode::Inference };
        net.run_inputs(inputs, batch, mode)?;

        // Each output's loss against its labels, weighted into the total.
        let mut total = 0.0f32;
        let mut preactivation = [false; MAX_OUTPUTS];
        for (j, (head, hb)) in heads.iter().zip(head_buffers.iter_mut()).enumerate() {
            let out_dims = net.output_at(j).1;
            // Labels, laid out like the output: one row per step of a sequence output.
            let row_len = out_dims.last().max(1);
            let rows = out_dims.numel() / row_len;
            let label_steps = if O::layout(j).1 { rows } else { 1 };
            let sparse = Y::sparse(j);
            if sparse {
                grow(&mut hb.ids, batch * rows);
                for (slot, &i) in hb.ids.chunks_exact_mut(rows).zip(idx) {
                    y[i].write(j, label_steps, &mut [], slot);
                }
            } else {
                let per = rows * row_len;
                grow(&mut hb.dense, batch * per);
                for (slot, &i) in hb.dense.chunks_exact_mut(per).zip(idx) {
                    y[i].write(j, label_steps, slot, &mut []);
                }
            }
            let targets = if sparse {
                Targets::Sparse(&hb.ids[..batch * rows])
            } else {
                Targets::Dense(&hb.dense[..batch * rows * row_len])
            };

            // Weights per output row: sample weight × class weight × the output's mask, the
            // mask rescaled so the loss averages over real steps (Keras's `N_total / N_valid`).
            let out_mask = net.output_mask_at(j).filter(|m| m.len() == batch * rows);
            let masked = out_mask.is_some();
            if let Some(m) = out_mask {
                grow(&mut hb.out_mask, m.len());
                hb.out_mask[..m.len()].copy_from_slice(m);
            }
            let weighted = masked || weighting.sample.is_some() || weighting.class.is_some();
            if weighted {
                grow(&mut hb.weights, batch * rows);
                let w = &mut hb.weights[..batch * rows];
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
                    let m = &hb.out_mask[..batch * rows];
                    let valid: f32 = m.iter().sum();
                    let scale = if valid > 0.0 { (batch * rows) as f32 / valid } else { 0.0 };
                    for (v, &mv) in w.iter_mut().zip(m) {
                        *v *= mv * scale;
                    }
                }
            }
            let weights = weighted.then(|| &hb.weights[..batch * rows]);
            let metric_weights = masked.then(|| &hb.out_mask[..batch * rows]);

            let activation = net.output_activation_at(j);
            let (pred, grad) = net.output_and_grad_at(j);
            let value = head.loss.compute(
                pred,
                targets,
                row_len,
                weights,
                activation,
                if train { Some(&mut *grad) } else { None },
            )?;
            if train && head.weight != 1.0 {
                grad.iter_mut().for_each(|g| *g *= head.weight);
            }
            preactivation[j] = value.grad_is_preactivation;
            // Keras: `compile(metrics=...)` metrics see the mask but not the sample or class weights.
            for state in hb.states.iter_mut() {
                state.update(pred, targets, row_len, metric_weights)?;
            }
            hb.value = value.value;
            total += head.weight * value.value;
        }
        let Some(step) = step else { return Ok(total) };
        if !total.is_finite() {
            return Err(Error::NonFinite {
                detail: format!(
                    "the loss is {total} {step}; that step was not applied, so the weights are those of the step before; lower the learning rate, clip the gradients (`clipnorm`), or check the data"
                ),
            });
        }
        let preactivation = &preactivation[..heads.len()];
        guard.begin(&**optimizer);
        let mut result = Ok(());
        if optimizer.updates_in_one_pass() {
            // Each layer is updated right after its backward pass, while its gradients are in cache.
            optimizer.apply_gradients(&mut |visit| {
                if result.is_ok() {
                    result = net.backward_visiting_inputs(inputs, batch, preactivation, &mut |p| {
                        guard.update(p, visit)
                    });
                }
            });
        } else {
            result = net.backward_inputs(inputs, batch, preactivation, &mut []);
            if result.is_ok() {
                optimizer
                    .apply_gradients(&mut |visit| net.visit_weights_mut(&mut |p| guard.update(p, visit)));
            }
        }
        if let Err(e) = result {
            // A layer's backward failed after the layers above it were updated: undo them.
            guard.restore(|visit| net.visit_weights_mut(visit));
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
            guard.restore(|visit| net.visit_weights_mut(visit));
            optimizer.reset_state();
            return Err(Error::NonFinite { detail });
        }
        Ok(total)
    }

    /// Makes one metric state per output and metric (resolving `Accuracy` by the output and
    /// labels) with its log name, or resets the existing ones. Allocates only the first time.
    fn reset_metrics<N, Y, H, O>(&mut self, heads: &[HeadRef<'_>])
    where
        N: Network,
        Y: LabelRow<H, O>,
    {
        let several = N::OUTPUTS.len() > 1;
        let hbs = &mut self.buffers.heads;
        let fresh = hbs.len() != heads.len()
            || hbs.iter().zip(heads).any(|(hb, head)| hb.states.len() != head.metrics.len());
        if fresh {
            *hbs = heads
                .iter()
                .enumerate()
                .map(|(j, head)| {
                    let spec = N::OUTPUTS[j];
                    let row_len = spec.dims.last().copied().flatten().unwrap_or(1).max(1);
                    let states: Vec<MetricState> =
                        head.metrics.iter().map(|&m| MetricState::new(m, row_len, Y::sparse(j))).collect();
                    let metric_names = states
                        .iter()
                        .map(|s| {
                            if several {
                                format!("{}_{}", spec.name, s.name())
                            } else {
                                s.name().to_string()
                            }
                        })
                        .collect();
                    let loss_name = if several { format!("{}_loss", spec.name) } else { String::new() };
                    HeadBuffers { states, metric_names, loss_name, ..HeadBuffers::default() }
                })
                .collect();
        }
        hbs.iter_mut().flat_map(|hb| hb.states.iter_mut()).for_each(MetricState::reset);
    }

    /// Runs `f` with a [`FitContext`] over `net`, this optimiser and progress output; `stop`
    /// carries `stop_training` across calls.
    fn with_context<'w, N: Network>(
        &mut self,
        net: &mut N,
        stop: &mut bool,
        progress: &mut Progress<'w>,
        f: impl FnOnce(&mut FitContext<'_, 'w, N>) -> Result<()>,
    ) -> Result<()> {
        let mut ctx = FitContext { model: net, optimizer: &mut *self.optimizer, progress, stop: *stop };
        let result = f(&mut ctx);
        *stop = ctx.stop;
        result
    }
}

/// The longest sequence (or largest image, in pixels) among a sample's inputs, for bucketing by
/// size; `None` when no input is padded.
fn largest_padded_size<X: InputRow>(sample: &X) -> Option<usize> {
    (0..X::COUNT).filter_map(|k| sample.field(k).extent()).map(|[h, w]| h * w).max()
}

/// Sample-weighted running sums of the total loss and each output's loss over an epoch.
#[derive(Default)]
struct LossSums {
    total: f64,
    per_output: [f64; MAX_OUTPUTS],
    seen: usize,
}

impl LossSums {
    fn add(&mut self, total: f32, heads: &[HeadBuffers], samples: usize) {
        self.total += total as f64 * samples as f64;
        for (sum, hb) in self.per_output.iter_mut().zip(heads) {
            *sum += hb.value as f64 * samples as f64;
        }
        self.seen += samples;
    }

    /// `loss`, then each output's `<output>_loss` (several outputs), then the metrics.
    fn log(&self, logs: &mut Logs, heads: &[HeadBuffers]) {
        let seen = self.seen.max(1) as f64;
        logs.set("loss", self.total / seen);
        for (sum, hb) in self.per_output.iter().zip(heads) {
            if !hb.loss_name.is_empty() {
                logs.set(&hb.loss_name, sum / seen);
            }
        }
        for hb in heads {
            for (state, name) in hb.states.iter().zip(&hb.metric_names) {
                logs.set(name, state.result());
            }
        }
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
