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
//! Per batch, see [`Timeline`]: the input is laid out time-major in processing order, rows
//! sorted by length and packed (step `s` keeps only its rows up to the last real one). Then:
//! - forward: one gemm projects every packed row, `X (P × F) @ K`; per step, the layer copies
//!   the states of the step's rows aside (the backward pass reads them), the cell computes the
//!   new states, the layer puts the old ones back in padded rows and writes the outputs;
//! - backward through time, last step first: `∂L/∂h` gets the output's gradient, the layer
//!   zeroes the gate gradients of padded rows, the cell turns `∂L/∂` the states after the step
//!   into the gate gradients and `∂L/∂` the states before it, and the layer puts back the
//!   state gradients of padded rows (they carried their state, so they carry its gradient);
//!   then the cell's recurrent kernel gradient, and one gemm each for `dK = Xᵀ · dg` and
//!   `dx = dg · Kᵀ` over all packed rows, `db_in = Σ_rows dg`.
//!
//! Every buffer grows to the largest batch seen and never shrinks: after the first batch of a
//! given size, forward and backward allocate nothing.

use crate::buffer::grow;
use crate::data::rng::SplitMix64;
use crate::error::Result;
use crate::kernels::gemm::{matmul, matmul_a_bt_with, matmul_at_b_strided};
use crate::kernels::rowwise::{column_sums, transpose};
use crate::layers::recurrent::cell::{BackwardStep, Cell, ForwardStep, MAX_STATES};
use crate::layers::recurrent::timeline::{check_input, check_len, Timeline};
use crate::layers::recurrent::{Recurrent, RnnOptions};
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::stage::{single_dims, single_grad, Backward, Forward, Input, MaskRule, Stage};
use crate::layers::{Param, ParamMut};
use crate::shape::Dims;

/// A recurrent layer running the cell `C` over each sequence of a batch (see the module docs
/// for the shape contract, masks and the layout of the work). Built as [`SimpleRnn`](super::SimpleRnn),
/// [`Lstm`](super::Lstm) or [`Gru`](super::Gru).
#[derive(Clone, Debug)]
pub struct Rnn<C> {
    cell: C,
    options: RnnOptions,
    tl: Timeline,
    /// Per packed row (`P × W`): the input projection, then what the cell keeps of its step.
    gates: Vec<f32>,
    /// The states before each step, per packed row: state `k` at `k · P · u`.
    prev: Vec<f32>,
    /// The current states of every row: state `k` at `k · B · u`.
    state: Vec<f32>,
    /// Gate gradients per packed row, `P × W`.
    dg: Vec<f32>,
    /// `∂L/∂` the current states of every row, laid out as `state`.
    dstate: Vec<f32>,
    /// The state gradients of a step's padded rows, kept across the step, laid out as `state`.
    dsaved: Vec<f32>,
    /// `recurrent_kernelᵀ`, `W × u`.
    recurrent_t: Vec<f32>,
    /// Scratch of the input gradient: `kernelᵀ` and the packed `dx`.
    kernel_t: Vec<f32>,
    dxt: Vec<f32>,
}

