//! [`RnnOptions`]: the arguments `SimpleRNN`, `LSTM` and `GRU` share, with Keras's defaults.

use crate::layers::activation::Activation;

/// Configuration of a recurrent layer, named as Keras names its arguments.
///
/// [`RnnOptions::default`] is Keras 3's default for every field. Fields a layer has no use for
/// are ignored: `recurrent_activation` by `SimpleRNN`, `unit_forget_bias` by all but `LSTM`,
/// `reset_after` by all but `GRU`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RnnOptions {
    /// Output the whole sequence `[T, units]` instead of the last output `[units]`
    /// (default `false`).
    pub return_sequences: bool,
    /// Process steps `T−1 … 0`; the sequence output is in processing order, so output step `k`
    /// belongs to input step `T−1−k` (default `false`).
    pub go_backwards: bool,
    /// The activation of the candidate (SimpleRNN: of the new state; LSTM: of `g` and of the
    /// cell state) (default [`Activation::Tanh`]).
    pub activation: Activation,
    /// The activation of the gates: LSTM `i, f, o`, GRU `z, r` (default
    /// [`Activation::Sigmoid`], Keras 3's true sigmoid).
    pub recurrent_activation: Activation,
    /// Whether the layer has a bias (default `true`).
    pub use_bias: bool,
    /// LSTM only: start the forget-gate block of the bias at 1 (default `true`).
    pub unit_forget_bias: bool,
    /// GRU only: apply the reset gate after the recurrent matmul, with a separate recurrent
    /// bias, bias shape `(2, 3u)` (default `true`); `false` applies it before, bias `(3u,)`.
    pub reset_after: bool,
    /// Output zeros at masked steps instead of the previous output (default `false`;
    /// `Bidirectional` sets it when returning sequences, as Keras does).
    pub zero_output_for_mask: bool,
}

impl Default for RnnOptions {
    /// Keras 3's defaults: last output only, forwards, tanh / sigmoid, with bias,
    /// `unit_forget_bias`, `reset_after`, previous output at masked steps.
    fn default() -> Self {
        RnnOptions {
            return_sequences: false,
            go_backwards: false,
            activation: Activation::Tanh,
            recurrent_activation: Activation::Sigmoid,
            use_bias: true,
            unit_forget_bias: true,
            reset_after: true,
            zero_output_for_mask: false,
        }
    }
}
