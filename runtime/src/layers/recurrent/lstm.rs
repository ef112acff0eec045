//! `LSTM(units)`, Keras 3's implementation 2 (one matmul for all four gates): the layer
//! [`Lstm`] is [`Rnn`] over an [`LstmCell`].
//!
//! Shape contract: input `[T, F]` → `[T, units]` with `return_sequences`, else `[units]`.
//! Weights (Keras layout, gate blocks `i, f, c, o` of `u` columns each; names relative to the
//! layer): `lstm_cell/kernel (F, 4u)`, `lstm_cell/recurrent_kernel (u, 4u)`,
//! `lstm_cell/bias (4u,)`; with `unit_forget_bias` the bias starts at `[0]·u ++ [1]·u ++ [0]·2u`.
//!
//! Forward, with `σ` the recurrent activation and `φ` the activation:
//! ```text
//! a = x_t @ K + h_{t−1} @ U + b;  i = σ(a_i), f = σ(a_f), g = φ(a_c), o = σ(a_o)
//! c_t = f ⊙ c_{t−1} + i ⊙ g;  h_t = o ⊙ φ(c_t);  output h_t
//! ```
//! Backward: `dc = dc_t + dh_t ⊙ o ⊙ φ'(c_t)`; `da_i = dc ⊙ g ⊙ σ'`, `da_f = dc ⊙ c_{t−1} ⊙ σ'`,
//! `da_c = dc ⊙ i ⊙ φ'`, `da_o = dh_t ⊙ φ(c_t) ⊙ σ'`; `dc_{t−1} = dc ⊙ f`,
//! `dh_{t−1} = da U ᵀ`; `dU = Σ h_{t−1}ᵀ da`, `dK = Σ x_tᵀ da`, `db = Σ da`, `dx_t = da Kᵀ`.

use crate::buffer::grow;
use crate::data::rng::SplitMix64;
use crate::kernels::gemm::matmul;
use crate::kernels::lstm_gates::{lstm_backward_row, lstm_forward_row};
use crate::kernels::rowwise::add_to_rows;
use crate::layers::activation::{Activation, ActivationFn};
use crate::layers::recurrent::cell::{sealed, BackwardStep, Cell, ForwardStep};
use crate::layers::recurrent::gates::{activate, activation_grad};
use crate::layers::recurrent::{Rnn, RnnOptions, Weights};

/// `LSTM(units)`, a long short-term memory layer: input `[T, F]` → `[T, units]` with
/// `return_sequences`, else `[units]`; each step as [`LstmCell`] (see [`Rnn`] for masks and
/// directions).
pub type Lstm = Rnn<LstmCell>;

/// The step of [`Lstm`], Keras's `LSTMCell`: with `σ` the recurrent activation and `φ` the
/// activation, `a = x_t @ K + h_{t−1} @ U + b`, `i = σ(a_i), f = σ(a_f), g = φ(a_c),
/// o = σ(a_o)`, `c_t = f ⊙ c_{t−1} + i ⊙ g`, `h_t = o ⊙ φ(c_t)`. Two states, `h` and `c`
/// (`u` values each); four gate blocks `i, f, c, o` (`W = 4u`). Initialisers: glorot-uniform
/// kernel, orthogonal recurrent kernel, zero bias with the forget block at 1 when
/// `unit_forget_bias`.
#[derive(Clone, Debug)]
pub struct LstmCell {
    activation: Activation,
    recurrent_activation: Activation,
    weights: Weights,
    /// `[k; d; 0]`, `4u` each, for the default activations: gate `= k tanh(k a) + d`, which
    /// is `σ(a)` with `k = d = ½` (blocks i, f, o) and `tanh(a)` with `k = 1, d = 0` (block
    /// g); the zeros stand in for a missing bias.
    gate_affine: Vec<f32>,
}

/// What [`LstmCell`] keeps for one share of a batch.
#[derive(Clone, Debug, Default)]
pub struct LstmCache {
    /// Gate pre-activations per packed row, kept only for activations whose derivative needs
    /// them.
    pre: Vec<f32>,
    /// Per packed row: the new cell state `c_t` (not kept with the default activations) and
    /// `φ(c_t)`.
    cs: Vec<f32>,
    tcs: Vec<f32>,
    /// `u` values: `dh ⊙ o`, then its gradient through `φ(c)`.
    dtc: Vec<f32>,
    scratch: Vec<f32>,
}

