//! Recurrent layers: `SimpleRNN`, `LSTM`, `GRU` and the `Bidirectional` wrapper, as Keras 3.
//!
//! Shape contract (per sample, time first): input `[T, F]` → output `[T, units]` with
//! `return_sequences`, else `[units]`; `T` may change from batch to batch. Weights in Keras
//! layout and gate order, computed as `x @ K` (see each layer). The initial state is zero.
//!
//! Masks (`mask[b · T + t]`, 0.0 = padding), as Keras's `backend.rnn`: at a masked step the
//! state (`h`, and `c` for LSTM) is carried unchanged and the output is the previous output
//! (zeros before the first real step), or zeros with `zero_output_for_mask`; the last output
//! is the output of the last processed step. `go_backwards` processes `T−1 … 0` and returns the
//! sequence in processing order.
//!
//! How the work is laid out (all layers), see `Timeline`: the batch is copied once into a
//! time-major buffer in processing order, its rows sorted by their number of real steps, and
//! packed like PyTorch's `PackedSequence`: step `s` keeps only rows `0..active[s]` (up to its
//! last real row), so for post- or pre-padded batches no work is done for padding at all. The
//! state of every sample lives in one `batch × units` buffer that masked rows simply leave
//! alone. Then:
//! - forward: one gemm projects every packed row, `X (P × F) @ K + b`; each step adds
//!   `h_{t−1} @ U` for its rows (one gemm) and applies the gates;
//! - backward through time: per step, the gate gradients of its rows and one gemm
//!   `dgates @ Uᵀ` for `dh_{t−1}`; masked rows get zero gate gradients and keep `dh` (and
//!   `dc`) unchanged, since their state was carried; then one gemm each for
//!   `dU = H_{t−1}ᵀ · dgates`, `dK = Xᵀ · dgates` and `dx = dgates · Kᵀ` over all packed rows.
//!
//! Every buffer grows to the largest batch seen and never shrinks: after the first batch of a
//! given size, forward and backward allocate nothing.
//!
//! Sigmoid and tanh gates use a branch-free rational approximation of tanh (within 5e-7 of
//! the exact value, see `kernels::activation::tanh`) that the compiler vectorises; other activations go through
//! [`Activation`]. The default LSTM (tanh, sigmoid) fuses each step's gate activations into
//! one pass per row.

mod bidirectional;
mod gru;
mod lstm;
mod options;
mod simple_rnn;

pub use bidirectional::{Bidirectional, MergeMode};
pub use gru::Gru;
pub use lstm::Lstm;
pub use options::RnnOptions;
pub use simple_rnn::SimpleRnn;

use crate::data::rng::SplitMix64;
use crate::error::{Error, Result};
use crate::kernels::activation::{sigmoid, tanh};
use crate::kernels::gemm::{matmul_a_bt_with, matmul_at_b_strided};
use crate::kernels::rowwise::column_sums;
use crate::layers::activation::Activation;
use crate::layers::activation::ActivationFn;
use crate::layers::init::{glorot_uniform, orthogonal};
use crate::layers::stage::Stage;
use crate::layers::{Param, ParamMut};
use crate::shape::Dims;

/// What [`Bidirectional`] needs from the layer it wraps.
pub trait Recurrent: Stage {
    /// The layer's units (the width of its state and of each output step).
    fn units(&self) -> usize;

    /// The features of each input step.
    fn in_features(&self) -> usize;

    /// The layer's configuration.
    fn options(&self) -> &RnnOptions;

    /// Keras's snake-case name of the layer type (`"lstm"`), which `Bidirectional` prefixes
    /// with `forward_` / `backward_` in its weight names.
    fn keras_name(&self) -> &'static str;

    /// Sets [`RnnOptions::zero_output_for_mask`] (what Keras's `Bidirectional` forces).
    fn set_zero_output_for_mask(&mut self, zero: bool);

    /// A new layer with the same configuration except `go_backwards`, and fresh weights drawn
    /// from `rng` with the layer's initialisers.
    fn sibling(&self, go_backwards: bool, rng: &mut SplitMix64) -> Self
    where
        Self: Sized;
}

