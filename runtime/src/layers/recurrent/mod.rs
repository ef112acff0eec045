//! Recurrent layers: `SimpleRNN`, `LSTM`, `GRU` and the `Bidirectional` wrapper, as Keras 3.
//!
//! Shape contract (per sample, time first): input `[T, F]` → output `[T, units]` with
//! `return_sequences`, else `[units]`; `T` may change from batch to batch. Weights in Keras
//! layout and gate order, computed as `x @ K` (see each cell). The initial state is zero.
//!
//! As in Keras (`keras/src/layers/rnn/rnn.py`), a layer is a [`Cell`] (one step's maths: its
//! weights, its states, one step forward and backward) run over sequences by the generic
//! [`Rnn`] (the loop over time, masks, `go_backwards`, `return_sequences`,
//! `zero_output_for_mask`, the buffers reused across calls, errors):
//!
//! - `rnn.rs`: [`Rnn`], and the masking rule: at a masked step the states are carried and the
//!   output is the previous output (or zeros with `zero_output_for_mask`);
//! - `cell.rs`: the [`Cell`] contract and what each step receives;
//! - `simple_rnn.rs`, `lstm.rs`, `gru.rs`: the cells, and the layers [`SimpleRnn`], [`Lstm`],
//!   [`Gru`] as aliases of `Rnn<cell>`;
//! - `timeline.rs`: how a batch is laid out (time-major, sorted by length, packed) and the
//!   input checks; `weights.rs`: [`Weights`], `kernel`, `recurrent_kernel`, `bias` with their
//!   gradients; `gates.rs`: gate activations;
//! - `bidirectional.rs`: [`Bidirectional`] over any layer that is [`Recurrent`];
//!   `options.rs`: [`RnnOptions`].
//!
//! Sigmoid and tanh gates use the branch-free rational approximations of
//! [`crate::kernels::activation`] (within 5e-7 of the exact values) that the compiler
//! vectorises; other activations go through [`crate::layers::Activation`]. The default LSTM
//! (tanh, sigmoid) fuses each step's gate activations and cell into one pass per row
//! ([`crate::kernels::lstm_gates`], compiled for the CPU's widest vector unit).
//!
//! A batch runs in shares of its samples, side by side on the kernel threads (see [`Rnn`]).

mod bidirectional;
mod cell;
mod gates;
mod gru;
mod lstm;
mod options;
mod rnn;
mod simple_rnn;
mod timeline;
mod weights;

pub use bidirectional::{Bidirectional, MergeMode, Recurrent};
pub use cell::{BackwardStep, Cell, ForwardStep, MAX_STATES};
pub use gru::{Gru, GruCache, GruCell};
pub use lstm::{Lstm, LstmCache, LstmCell};
pub use options::RnnOptions;
pub use rnn::Rnn;
pub use simple_rnn::{SimpleRnn, SimpleRnnCache, SimpleRnnCell};
pub use weights::Weights;
