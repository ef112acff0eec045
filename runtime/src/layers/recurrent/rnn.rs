//! [`Rnn`]: a recurrent layer, one [`Cell`] run over sequences (Keras's `RNN(cell)`).
//!
//! Shape contract (per sample, time first): input `[T, F]` → output `[T, units]` with
//! `return_sequences`, else `[units]`; `T` may change from batch to batch. The output at each
//! step is the cell's state `h` after it; the initial states are zero.
//!
//! Masks (`mask[b · T + t]`, 0.0 = padding), as Keras's `backend.rnn`: at a masked step the
//! states are carried unchanged (`new_states = where(mask, cell(..), states)`) and the output
//! is the previous output (zeros before the first real step), or zeros with
//! `zero_output_for_mask`; the last output is the output of the last processed step.
//! `go_backwards` processes `T−1 … 0` and returns the sequence in processing order.
//!
//! Per batch: the samples are sorted by length (most real steps first) and dealt in turn into
//! shares (`B / 16` of them, 1 to 4, a count that depends on the batch alone); rows are
//! independent through time, so each share runs the whole time loop by itself, and the shares
//! run side by side on the kernel threads ([`crate::kernels::threads`]). Each share is laid out
//! as a [`Timeline`]: time-major in processing order, rows by length and packed (step `s`
//! keeps only its rows up to the last real one). Then, per share:
//! - forward: one gemm projects every packed row, `X (P × F) @ K`; per step, the layer copies
//!   the states of the step's rows aside (the backward pass reads them), the cell computes the
//!   new states, the layer puts the old ones back in padded rows and writes the outputs;
//! - backward through time, last step first: `∂L/∂h` gets the output's gradient, the layer
//!   zeroes the gate gradients of padded rows, the cell turns `∂L/∂` the states after the step
//!   into the gate gradients and `∂L/∂` the states before it, and the layer puts back the
//!   state gradients of padded rows (they carried their state, so they carry its gradient);
//! - once every share is done, share after share in a fixed order: the cell's recurrent kernel
//!   gradient, one gemm each for `dK += Xᵀ · dg` and `dx = dg · Kᵀ` over the share's packed
//!   rows, `db_in += Σ_rows dg`. The sums over shares run in the same order whatever the number
//!   of threads, so the results do not depend on it.
//!
//! Every buffer grows to the largest batch seen and never shrinks: after the first batch of a
//! given size, forward and backward allocate nothing.

use crate::buffer::grow;
use crate::data::rng::SplitMix64;
use crate::error::{Error, Result};
use crate::kernels::gemm::{matmul, matmul_a_bt_with, matmul_at_b_strided};
use crate::kernels::rowwise::{add_column_sums, transpose};
use crate::kernels::threads;
use crate::layers::recurrent::cell::{BackwardStep, Cell, ForwardStep, MAX_STATES};
use crate::layers::recurrent::timeline::{check_input, check_len, sort_by_length, Timeline};
use crate::layers::recurrent::{Recurrent, RnnOptions};
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::stage::{single_dims, single_grad, Backward, Forward, Input, MaskRule, Stage};
use crate::layers::{Param, ParamMut};
use crate::shape::Dims;

/// The most shares a batch is dealt into.
const MAX_SHARES: usize = 4;

/// Rows per share: a batch of `B` samples is dealt into `B / ROWS_PER_SHARE` shares (at least
/// one, at most [`MAX_SHARES`]). The count depends on the batch alone, never on the number of
/// threads, so that every sum is taken in the same order on any machine.
const ROWS_PER_SHARE: usize = 16;

/// A recurrent layer running the cell `C` over each sequence of a batch (see the module docs
/// for the shape contract, masks and the layout of the work). Built as [`SimpleRnn`](super::SimpleRnn),
/// [`Lstm`](super::Lstm) or [`Gru`](super::Gru).
#[derive(Clone, Debug)]
pub struct Rnn<C: Cell> {
    cell: C,
    options: RnnOptions,
    /// The samples of the last forward's batch, by number of real steps (most first), and the
    /// scratch of that sort.
    order: Vec<usize>,
    counts: Vec<usize>,
    /// `(batch, steps)` of the last forward (backward needs its buffers).
    last: Option<(usize, usize)>,
    /// The shares of the batch, each run through time on its own: grown to the most shares
    /// seen, never shrunk.
    shares: Vec<Share<C::Cache>>,
    /// `recurrent_kernelᵀ`, `W × u`.
    recurrent_t: Vec<f32>,
    /// Scratch of the input gradient: `kernelᵀ`.
    kernel_t: Vec<f32>,
}