impl<C: Cell> Rnn<C> {
    /// A layer of `units` units over `in_features` features configured by `options`, with
    /// the cell's Keras initialisers drawn from `rng` (see each cell).
    pub fn new(in_features: usize, units: usize, options: RnnOptions, rng: &mut SplitMix64) -> Self {
        Rnn {
            cell: C::new(in_features, units, &options, rng),
            options,
            tl: Timeline::default(),
            gates: Vec::new(),
            prev: Vec::new(),
            state: Vec::new(),
            dg: Vec::new(),
            dstate: Vec::new(),
            dsaved: Vec::new(),
            recurrent_t: Vec::new(),
            kernel_t: Vec::new(),
            dxt: Vec::new(),
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
        let (f, u, width, opt) =
            (self.in_features(), self.units(), self.cell.weights().width(), self.options);
        let out = self.output_dims(&[in_dims])?;
        check_len(C::KIND, "output", batch * out.numel(), y.len())?;
        self.tl.prepare(C::KIND, x, in_dims, batch, mask, f, opt.go_backwards)?;
        let Rnn { cell, tl, gates, prev, state, .. } = self;
        let (steps, b, p, ns) = (tl.steps, tl.batch, tl.packed(), C::STATES);
        grow(gates, p * width);
        grow(prev, ns * p * u);
        grow(state, ns * b * u);
        cell.reserve(p, b);
        matmul(p, f, width, &tl.xt[..p * f], &cell.weights().kernel, &mut gates[..p * width], false);
        state[..ns * b * u].fill(0.0);
        for s in 0..steps {
            let (o, n, real) = (tl.offset[s], tl.active[s], tl.real_rows(s));
            for k in 0..ns {
                let at = k * p * u + o * u;
                prev[at..at + n * u].copy_from_slice(&state[k * b * u..k * b * u + n * u]);
            }
            cell.forward_step(ForwardStep {
                offset: o,
                real,
                gates: &mut gates[o * width..(o + n) * width],
                prev: blocks(prev, ns, p * u, o * u, n * u),
                state: blocks_mut(state, ns, b * u, n * u),
            });
            if real.contains(&false) {
                // A padded row keeps its states.
                let from = blocks(prev, ns, p * u, o * u, n * u);
                copy_padded_rows(real, u, ns, from, blocks_mut(state, ns, b * u, n * u));
            }
            if opt.return_sequences {
                tl.write_step(s, &state[..b * u], u, opt.zero_output_for_mask, y);
            }
        }
        if !opt.return_sequences {
            tl.write_last(&state[..b * u], u, opt.zero_output_for_mask, y);
        }
        Ok(())
    }

    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        let Input { data: x, dims: in_dims, .. } = args.input(C::TYPE_NAME)?;
        let (batch, dy) = (args.batch, args.grad_output);
        let dx = single_grad(grad_inputs);
        let (f, u, width, opt) =
            (self.in_features(), self.units(), self.cell.weights().width(), self.options);
        self.tl.check_backward(C::KIND, f, x, in_dims, batch)?;
        let out = self.output_dims(&[in_dims])?;
        check_len(C::KIND, "output gradient", batch * out.numel(), dy.len())?;
        if let Some(dx) = &dx {
            check_len(C::KIND, "input gradient", x.len(), dx.len())?;
        }
        let Rnn { cell, tl, gates, prev, dg, dstate, dsaved, recurrent_t, kernel_t, dxt, .. } = self;
        let (steps, b, p, ns) = (tl.steps, tl.batch, tl.packed(), C::STATES);
        grow(dg, p * width);
        grow(dstate, ns * b * u);
        grow(dsaved, ns * b * u);
        grow(recurrent_t, u * width);
        cell.reserve_backward(p, b);
        transpose(&cell.weights().recurrent, u, width, recurrent_t);
        dstate[..ns * b * u].fill(0.0);
        for s in (0..steps).rev() {
            tl.add_output_grad(
                s,
                dy,
                u,
                opt.return_sequences,
                opt.zero_output_for_mask,
                &mut dstate[..b * u],
            );
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
            cell.backward_step(BackwardStep {
                offset: o,
                real,
                gates: &gates[o * width..(o + n) * width],
                prev: blocks(prev, ns, p * u, o * u, n * u),
                dstate: blocks_mut(dstate, ns, b * u, n * u),
                dg: dgs,
                recurrent_t: &recurrent_t[..width * u],
            });
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
        let dg = &dg[..p * width];
        cell.recurrent_grads(p, &prev[..p * u], dg);
        let w = cell.weights_mut();
        matmul_at_b_strided(f, p, width, &tl.xt[..p * f], f, dg, width, &mut w.kernel_grad, width);
        column_sums(dg, w.input_bias_grad_mut());
        if let Some(dx) = dx {
            grow(dxt, p * f);
            matmul_a_bt_with(p, width, f, dg, &w.kernel, &mut dxt[..p * f], false, kernel_t);
            tl.scatter_input_grad(&dxt[..p * f], dx);
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