impl LstmCell {
    fn needs_pre(&self) -> bool {
        self.activation.backward_needs_input() || self.recurrent_activation.backward_needs_input()
    }

    /// Whether the activations are Keras's defaults (tanh, sigmoid), which take the fused path.
    fn defaults(&self) -> bool {
        self.activation == Activation::Tanh && self.recurrent_activation == Activation::Sigmoid
    }
}

impl sealed::Sealed for LstmCell {}

impl Cell for LstmCell {
    const KIND: &'static str = "LSTM";
    const TYPE_NAME: &'static str = "Lstm";
    const KERAS_NAME: &'static str = "lstm";
    const STATES: usize = 2;
    type Cache = LstmCache;

    fn new(in_features: usize, units: usize, options: &RnnOptions, rng: &mut SplitMix64) -> Self {
        let bias_shape = [4 * units];
        let bias: &[usize] = if options.use_bias { &bias_shape } else { &[] };
        let names = ["lstm_cell/kernel", "lstm_cell/recurrent_kernel", "lstm_cell/bias"];
        let mut weights = Weights::new(in_features, units, 4, bias, names, rng);
        if options.use_bias && options.unit_forget_bias {
            weights.bias[units..2 * units].fill(1.0);
        }
        LstmCell {
            activation: options.activation,
            recurrent_activation: options.recurrent_activation,
            weights,
            gate_affine: (0..12 * units)
                .map(|j| {
                    let (part, block) = (j / (4 * units), (j % (4 * units)) / units);
                    match (part, block == 2) {
                        (0, true) => 1.0,
                        (0 | 1, false) => 0.5,
                        _ => 0.0,
                    }
                })
                .collect(),
        }
    }

    fn weights(&self) -> &Weights {
        &self.weights
    }

    fn weights_mut(&mut self) -> &mut Weights {
        &mut self.weights
    }

    fn reserve(&self, cache: &mut LstmCache, packed: usize, _batch: usize) {
        let u = self.weights.units();
        grow(&mut cache.cs, packed * u);
        grow(&mut cache.tcs, packed * u);
        if self.needs_pre() {
            grow(&mut cache.pre, packed * 4 * u);
        }
    }

    /// `gates ← [i, f, g, o]` (activated) per real row, `φ(c_t)` (and `c_t`) kept per packed
    /// row; the new `h` and `c` from them.
    fn forward_step(&self, cache: &mut LstmCache, step: ForwardStep<'_>) {
        let ForwardStep { offset: o, real, gates: gs, prev: [h_prev, c_prev], state: [h, c] } = step;
        let (defaults, needs_pre) = (self.defaults(), self.needs_pre());
        let LstmCell { activation: act, recurrent_activation: ract, weights: w, gate_affine } = self;
        let LstmCache { pre, cs, tcs, .. } = cache;
        let (act, ract) = (*act, *ract);
        let (u, n) = (w.units(), real.len());
        let g4 = 4 * u;
        matmul(n, u, g4, h_prev, &w.recurrent, gs, true);
        for (r, &is_real) in real.iter().enumerate() {
            if !is_real {
                continue;
            }
            let row = &mut gs[r * g4..(r + 1) * g4];
            let at = (o + r) * u..(o + r + 1) * u;
            let state = r * u..(r + 1) * u;
            if defaults {
                // Bias, σ(x) = ½ tanh(½x) + ½ on i, f, o and tanh on g, and the cell, in one
                // pass over the row; c_t itself is not kept (tanh' needs only tanh(c_t)).
                let (scale, rest) = gate_affine.split_at(g4);
                let (shift, zeros) = rest.split_at(g4);
                let bias = if w.bias.is_empty() { zeros } else { &w.bias[..] };
                let (cp, tc) = (&c_prev[state.clone()], &mut tcs[at]);
                lstm_forward_row(row, scale, shift, bias, cp, tc, &mut h[state.clone()], &mut c[state]);
                continue;
            }
            add_to_rows(row, &w.bias);
            if needs_pre {
                pre[(o + r) * g4..(o + r + 1) * g4].copy_from_slice(row);
            }
            activate(ract, &mut row[..2 * u], u);
            activate(act, &mut row[2 * u..3 * u], u);
            activate(ract, &mut row[3 * u..], u);
            let (ig, rest) = row.split_at(u);
            let (fg, rest) = rest.split_at(u);
            let (gg, og) = rest.split_at(u);
            let (cp, cn, tc) = (&c_prev[state.clone()], &mut cs[at.clone()], &mut tcs[at]);
            let (ig, fg, gg, cp, cn) = (&ig[..u], &fg[..u], &gg[..u], &cp[..u], &mut cn[..u]);
            for j in 0..u {
                cn[j] = fg[j] * cp[j] + ig[j] * gg[j];
            }
            tc.copy_from_slice(cn);
            activate(act, tc, u);
            c[state.clone()].copy_from_slice(cn);
            for ((hj, &oj), &tj) in h[state].iter_mut().zip(og).zip(tc.iter()) {
                *hj = oj * tj;
            }
        }
    }