/// One share of a batch: every `shares`-th sample in order of length, laid out and run
/// through time by itself, with the buffers that takes.
#[derive(Clone, Debug, Default)]
struct Share<K> {
    /// The share's samples (indices into the batch), longest first.
    samples: Vec<usize>,
    tl: Timeline,
    /// Per packed row (`P × W`): the input projection, then what the cell keeps of its step.
    gates: Vec<f32>,
    /// The states before each step, per packed row: state `k` at `k · P · u`.
    prev: Vec<f32>,
    /// The current states of every row: state `k` at `k · B · u`.
    state: Vec<f32>,
    /// The output, by row (see [`Timeline::scatter_output`]).
    y: Vec<f32>,
    /// Gate gradients per packed row, `P × W`.
    dg: Vec<f32>,
    /// `∂L/∂` the current states of every row, laid out as `state`.
    dstate: Vec<f32>,
    /// The state gradients of a step's padded rows, kept across the step, laid out as `state`.
    dsaved: Vec<f32>,
    /// The packed input gradient, `P × F`.
    dxt: Vec<f32>,
    /// The cell's per-row cache and scratch.
    cache: K,
}

/// The number of shares a batch of `batch` samples is dealt into.
fn shares_for(batch: usize) -> usize {
    (batch / ROWS_PER_SHARE).clamp(1, MAX_SHARES)
}

impl<C: Cell> Rnn<C> {
    /// A layer of `units` units over `in_features` features configured by `options`, with
    /// the cell's Keras initialisers drawn from `rng` (see each cell).
    pub fn new(in_features: usize, units: usize, options: RnnOptions, rng: &mut SplitMix64) -> Self {
        Rnn {
            cell: C::new(in_features, units, &options, rng),
            options,
            order: Vec::new(),
            counts: Vec::new(),
            last: None,
            shares: Vec::new(),
            recurrent_t: Vec::new(),
            kernel_t: Vec::new(),
        }
    }
}

impl<C: Cell> Recurrent for Rnn<C> {
    fn units(&self) -> usize {
        self.cell.weights().units()
    }

    fn in_features(&self) -> usize {
        self.cell.weights().in_features()
    }

    fn options(&self) -> &RnnOptions {
        &self.options
    }

    fn keras_name(&self) -> &'static str {
        C::KERAS_NAME
    }

    fn set_zero_output_for_mask(&mut self, zero: bool) {
        self.options.zero_output_for_mask = zero;
    }

    fn sibling(&self, go_backwards: bool, rng: &mut SplitMix64) -> Self {
        let options = RnnOptions { go_backwards, ..self.options };
        Rnn::new(self.in_features(), self.units(), options, rng)
    }
}

