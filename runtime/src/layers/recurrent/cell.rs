//! [`Cell`]: the maths of one time step of a recurrent layer, as Keras's `SimpleRNNCell`,
//! `LSTMCell` and `GRUCell`; [`Rnn`](super::Rnn) runs a cell over sequences.
//!
//! The split is Keras's (`keras/src/layers/rnn/rnn.py`): a cell owns its weights
//! (`kernel`, `recurrent_kernel`, `bias`), says how many states it carries (`h`, or `h` and
//! `c`) and computes one step, forward and backward, for the rows of one step; the layer owns
//! everything about the sequence: the loop over time, masks, `go_backwards`, the outputs, the
//! buffers kept between calls, and the errors.
//!
//! What a step sees (shapes per step of `n` rows, `u` units, gate width `W = G·u`): row `r` is
//! packed row `offset + r` of the batch (a cell keeps its own per-row cache at that index, from
//! forward to backward); `real[r]` is false where the row's step is padding. Each state is an
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
/// Call order per batch: [`Cell::reserve`], then [`Cell::forward_step`] for each step in
/// processing order; for training, [`Cell::reserve_backward`], [`Cell::backward_step`] for
/// each step in reverse, then [`Cell::recurrent_grads`]. The cell's buffers grow to the
/// largest batch seen and never shrink, so no step allocates.
pub trait Cell: Clone + Debug + sealed::Sealed {
    /// Keras's class name of the layer, for `summary()` and messages: `"LSTM"`.
    const KIND: &'static str;
    /// shaped's type name of the layer: `"Lstm"`.
    const TYPE_NAME: &'static str;
    /// Keras's snake-case layer name, which `Bidirectional` prefixes with `forward_` /
    /// `backward_` in weight names: `"lstm"`.
    const KERAS_NAME: &'static str;
    /// The states carried from step to step (Keras's `state_size`): 1 (`h`) or 2 (`h`, `c`).
    const STATES: usize;

    /// A cell of `units` units over `in_features` features, reading the cell's fields of
    /// `options` (activations, bias, `unit_forget_bias`, `reset_after`), with Keras's
    /// initialisers drawn from `rng`.
    fn new(in_features: usize, units: usize, options: &RnnOptions, rng: &mut SplitMix64) -> Self;

    /// The weights and their gradients.
    fn weights(&self) -> &Weights;

    /// [`Cell::weights`], writable.
    fn weights_mut(&mut self) -> &mut Weights;

    /// Grows the per-row cache for `packed` rows and the per-step scratch for `batch` rows.
    fn reserve(&mut self, packed: usize, batch: usize);

    /// One step forward: the new states from the previous ones and the input projection,
    /// keeping in `gates` and the cache what [`Cell::backward_step`] needs.
    fn forward_step(&mut self, step: ForwardStep<'_>);

    /// Grows what the backward pass needs beyond [`Cell::reserve`].
    fn reserve_backward(&mut self, packed: usize, batch: usize);

    /// One step backward: from `∂L/∂` the new states, the gate gradients of the real rows and
    /// `∂L/∂` the previous states, in place.
    fn backward_step(&mut self, step: BackwardStep<'_>);

    /// After the last backward step: the recurrent kernel's gradient (and any recurrent-side
    /// bias) from the states before each step, `h_prev` (`packed × u`, rows in packed order)
    /// and the gate gradients `dg` (`packed × W`) of all `packed` rows.
    ///
    /// The default is `dU = Σ_rows h_prevᵀ · dg`, for cells whose recurrent side is
    /// `h_{t−1} @ U` added to the gates.
    fn recurrent_grads(&mut self, packed: usize, h_prev: &[f32], dg: &[f32]) {
        let w = self.weights_mut();
        let (u, width) = (w.units(), w.width());
        matmul_at_b_strided(u, packed, width, h_prev, u, dg, width, &mut w.recurrent_grad, width);
    }
}

pub(crate) mod sealed {
    /// Keeps [`super::Cell`] implemented only by the cells of this crate.
    pub trait Sealed {}
}
