//! [`Cell`]: the maths of one time step of a recurrent layer, as Keras's `SimpleRNNCell`,
//! `LSTMCell` and `GRUCell`; [`Rnn`](super::Rnn) runs a cell over sequences.
//!
//! The split is Keras's (`keras/src/layers/rnn/rnn.py`): a cell owns its weights
//! (`kernel`, `recurrent_kernel`, `bias`), says how many states it carries (`h`, or `h` and
//! `c`) and computes one step, forward and backward, for the rows of one step; the layer owns
//! everything about the sequence: the loop over time, masks, `go_backwards`, the outputs, the
//! buffers kept between calls, and the errors.
//!
//! A cell's weights are shared by the shares of a batch that the layer runs side by side (see
//! [`Rnn`](super::Rnn)); what a cell keeps per row and its scratch live in a [`Cell::Cache`],
//! one per share, so the steps take the cell by shared reference.
//!
//! What a step sees (shapes per step of `n` rows, `u` units, gate width `W = G·u`): row `r` is
//! packed row `offset + r` of the share (a cell keeps its per-row cache at that index of the
//! share's cache, from forward to backward); `real[r]` is false where the row's step is padding. Each state is an
//! `n × u` block; state 0 is `h`, the layer's output. A cell may skip padded rows or compute
//! garbage for them: the layer puts back their states and state gradients afterwards, and
//! zeroes their gate gradients before the backward step. The input projection `x_t @ kernel`
//! (without bias) of every step is one gemm over the whole batch, done by the layer before the
//! first step; the input side of the backward pass (`dK = Σ x_tᵀ · dg_t`, `db_in = Σ dg_t`,
//! `dx_t = dg_t · Kᵀ`) is likewise done once by the layer from the gate gradients the cell
//! writes.

use std::fmt::Debug;

use crate::data::rng::SplitMix64;
use crate::kernels::gemm::matmul_at_b_strided;
use crate::layers::recurrent::{RnnOptions, Weights};

/// The most states a cell carries (LSTM's `h` and `c`).
pub const MAX_STATES: usize = 2;