impl<C: Cell> Stage for Rnn<C> {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, C::TYPE_NAME)?;
        let output = rule_dims_one(C::KIND, input, |d| {
            shaped_rules::recurrent(d, self.units(), self.options.return_sequences)
        })?;
        // Beyond the shape rule: the kernel was built for `in_features` per step.
        check_input(C::KIND, self.in_features(), input)?;
        Ok(output)
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let Input { data: x, dims: in_dims, mask, .. } = args.input(C::TYPE_NAME)?;
        let batch = args.batch;
        let (f, opt) = (self.in_features(), self.options);
        let out = self.output_dims(&[in_dims])?;
        check_len(C::KIND, "output", batch * out.numel(), y.len())?;
        let steps = check_input(C::KIND, f, in_dims)?;
        check_len(C::KIND, "input", batch * steps * f, x.len())?;
        if let Some(mask) = mask {
            check_len(C::KIND, "mask (batch · steps)", batch * steps, mask.len())?;
        }
        self.last = Some((batch, steps));
        sort_by_length(mask, batch, steps, &mut self.order, &mut self.counts);
        let count = shares_for(batch);
        if self.shares.len() < count {
            self.shares.resize_with(count, Share::default);
        }
        for (i, share) in self.shares[..count].iter_mut().enumerate() {
            share.samples.clear();
            share.samples.extend(self.order[..batch].iter().skip(i).step_by(count));
        }
        let cell = &self.cell;
        threads::for_each_item(&mut self.shares[..count], &|_, share| {
            forward_share(cell, share, x, steps, mask, opt)
        });
        let per_sample = out.numel();
        for share in &self.shares[..count] {
            share.tl.scatter_output(&share.y, per_sample, y);
        }
        Ok(())
    }

    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        let Input { data: x, dims: in_dims, .. } = args.input(C::TYPE_NAME)?;
        let (batch, dy) = (args.batch, args.grad_output);
        let dx = single_grad(grad_inputs);
        let (f, u, width, opt) =
            (self.in_features(), self.units(), self.cell.weights().width(), self.options);
        let steps = check_input(C::KIND, f, in_dims)?;
        if self.last != Some((batch, steps)) {
            let last = self.last.map_or("none".to_string(), |(b, t)| format!("{b} × [{t}, {f}]"));
            return Err(Error::InvalidArgument {
                name: "backward",
                detail: format!(
                    "`{}` backward needs the forward pass of the same batch first: called on \
                     {batch} × {in_dims}, last forward was {last}",
                    C::KIND
                ),
            });
        }
        check_len(C::KIND, "input", batch * steps * f, x.len())?;
        let out = self.output_dims(&[in_dims])?;
        check_len(C::KIND, "output gradient", batch * out.numel(), dy.len())?;
        if let Some(dx) = &dx {
            check_len(C::KIND, "input gradient", x.len(), dx.len())?;
        }
        let count = shares_for(batch);
        let Rnn { cell, shares, recurrent_t, kernel_t, .. } = self;
        grow(recurrent_t, u * width);
        transpose(&cell.weights().recurrent, u, width, recurrent_t);
        {
            let (cell, recurrent_t) = (&*cell, &recurrent_t[..width * u]);
            threads::for_each_item(&mut shares[..count], &|_, share| {
                backward_share(cell, share, dy, recurrent_t, opt)
            });
        }
        // The weight gradients, share by share in a fixed order.
        let mut dx = dx;
        if let Some(dx) = dx.as_deref_mut() {
            dx.fill(0.0);
        }
        for (i, share) in shares[..count].iter_mut().enumerate() {
            let p = share.tl.packed();
            let dg = &share.dg[..p * width];
            cell.recurrent_grads(&share.cache, p, &share.prev[..p * u], dg, i > 0);
            let w = cell.weights_mut();
            matmul_at_b_strided(
                f,
                p,
                width,
                &share.tl.xt[..p * f],
                f,
                dg,
                width,
                &mut w.kernel_grad,
                width,
                i > 0,
            );
            let db = w.input_bias_grad_mut();
            if i == 0 {
                db.fill(0.0);
            }
            add_column_sums(dg, db);
            if let Some(dx) = dx.as_deref_mut() {
                grow(&mut share.dxt, p * f);
                matmul_a_bt_with(p, width, f, dg, &w.kernel, &mut share.dxt[..p * f], false, kernel_t);
                share.tl.scatter_input_grad(&share.dxt[..p * f], dx);
            }
        }
        Ok(())
    }

    fn mask_rule(&self) -> MaskRule {
        if self.options.return_sequences {
            MaskRule::Keep
        } else {
            MaskRule::Drop
        }
    }

    fn kind(&self) -> String {
        C::KIND.into()
    }

    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        self.cell.weights().visit(visit);
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        self.cell.weights_mut().visit_mut(visit);
    }
}

/// One share forward through time: lays its samples out, projects every packed row
/// (`X K`), runs the cell step by step, and writes the share's output by row into `share.y`.
fn forward_share<C: Cell>(
    cell: &C,
    share: &mut Share<C::Cache>,
    x: &[f32],
    steps: usize,
    mask: Option<&[f32]>,
    opt: RnnOptions,
) {
    let w = cell.weights();
    let (f, u, width) = (w.in_features(), w.units(), w.width());
    let Share { samples, tl, gates, prev, state, y, cache, .. } = share;
    tl.prepare(x, steps, f, mask, opt.go_backwards, samples);
    let (b, p, ns) = (tl.batch, tl.packed(), C::STATES);
    grow(gates, p * width);
    grow(prev, ns * p * u);
    grow(state, ns * b * u);
    let per_row = if opt.return_sequences { steps * u } else { u };
    grow(y, b * per_row);
    cell.reserve(cache, p, b);
    matmul(p, f, width, &tl.xt[..p * f], &w.kernel, &mut gates[..p * width], false);
    state[..ns * b * u].fill(0.0);
    for s in 0..steps {
        let (o, n, real) = (tl.offset[s], tl.active[s], tl.real_rows(s));
        for k in 0..ns {
            let at = k * p * u + o * u;
            prev[at..at + n * u].copy_from_slice(&state[k * b * u..k * b * u + n * u]);
        }
        cell.forward_step(
            cache,
            ForwardStep {
                offset: o,
                real,
                gates: &mut gates[o * width..(o + n) * width],
                prev: blocks(prev, ns, p * u, o * u, n * u),
                state: blocks_mut(state, ns, b * u, n * u),
            },
        );
        if real.contains(&false) {
            // A padded row keeps its states.
            let from = blocks(prev, ns, p * u, o * u, n * u);
            copy_padded_rows(real, u, ns, from, blocks_mut(state, ns, b * u, n * u));
        }
        if opt.return_sequences {
            tl.write_step(s, &state[..b * u], u, opt.zero_output_for_mask, &mut y[..b * per_row]);
        }
    }
    if !opt.return_sequences {
        tl.write_last(&state[..b * u], u, opt.zero_output_for_mask, &mut y[..b * per_row]);
    }
}