/// The weights every recurrent layer has, in Keras layout and order: `kernel (in, G·u)`,
/// `recurrent_kernel (u, G·u)` and, with `use_bias`, `bias` (shape given by the layer), for
/// `G` gate blocks of `u` units; with their gradients.
#[derive(Clone, Debug)]
pub(crate) struct Weights {
    pub kernel: Vec<f32>,
    pub recurrent: Vec<f32>,
    pub bias: Vec<f32>,
    pub kernel_grad: Vec<f32>,
    pub recurrent_grad: Vec<f32>,
    pub bias_grad: Vec<f32>,
    kernel_shape: [usize; 2],
    recurrent_shape: [usize; 2],
    bias_shape: Vec<usize>,
    /// `<cell>/kernel`, `<cell>/recurrent_kernel`, `<cell>/bias`.
    names: [&'static str; 3],
}

impl Weights {
    /// Keras's initialisers: glorot_uniform kernel (fans `in`, `G·u`), orthogonal recurrent
    /// kernel, zero bias (`bias_shape` empty: no bias).
    pub fn new(
        in_features: usize,
        units: usize,
        gates: usize,
        bias_shape: &[usize],
        names: [&'static str; 3],
        rng: &mut SplitMix64,
    ) -> Self {
        let width = gates * units;
        let mut kernel = vec![0.0; in_features * width];
        glorot_uniform(rng, in_features, width, &mut kernel);
        let mut recurrent = vec![0.0; units * width];
        orthogonal(rng, units, width, &mut recurrent);
        let bias_len = if bias_shape.is_empty() { 0 } else { bias_shape.iter().product() };
        Weights {
            kernel_grad: vec![0.0; kernel.len()],
            recurrent_grad: vec![0.0; recurrent.len()],
            bias_grad: vec![0.0; bias_len],
            kernel,
            recurrent,
            bias: vec![0.0; bias_len],
            kernel_shape: [in_features, width],
            recurrent_shape: [units, width],
            bias_shape: bias_shape.to_vec(),
            names,
        }
    }

    /// Visits kernel, recurrent kernel and (if any) bias, in Keras order.
    pub fn visit(&self, visit: &mut dyn FnMut(Param<'_>)) {
        let [k, r, b] = self.names;
        visit(Param { name: k, shape: &self.kernel_shape, data: &self.kernel, grad: &self.kernel_grad });
        visit(Param {
            name: r,
            shape: &self.recurrent_shape,
            data: &self.recurrent,
            grad: &self.recurrent_grad,
        });
        if !self.bias.is_empty() {
            visit(Param { name: b, shape: &self.bias_shape, data: &self.bias, grad: &self.bias_grad });
        }
    }

    /// [`Weights::visit`], writable.
    pub fn visit_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        let [k, r, b] = self.names;
        visit(ParamMut {
            name: k,
            shape: &self.kernel_shape,
            data: &mut self.kernel,
            grad: &mut self.kernel_grad,
        });
        visit(ParamMut {
            name: r,
            shape: &self.recurrent_shape,
            data: &mut self.recurrent,
            grad: &mut self.recurrent_grad,
        });
        if !self.bias.is_empty() {
            visit(ParamMut {
                name: b,
                shape: &self.bias_shape,
                data: &mut self.bias,
                grad: &mut self.bias_grad,
            });
        }
    }
}

/// `[T, units]` with `return_sequences`, else `[units]`, for an input `[T, in_features]`;
/// `Err` naming both shapes otherwise.
pub(crate) fn sequence_output_dims(
    kind: &str,
    in_features: usize,
    units: usize,
    return_sequences: bool,
    input: Dims,
) -> Result<Dims> {
    let steps = check_input(kind, in_features, input)?;
    let dims = if return_sequences { Dims::new(&[steps, units]) } else { Dims::new(&[units]) };
    dims.ok_or_else(|| Error::shape(format!("output of `{kind}`"), "rank ≤ 5", input.with_batch_none()))
}

/// The steps `T` of an input `[T, in_features]`; `Err` naming both shapes otherwise.
fn check_input(kind: &str, in_features: usize, input: Dims) -> Result<usize> {
    match input.as_slice() {
        &[steps, features] if features == in_features => Ok(steps),
        _ => Err(Error::shape(
            format!("input of `{kind}`"),
            format!("(None, None, {in_features})"),
            input.with_batch_none(),
        )),
    }
}

/// `Err` unless the `what` buffer (`"input"`, `"mask"`, …) of layer `kind` has the length the
/// shapes call for; the message is only built on error.
pub(crate) fn check_len(kind: &str, what: &str, needed: usize, found: usize) -> Result<()> {
    if needed == found {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            context: format!("{what} of `{kind}` and its buffer (needed, given)"),
            left: needed,
            right: found,
        })
    }
}

pub(crate) use crate::buffer::grow;

