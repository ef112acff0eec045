//! `SimpleRNN(units)`: `h_t = act(x_t @ K + h_{t−1} @ U + b)`, output `h_t`; the layer
//! [`SimpleRnn`] is [`Rnn`] over a [`SimpleRnnCell`].
//!
//! Shape contract: input `[T, F]` → `[T, units]` with `return_sequences`, else `[units]`.
//! Weights (Keras layout, names relative to the layer): `simple_rnn_cell/kernel (F, u)`,
//! `simple_rnn_cell/recurrent_kernel (u, u)`, `simple_rnn_cell/bias (u,)`.
//!
//! Backward, with `a_t = x_t K + h_{t−1} U + b` and `da_t = act'(a_t) ⊙ dh_t`:
//! `dh_{t−1} = da_t Uᵀ` (plus the output gradient of step `t−1`), `dU = Σ_t h_{t−1}ᵀ da_t`,
//! `dK = Σ_t x_tᵀ da_t`, `db = Σ_t da_t`, `dx_t = da_t Kᵀ`.

use crate::buffer::grow;
use crate::data::rng::SplitMix64;
use crate::kernels::gemm::matmul;
use crate::kernels::rowwise::add_to_rows;
use crate::layers::activation::{Activation, ActivationFn};
use crate::layers::recurrent::cell::{sealed, BackwardStep, Cell, ForwardStep};
use crate::layers::recurrent::gates::{activate, activation_grad};
use crate::layers::recurrent::{Rnn, RnnOptions, Weights};

/// `SimpleRNN(units)`, a fully recurrent layer: input `[T, F]` → `[T, units]` with
/// `return_sequences`, else `[units]`; each step `h_t = act(x_t @ K + h_{t−1} @ U + b)` (see
/// [`Rnn`] for masks and directions).
pub type SimpleRnn = Rnn<SimpleRnnCell>;

/// The step of [`SimpleRnn`], Keras's `SimpleRNNCell`: `h_t = act(x_t @ K + h_{t−1} @ U + b)`,
/// one state `h` (`u` values), one gate block (`W = u`). Initialisers: glorot-uniform kernel,
/// orthogonal recurrent kernel, zero bias.
#[derive(Clone, Debug)]
pub struct SimpleRnnCell {
    activation: Activation,
    weights: Weights,
}

/// What [`SimpleRnnCell`] keeps for one share of a batch.
#[derive(Clone, Debug, Default)]
pub struct SimpleRnnCache {
    /// Pre-activations per packed row, kept only for activations whose derivative needs them.
    pre: Vec<f32>,
    scratch: Vec<f32>,
}

impl sealed::Sealed for SimpleRnnCell {}

impl Cell for SimpleRnnCell {
    const KIND: &'static str = "SimpleRNN";
    const TYPE_NAME: &'static str = "SimpleRnn";
    const KERAS_NAME: &'static str = "simple_rnn";
    const STATES: usize = 1;
    type Cache = SimpleRnnCache;

    fn new(in_features: usize, units: usize, options: &RnnOptions, rng: &mut SplitMix64) -> Self {
        let bias: &[usize] = if options.use_bias { &[units] } else { &[] };
        let names = ["simple_rnn_cell/kernel", "simple_rnn_cell/recurrent_kernel", "simple_rnn_cell/bias"];
        SimpleRnnCell {
            activation: options.activation,
            weights: Weights::new(in_features, units, 1, bias, names, rng),
        }
    }

    fn weights(&self) -> &Weights {
        &self.weights
    }

    fn weights_mut(&mut self) -> &mut Weights {
        &mut self.weights
    }

    fn reserve(&self, cache: &mut SimpleRnnCache, packed: usize, _batch: usize) {
        if self.activation.backward_needs_input() {
            grow(&mut cache.pre, packed * self.weights.units());
        }
    }

    /// `gates ← act(gates + h_{t−1} @ U + b)`, kept as `h_t` for the backward step.
    fn forward_step(&self, cache: &mut SimpleRnnCache, step: ForwardStep<'_>) {
        let ForwardStep { offset: o, real, gates: a, prev: [h_prev, _], state: [h, _] } = step;
        let (w, u, n) = (&self.weights, self.weights.units(), real.len());
        matmul(n, u, u, h_prev, &w.recurrent, a, true);
        add_to_rows(a, &w.bias);
        if self.activation.backward_needs_input() {
            cache.pre[o * u..(o + n) * u].copy_from_slice(a);
        }
        activate(self.activation, a, u);
        h.copy_from_slice(a);
    }

    fn reserve_backward(&self, _cache: &mut SimpleRnnCache, _packed: usize, _batch: usize) {}

    /// `da = act'(a) ⊙ dh_t` per real row, then `dh_{t−1} = da Uᵀ`.
    fn backward_step(&self, cache: &mut SimpleRnnCache, step: BackwardStep<'_>) {
        let BackwardStep { offset: o, real, gates: hs, dstate: [dh, _], dg, recurrent_t, .. } = step;
        let (u, n) = (self.weights.units(), real.len());
        let needs_pre = self.activation.backward_needs_input();
        for (r, &is_real) in real.iter().enumerate() {
            if !is_real {
                continue;
            }
            let row = r * u..(r + 1) * u;
            let at = (o + r) * u;
            dg[row.clone()].copy_from_slice(&dh[row.clone()]);
            let z = if needs_pre { &cache.pre[at..at + u] } else { &[][..] };
            activation_grad(self.activation, z, &hs[row.clone()], &mut dg[row], u, &mut cache.scratch);
        }
        matmul(n, u, u, dg, recurrent_t, dh, false);
    }
}