/// One share backward through time, last step first: from the output gradient `dy` (of the
/// whole batch) to the gate gradients of its packed rows in `share.dg`.
fn backward_share<C: Cell>(
    cell: &C,
    share: &mut Share<C::Cache>,
    dy: &[f32],
    recurrent_t: &[f32],
    opt: RnnOptions,
) {
    let w = cell.weights();
    let (u, width) = (w.units(), w.width());
    let Share { tl, gates, prev, dg, dstate, dsaved, cache, .. } = share;
    let (steps, b, p, ns) = (tl.steps, tl.batch, tl.packed(), C::STATES);
    grow(dg, p * width);
    grow(dstate, ns * b * u);
    grow(dsaved, ns * b * u);
    cell.reserve_backward(cache, p, b);
    dstate[..ns * b * u].fill(0.0);
    for s in (0..steps).rev() {
        tl.add_output_grad(s, dy, u, opt.return_sequences, opt.zero_output_for_mask, &mut dstate[..b * u]);
        let (o, n, real) = (tl.offset[s], tl.active[s], tl.real_rows(s));
        let dgs = &mut dg[o * width..(o + n) * width];
        let padded = real.contains(&false);
        if padded {
            for (row, _) in dgs.chunks_exact_mut(width.max(1)).zip(real).filter(|(_, real)| !**real) {
                row.fill(0.0);
            }
            copy_padded_rows(
                real,
                u,
                ns,
                blocks(dstate, ns, b * u, 0, n * u),
                blocks_mut(dsaved, ns, b * u, n * u),
            );
        }
        cell.backward_step(
            cache,
            BackwardStep {
                offset: o,
                real,
                gates: &gates[o * width..(o + n) * width],
                prev: blocks(prev, ns, p * u, o * u, n * u),
                dstate: blocks_mut(dstate, ns, b * u, n * u),
                dg: dgs,
                recurrent_t,
            },
        );
        // A padded row carried its states, so it carries their gradients.
        if padded {
            copy_padded_rows(
                real,
                u,
                ns,
                blocks(dsaved, ns, b * u, 0, n * u),
                blocks_mut(dstate, ns, b * u, n * u),
            );
        }
    }
}

/// The `len` values at `start` of each of the first `states` blocks of `buf`, block `k`
/// starting at `k · stride`; the unused entries are empty.
fn blocks(buf: &[f32], states: usize, stride: usize, start: usize, len: usize) -> [&[f32]; MAX_STATES] {
    let block =
        |k: usize| if k < states { &buf[k * stride + start..k * stride + start + len] } else { &[][..] };
    [block(0), block(1)]
}

/// The first `len` values of each of the first `states` blocks of `buf`, block `k` starting
/// at `k · stride`, writable; the unused entries are empty.
fn blocks_mut(buf: &mut [f32], states: usize, stride: usize, len: usize) -> [&mut [f32]; MAX_STATES] {
    let (first, rest) = buf.split_at_mut(stride.min(buf.len()));
    let second = if states > 1 { &mut rest[..len] } else { &mut [][..] };
    [&mut first[..len], second]
}

/// `to[k][r] = from[k][r]` for every padded row `r` (`!real[r]`, rows of `u` values) of the
/// first `states` states.
fn copy_padded_rows(
    real: &[bool],
    u: usize,
    states: usize,
    from: [&[f32]; MAX_STATES],
    to: [&mut [f32]; MAX_STATES],
) {
    for (from, to) in from.into_iter().zip(to).take(states) {
        for (r, _) in real.iter().enumerate().filter(|(_, real)| !**real) {
            to[r * u..(r + 1) * u].copy_from_slice(&from[r * u..(r + 1) * u]);
        }
    }
}