/// One batch laid out for a recurrent layer: time-major, in processing order, rows sorted by
/// their number of real steps (most first), and packed: step `s` keeps only its rows
/// `0..active[s]`, the ones up to its last real row.
///
/// Row `r` of every step is sample `order[r]`; processing step `s` reads input step
/// [`Timeline::input_step`]`(s)`. Per-step data of a layer (gates, previous states) lives in
/// packed rows: row `r < active[s]` of step `s` is packed row `offset[s] + r`. Rows at or past
/// `active[s]` are padding at step `s`: they keep their state, and the layer does no work for
/// them. For post- or pre-padded batches the packed rows are exactly the real steps.
#[derive(Clone, Debug, Default)]
pub(crate) struct Timeline {
    /// Samples in the batch.
    pub batch: usize,
    /// Time steps `T` of every sample.
    pub steps: usize,
    /// Features per step.
    pub features: usize,
    /// Whether processing runs `T−1 … 0`.
    pub go_backwards: bool,
    /// `order[r]`: the sample at row `r`.
    pub order: Vec<usize>,
    /// `real[s · batch + r]`: whether row `r` is a real (unmasked) step at processing step `s`.
    pub real: Vec<bool>,
    /// `active[s]`: one past the last real row of processing step `s`.
    pub active: Vec<usize>,
    /// `offset[s]`: the first packed row of step `s`; `offset[T]` is the number of packed rows.
    pub offset: Vec<usize>,
    /// The input of the packed rows, `packed × features`.
    pub xt: Vec<f32>,
    /// Real steps per sample (scratch for the sort).
    counts: Vec<usize>,
    /// Whether `forward` has run since the layer was built (backward needs its buffers).
    pub ready: bool,
}

impl Timeline {
    /// Checks the input and mask against the layer and lays the batch out.
    #[allow(clippy::too_many_arguments)]
    pub fn prepare(
        &mut self,
        kind: &str,
        x: &[f32],
        in_dims: Dims,
        batch: usize,
        mask: Option<&[f32]>,
        features: usize,
        go_backwards: bool,
    ) -> Result<()> {
        let steps = check_input(kind, features, in_dims)?;
        check_len(kind, "input", batch * steps * features, x.len())?;
        if let Some(mask) = mask {
            check_len(kind, "mask (batch · steps)", batch * steps, mask.len())?;
        }
        self.batch = batch;
        self.steps = steps;
        self.features = features;
        self.go_backwards = go_backwards;
        grow(&mut self.order, batch);
        grow(&mut self.counts, batch);
        grow(&mut self.real, steps * batch);
        grow(&mut self.active, steps);
        grow(&mut self.offset, steps + 1);
        for (b, slot) in self.order[..batch].iter_mut().enumerate() {
            *slot = b;
        }
        match mask {
            None => {
                self.real[..steps * batch].fill(true);
                self.active[..steps].fill(batch);
            }
            Some(mask) => {
                for (b, count) in self.counts[..batch].iter_mut().enumerate() {
                    *count = mask[b * steps..(b + 1) * steps].iter().filter(|&&m| m != 0.0).count();
                }
                let counts = &self.counts;
                self.order[..batch].sort_unstable_by_key(|&b| (std::cmp::Reverse(counts[b]), b));
                for s in 0..steps {
                    let t = if go_backwards { steps - 1 - s } else { s };
                    let mut active = 0;
                    for r in 0..batch {
                        let real = mask[self.order[r] * steps + t] != 0.0;
                        self.real[s * batch + r] = real;
                        if real {
                            active = r + 1;
                        }
                    }
                    self.active[s] = active;
                }
            }
        }
        self.offset[0] = 0;
        for s in 0..steps {
            self.offset[s + 1] = self.offset[s] + self.active[s];
        }
        let packed = self.packed();
        grow(&mut self.xt, packed * features);
        for s in 0..steps {
            let t = self.input_step(s);
            for r in 0..self.active[s] {
                let src = (self.order[r] * steps + t) * features;
                let dst = (self.offset[s] + r) * features;
                self.xt[dst..dst + features].copy_from_slice(&x[src..src + features]);
            }
        }
        self.ready = true;
        Ok(())
    }

    /// The number of packed rows (`T · batch` without a mask).
    pub fn packed(&self) -> usize {
        self.offset[self.steps]
    }

    /// The input step processed at processing step `s`.
    pub fn input_step(&self, s: usize) -> usize {
        if self.go_backwards {
            self.steps - 1 - s
        } else {
            s
        }
    }

    /// Whether row `r` is a real step at processing step `s`.
    pub fn is_real(&self, s: usize, r: usize) -> bool {
        self.real[s * self.batch + r]
    }