/// One forward step over the rows of a batch that are active at that step.
#[derive(Debug)]
pub struct ForwardStep<'a> {
    /// The packed row of row 0: row `r`'s per-row cache slot is `offset + r`.
    pub(crate) offset: usize,
    /// `real[r]`: whether row `r` is a real step (false: padding, the layer restores its
    /// states after the step).
    pub(crate) real: &'a [bool],
    /// `n × W`: on entry `x_t @ kernel` of each row (no bias). The cell may overwrite a row
    /// with what its backward needs (the activated gates); the layer keeps these rows and
    /// hands them back as [`BackwardStep::gates`].
    pub(crate) gates: &'a mut [f32],
    /// The states before the step, `n × u` each (entries past [`Cell::STATES`] are empty); a
    /// copy the layer keeps for the backward pass.
    pub(crate) prev: [&'a [f32]; MAX_STATES],
    /// Out: the states after the step, `n × u` each (the layer's state buffers, holding the
    /// states before the step on entry).
    pub(crate) state: [&'a mut [f32]; MAX_STATES],
}

/// One backward step (through time, last step first) over the rows active at that step.
#[derive(Debug)]
pub struct BackwardStep<'a> {
    /// As [`ForwardStep::offset`].
    pub(crate) offset: usize,
    /// As [`ForwardStep::real`]: the layer restores the state gradients of padded rows after
    /// the step.
    pub(crate) real: &'a [bool],
    /// `n × W`: the rows [`ForwardStep::gates`] held after the forward step.
    pub(crate) gates: &'a [f32],
    /// The states before the step, as in the forward step.
    pub(crate) prev: [&'a [f32]; MAX_STATES],
    /// `n × u` each: on entry `∂L/∂` the states after the step, on exit `∂L/∂` the states
    /// before it.
    pub(crate) dstate: [&'a mut [f32]; MAX_STATES],
    /// Out: `n × W`, the gradient with respect to the input side of the gates,
    /// `x_t @ kernel + b_in`, for the real rows; the other rows are zero and must stay so.
    pub(crate) dg: &'a mut [f32],
    /// `recurrent_kernelᵀ`, `W × u`.
    pub(crate) recurrent_t: &'a [f32],
}

/// The maths of one step of a recurrent layer (see the module docs for what the layer does
/// around it). Implemented by [`SimpleRnnCell`](super::SimpleRnnCell),
/// [`LstmCell`](super::LstmCell) and [`GruCell`](super::GruCell); sealed, so that the step
/// contract can change without breaking users.
///
/// Call order per share of a batch, each with its own [`Cell::Cache`]: [`Cell::reserve`],
/// then [`Cell::forward_step`] for each step in processing order; for training,
/// [`Cell::reserve_backward`], [`Cell::backward_step`] for each step in reverse, then, once
/// every share is done, [`Cell::recurrent_grads`] for each share in turn. The caches grow to
/// the largest share seen and never shrink, so no step allocates.
pub trait Cell: Clone + Debug + Send + Sync + sealed::Sealed {
    /// Keras's class name of the layer, for `summary()` and messages: `"LSTM"`.
    const KIND: &'static str;
    /// shaped's type name of the layer: `"Lstm"`.
    const TYPE_NAME: &'static str;
    /// Keras's snake-case layer name, which `Bidirectional` prefixes with `forward_` /
    /// `backward_` in weight names: `"lstm"`.
    const KERAS_NAME: &'static str;
    /// The states carried from step to step (Keras's `state_size`): 1 (`h`) or 2 (`h`, `c`).
    const STATES: usize;

    /// What the cell keeps per packed row from forward to backward, and its per-step scratch,
    /// for one share of a batch.
    type Cache: Clone + Debug + Default + Send;

    /// A cell of `units` units over `in_features` features, reading the cell's fields of
    /// `options` (activations, bias, `unit_forget_bias`, `reset_after`), with Keras's
    /// initialisers drawn from `rng`.
    fn new(in_features: usize, units: usize, options: &RnnOptions, rng: &mut SplitMix64) -> Self;

    /// The weights and their gradients.
    fn weights(&self) -> &Weights;

    /// [`Cell::weights`], writable.
    fn weights_mut(&mut self) -> &mut Weights;

    /// Grows `cache`'s per-row cache for `packed` rows and its per-step scratch for `batch`
    /// rows.
    fn reserve(&self, cache: &mut Self::Cache, packed: usize, batch: usize);

    /// One step forward: the new states from the previous ones and the input projection,
    /// keeping in `gates` and `cache` what [`Cell::backward_step`] needs.
    fn forward_step(&self, cache: &mut Self::Cache, step: ForwardStep<'_>);

    /// Grows what the backward pass needs in `cache` beyond [`Cell::reserve`].
    fn reserve_backward(&self, cache: &mut Self::Cache, packed: usize, batch: usize);

    /// One step backward: from `∂L/∂` the new states, the gate gradients of the real rows and
    /// `∂L/∂` the previous states, in place.
    fn backward_step(&self, cache: &mut Self::Cache, step: BackwardStep<'_>);

    /// After the last backward step of every share: one share's part of the recurrent
    /// kernel's gradient (and of any recurrent-side bias) from the states before each step,
    /// `h_prev` (`packed × u`, rows in packed order), the gate gradients `dg` (`packed × W`) of
    /// its `packed` rows and its `cache`; written for the first share, added for the others
    /// (`accumulate`).
    ///
    /// The default is `dU (+)= Σ_rows h_prevᵀ · dg`, for cells whose recurrent side is
    /// `h_{t−1} @ U` added to the gates.
    fn recurrent_grads(
        &mut self,
        _cache: &Self::Cache,
        packed: usize,
        h_prev: &[f32],
        dg: &[f32],
        accumulate: bool,
    ) {
        let w = self.weights_mut();
        let (u, width) = (w.units(), w.width());
        matmul_at_b_strided(u, packed, width, h_prev, u, dg, width, &mut w.recurrent_grad, width, accumulate);
    }
}

pub(crate) mod sealed {
    /// Keeps [`super::Cell`] implemented only by the cells of this crate.
    pub trait Sealed {}
}