    fn reserve_backward(&self, cache: &mut LstmCache, _packed: usize, _batch: usize) {
        grow(&mut cache.dtc, self.weights.units());
    }

    /// Gate gradients per real row, `dc ← dc_{t−1} = dc ⊙ f`, then `dh ← dh_{t−1} = da Uᵀ`.
    fn backward_step(&self, cache: &mut LstmCache, step: BackwardStep<'_>) {
        let BackwardStep {
            offset: o,
            real,
            gates,
            prev: [_, c_prev],
            dstate: [dh, dc],
            dg: dgs,
            recurrent_t,
        } = step;
        let (defaults, needs_pre) = (self.defaults(), self.needs_pre());
        let LstmCell { activation: act, recurrent_activation: ract, weights: w, .. } = self;
        let LstmCache { pre, cs, tcs, dtc, scratch } = cache;
        let (act, ract) = (*act, *ract);
        let (u, n) = (w.units(), real.len());
        let g4 = 4 * u;
        let dtc = &mut dtc[..u];
        for (r, &is_real) in real.iter().enumerate() {
            if !is_real {
                continue;
            }
            let drow = &mut dgs[r * g4..(r + 1) * g4];
            let ga = (o + r) * g4;
            let gate_row = &gates[r * g4..(r + 1) * g4];
            let (ig, fg, gg, og) =
                (&gate_row[..u], &gate_row[u..2 * u], &gate_row[2 * u..3 * u], &gate_row[3 * u..]);
            let at = (o + r) * u..(o + r + 1) * u;
            let state = r * u..(r + 1) * u;
            let (tc, cn, cp) = (&tcs[at.clone()], &cs[at], &c_prev[state.clone()]);
            let (dhr, dcr) = (&dh[state.clone()], &mut dc[state]);
            if defaults {
                // σ' = y(1 − y), tanh' = 1 − y², all in one pass.
                lstm_backward_row(gate_row, tc, cp, dhr, dcr, drow);
                continue;
            }
            for ((d, &dhj), &oj) in dtc.iter_mut().zip(dhr).zip(og) {
                *d = dhj * oj;
            }
            activation_grad(act, cn, tc, dtc, u, scratch);
            let (di, rest) = drow.split_at_mut(u);
            let (df, rest) = rest.split_at_mut(u);
            let (dgg, dout) = rest.split_at_mut(u);
            let (di, df, dgg, dout) = (&mut di[..u], &mut df[..u], &mut dgg[..u], &mut dout[..u]);
            let (ig, fg, gg, tc, cp, dhr, dtc) =
                (&ig[..u], &fg[..u], &gg[..u], &tc[..u], &cp[..u], &dhr[..u], &dtc[..u]);
            let dcr = &mut dcr[..u];
            for j in 0..u {
                let dcj = dcr[j] + dtc[j];
                di[j] = dcj * gg[j];
                df[j] = dcj * cp[j];
                dgg[j] = dcj * ig[j];
                dout[j] = dhr[j] * tc[j];
                dcr[j] = dcj * fg[j];
            }
            let z = |k: usize, len: usize| {
                if needs_pre {
                    &pre[ga + k * u..ga + k * u + len]
                } else {
                    &[][..]
                }
            };
            activation_grad(ract, z(0, 2 * u), &gate_row[..2 * u], &mut drow[..2 * u], u, scratch);
            activation_grad(act, z(2, u), gg, &mut drow[2 * u..3 * u], u, scratch);
            activation_grad(ract, z(3, u), og, &mut drow[3 * u..], u, scratch);
        }
        matmul(n, g4, u, dgs, recurrent_t, dh, false);
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::layers::{MaskRule, Stage};
    use crate::shape::Dims;
    use crate::testing::backward_one;

    #[test]
    fn forget_bias_block_is_one() {
        let lstm = Lstm::new(3, 4, RnnOptions::default(), &mut SplitMix64::new(1));
        let mut bias = Vec::new();
        lstm.visit_params(&mut |p| {
            if p.name == "lstm_cell/bias" {
                bias = p.data.to_vec();
            }
        });
        let mut expected = vec![0.0; 16];
        expected[4..8].fill(1.0);
        assert_eq!(bias, expected);
        let plain = Lstm::new(
            3,
            4,
            RnnOptions { unit_forget_bias: false, ..RnnOptions::default() },
            &mut SplitMix64::new(1),
        );
        plain.visit_params(&mut |p| {
            if p.name == "lstm_cell/bias" {
                assert!(p.data.iter().all(|&v| v == 0.0));
            }
        });
    }

    #[test]
    fn names_shapes_and_count_as_keras() {
        let lstm = Lstm::new(4, 8, RnnOptions::default(), &mut SplitMix64::new(2));
        let mut seen = Vec::new();
        lstm.visit_params(&mut |p| seen.push((p.name.to_string(), p.shape.to_vec())));
        assert_eq!(
            seen,
            [
                ("lstm_cell/kernel".to_string(), vec![4, 32]),
                ("lstm_cell/recurrent_kernel".to_string(), vec![8, 32]),
                ("lstm_cell/bias".to_string(), vec![32]),
            ]
        );
        // Keras's summary: LSTM(8) on 4 features has 4·32 + 8·32 + 32 = 416 parameters.
        assert_eq!(lstm.param_count(), 416);
        assert_eq!(lstm.kind(), "LSTM");
        let no_bias =
            Lstm::new(4, 8, RnnOptions { use_bias: false, ..RnnOptions::default() }, &mut SplitMix64::new(2));
        assert_eq!(no_bias.param_count(), 384);
    }

    #[test]
    fn output_dims_and_mask_rule() {
        let mut lstm = Lstm::new(4, 8, RnnOptions::default(), &mut SplitMix64::new(2));
        assert_eq!(lstm.output_dims(&[Dims::new(&[6, 4]).unwrap()]).unwrap().as_slice(), &[8]);
        assert_eq!(lstm.mask_rule(), MaskRule::Drop);
        let err = lstm.output_dims(&[Dims::new(&[6, 5]).unwrap()]).unwrap_err().to_string();
        assert_eq!(err, "input of `LSTM` must have shape (None, None, 4), but has shape (None, 6, 5)");
        lstm = Lstm::new(
            4,
            8,
            RnnOptions { return_sequences: true, ..RnnOptions::default() },
            &mut SplitMix64::new(2),
        );
        assert_eq!(lstm.output_dims(&[Dims::new(&[6, 4]).unwrap()]).unwrap().as_slice(), &[6, 8]);
        assert_eq!(lstm.mask_rule(), MaskRule::Keep);
    }

    #[test]
    fn backward_before_forward_is_an_error() {
        let mut lstm = Lstm::new(2, 3, RnnOptions::default(), &mut SplitMix64::new(2));
        let dims = Dims::new(&[4, 2]).unwrap();
        let err = backward_one(&mut lstm, &[0.0; 8], dims, 1, None, &[0.0; 3], &[0.0; 3], None).unwrap_err();
        assert!(err.to_string().contains("needs the forward pass"), "{err}");
    }
}