    /// `Err` unless the last forward ran on this batch (backward reads its buffers).
    pub fn check_backward(
        &self,
        kind: &str,
        features: usize,
        x: &[f32],
        in_dims: Dims,
        batch: usize,
    ) -> Result<()> {
        let steps = check_input(kind, features, in_dims)?;
        if !self.ready || steps != self.steps || batch != self.batch {
            return Err(Error::InvalidArgument {
                name: "backward",
                detail: format!(
                    "`{kind}` backward needs the forward pass of the same batch first: called on \
                     {batch} × {in_dims}, last forward was {} × [{}, {}]",
                    self.batch, self.steps, self.features
                ),
            });
        }
        check_len(kind, "input", batch * steps * self.features, x.len())
    }

    /// Writes the output of step `s` (`return_sequences`) from the state after it, `h`
    /// (`batch × units`, by row): zeros at masked steps when `zero_output`.
    pub fn write_step(&self, s: usize, h: &[f32], units: usize, zero_output: bool, y: &mut [f32]) {
        for r in 0..self.batch {
            let dst = (self.order[r] * self.steps + s) * units;
            if zero_output && !self.is_real(s, r) {
                y[dst..dst + units].fill(0.0);
            } else {
                y[dst..dst + units].copy_from_slice(&h[r * units..(r + 1) * units]);
            }
        }
    }

    /// Writes the last output (no `return_sequences`) from the final state `h`: zeros when
    /// the last step is masked and `zero_output`, or when there are no steps.
    pub fn write_last(&self, h: &[f32], units: usize, zero_output: bool, y: &mut [f32]) {
        for r in 0..self.batch {
            let dst = self.order[r] * units;
            if self.steps == 0 || (zero_output && !self.is_real(self.steps - 1, r)) {
                y[dst..dst + units].fill(0.0);
            } else {
                y[dst..dst + units].copy_from_slice(&h[r * units..(r + 1) * units]);
            }
        }
    }

    /// `dh += ∂L/∂output_s` for every row (the output of step `s` is the state after it,
    /// except a zeroed masked output, which gets no gradient).
    pub fn add_output_grad(
        &self,
        s: usize,
        dy: &[f32],
        units: usize,
        sequences: bool,
        zero_output: bool,
        dh: &mut [f32],
    ) {
        let (batch, steps) = (self.batch, self.steps);
        if !sequences && s + 1 != steps {
            return;
        }
        for r in 0..batch {
            if zero_output && !self.is_real(s, r) {
                continue;
            }
            let b = self.order[r];
            let src = if sequences { (b * steps + s) * units } else { b * units };
            for (d, g) in dh[r * units..(r + 1) * units].iter_mut().zip(&dy[src..src + units]) {
                *d += g;
            }
        }
    }

    /// Writes `dx` (sample-major, input order) from the packed input gradient `dxt`; steps
    /// outside the packed rows (padding) get zero.
    pub fn scatter_input_grad(&self, dxt: &[f32], dx: &mut [f32]) {
        let (steps, f) = (self.steps, self.features);
        dx.fill(0.0);
        for s in 0..steps {
            let t = self.input_step(s);
            for r in 0..self.active[s] {
                let dst = (self.order[r] * steps + t) * f;
                let src = (self.offset[s] + r) * f;
                dx[dst..dst + f].copy_from_slice(&dxt[src..src + f]);
            }
        }
    }
}

/// The input side of the backward pass for every packed row at once, from the input-side gate
/// gradients `dg` (`packed × width`, zero at masked rows): `dK = Xᵀ · dg`, `db = Σ_rows dg`
/// (when `bias_grad` is not empty) and, when `dx` is given, `dx = dg · Kᵀ` scattered back to
/// the input's layout (zero at padding).
#[allow(clippy::too_many_arguments)]
pub(crate) fn input_backward(
    tl: &Timeline,
    dg: &[f32],
    kernel: &[f32],
    kernel_grad: &mut [f32],
    bias_grad: &mut [f32],
    kernel_t: &mut Vec<f32>,
    dxt: &mut Vec<f32>,
    dx: Option<&mut [f32]>,
) {
    let rows = tl.packed();
    let f = tl.features;
    let width = kernel.len() / f.max(1);
    matmul_at_b_strided(f, rows, width, &tl.xt[..rows * f], f, dg, width, kernel_grad, width);
    column_sums(dg, bias_grad);
    if let Some(dx) = dx {
        grow(dxt, rows * f);
        matmul_a_bt_with(rows, width, f, dg, kernel, &mut dxt[..rows * f], false, kernel_t);
        tl.scatter_input_grad(&dxt[..rows * f], dx);
    }
}

// ---- activations of gates, with fast paths for the defaults ----

/// `values ← act(values)`: elementwise, or for softmax over each block of `block` values (a
/// gate's `units`, as Keras applies it to each gate separately).
///
/// Sigmoid and tanh take the branch-free [`sigmoid`] and [`tanh`] of `kernels`, which the
/// compiler vectorises; everything else goes through [`Activation::forward_in_place`].
pub(crate) fn activate(act: Activation, values: &mut [f32], block: usize) {
    match act {
        Activation::Linear => {}
        Activation::Sigmoid => values.iter_mut().for_each(|v| *v = sigmoid(*v)),
        Activation::Tanh => values.iter_mut().for_each(|v| *v = tanh(*v)),
        Activation::Softmax => {
            for chunk in values.chunks_exact_mut(block.max(1)) {
                act.forward_in_place(chunk, block);
            }
        }
        other => other.forward_in_place(values, block.max(1)),
    }
}

/// `d ← d ⊙ act'(z)` in place, with `y = act(z)` (`z` is read only when
/// [`Activation::backward_needs_input`]; softmax per block of `block` values).
pub(crate) fn activation_grad(
    act: Activation,
    z: &[f32],
    y: &[f32],
    d: &mut [f32],
    block: usize,
    scratch: &mut Vec<f32>,
) {
    match act {
        Activation::Linear => {}
        Activation::Sigmoid => d.iter_mut().zip(y).for_each(|(d, &y)| *d *= y * (1.0 - y)),
        Activation::Tanh => d.iter_mut().zip(y).for_each(|(d, &y)| *d *= 1.0 - y * y),
        other => {
            grow(scratch, d.len());
            let dy = &mut scratch[..d.len()];
            dy.copy_from_slice(d);
            let z = if other.backward_needs_input() { z } else { &[][..] };
            other.backward(z, y, dy, d, block.max(1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeline_puts_the_longest_rows_first() {
        // Lengths 2, 4, 3 (post-padded): rows are samples 1, 2, 0; active rows shrink 3, 3, 2, 1.
        let mask = [1., 1., 0., 0., 1., 1., 1., 1., 1., 1., 1., 0.];
        let x: Vec<f32> = (0..12).map(|v| v as f32).collect();
        let mut tl = Timeline::default();
        tl.prepare("LSTM", &x, Dims::new(&[4, 1]).unwrap(), 3, Some(&mask), 1, false).unwrap();
        assert_eq!(&tl.order[..3], &[1, 2, 0]);
        assert_eq!(&tl.active[..4], &[3, 3, 2, 1]);
        assert_eq!(&tl.offset[..5], &[0, 3, 6, 8, 9]);
        // Packed: only the real steps, time-major.
        assert_eq!(&tl.xt[..9], &[4., 8., 0., 5., 9., 1., 6., 10., 7.]);
        // Backwards: step 0 reads input step 3, where only sample 1 is real.
        tl.prepare("LSTM", &x, Dims::new(&[4, 1]).unwrap(), 3, Some(&mask), 1, true).unwrap();
        assert_eq!(&tl.active[..4], &[1, 2, 3, 3]);
        assert_eq!(&tl.xt[..9], &[7., 6., 10., 5., 9., 1., 4., 8., 0.]);
        // A gap inside a sequence: rows up to the last real one are packed, masked or not.
        let mask = [1., 0., 1., 1., 1., 1.];
        tl.prepare("GRU", &[0.0; 6], Dims::new(&[3, 1]).unwrap(), 2, Some(&mask), 1, false).unwrap();
        assert_eq!((&tl.order[..2], &tl.active[..3], tl.packed()), (&[1, 0][..], &[2, 1, 2][..], 5));
        assert!(!tl.is_real(1, 1) && tl.is_real(2, 1));
    }

    #[test]
    fn bad_input_and_mask_are_errors() {
        let mut tl = Timeline::default();
        let dims = Dims::new(&[4, 2]).unwrap();
        let err = tl.prepare("GRU", &[0.0; 16], Dims::new(&[4, 3]).unwrap(), 2, None, 2, false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "input of `GRU` must have shape (None, None, 2), but has shape (None, 4, 3)"
        );
        assert!(tl.prepare("GRU", &[0.0; 15], dims, 2, None, 2, false).is_err());
        assert!(tl.prepare("GRU", &[0.0; 16], dims, 2, Some(&[1.0; 7]), 2, false).is_err());
        assert!(tl.prepare("GRU", &[0.0; 16], dims, 2, Some(&[1.0; 8]), 2, false).is_ok());
    }
}
