//! `LSTM(units)`, Keras 3's implementation 2 (one matmul for all four gates).
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

use crate::data::rng::SplitMix64;
use crate::error::Result;
use crate::kernels::activation::tanh;
use crate::kernels::gemm::{matmul, matmul_at_b_strided};
use crate::kernels::rowwise::{add_to_rows, transpose};
use crate::layers::activation::ActivationFn;
use crate::layers::recurrent::{
    activate, activation_grad, check_len, grow, input_backward, sequence_output_dims, Recurrent, RnnOptions,
    Timeline, Weights,
};
use crate::layers::stage::{single_dims, single_grad, Backward, Forward, Input, MaskRule, Stage};
use crate::layers::{Activation, Param, ParamMut};
use crate::shape::Dims;

/// A long short-term memory layer (see the module docs for the shape contract and formulas).
#[derive(Clone, Debug)]
pub struct Lstm {
    in_features: usize,
    units: usize,
    options: RnnOptions,
    weights: Weights,
    tl: Timeline,
    /// Per packed row: the input projection, then the step's activated gates `i, f, g, o`.
    gates: Vec<f32>,
    /// Gate pre-activations per packed row, kept only for activations whose derivative needs
    /// them.
    pre: Vec<f32>,
    /// Per packed row: the states before the step, `h_{t−1}` and `c_{t−1}`.
    h_prev: Vec<f32>,
    c_prev: Vec<f32>,
    /// Per packed row: the new cell state `c_t` (not kept with the default activations) and
    /// `φ(c_t)`.
    cs: Vec<f32>,
    tcs: Vec<f32>,
    /// The current states of every row, `batch × u`.
    h: Vec<f32>,
    c: Vec<f32>,
    /// Gate pre-activation gradients per packed row.
    dg: Vec<f32>,
    /// `∂L/∂h` and `∂L/∂c` of every row at the current step, `batch × u`.
    dh: Vec<f32>,
    dc: Vec<f32>,
    /// One step's `dgates @ Uᵀ`.
    dh_step: Vec<f32>,
    /// `u` values: `dh ⊙ o`, then its gradient through `φ(c)`.
    dtc: Vec<f32>,
    /// `[k; d; 0]`, `4u` each, for the default activations: gate `= k tanh(k a) + d`, which
    /// is `σ(a)` with `k = d = ½` (blocks i, f, o) and `tanh(a)` with `k = 1, d = 0` (block
    /// g); the zeros stand in for a missing bias.
    gate_affine: Vec<f32>,
    recurrent_t: Vec<f32>,
    kernel_t: Vec<f32>,
    dxt: Vec<f32>,
    scratch: Vec<f32>,
}

impl Lstm {
    /// An LSTM with Keras's initialisers drawn from `rng`: glorot-uniform kernel, orthogonal
    /// recurrent kernel, zero bias with the forget block at 1 when `unit_forget_bias`.
    pub fn new(in_features: usize, units: usize, options: RnnOptions, rng: &mut SplitMix64) -> Self {
        let bias_shape = [4 * units];
        let bias: &[usize] = if options.use_bias { &bias_shape } else { &[] };
        let names = ["lstm_cell/kernel", "lstm_cell/recurrent_kernel", "lstm_cell/bias"];
        let mut weights = Weights::new(in_features, units, 4, bias, names, rng);
        if options.use_bias && options.unit_forget_bias {
            weights.bias[units..2 * units].fill(1.0);
        }
        Lstm {
            in_features,
            units,
            options,
            weights,
            tl: Timeline::default(),
            gates: Vec::new(),
            pre: Vec::new(),
            h_prev: Vec::new(),
            c_prev: Vec::new(),
            cs: Vec::new(),
            tcs: Vec::new(),
            h: Vec::new(),
            c: Vec::new(),
            dg: Vec::new(),
            dh: Vec::new(),
            dc: Vec::new(),
            dh_step: Vec::new(),
            dtc: Vec::new(),
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
            recurrent_t: Vec::new(),
            kernel_t: Vec::new(),
            dxt: Vec::new(),
            scratch: Vec::new(),
        }
    }

    fn needs_pre(&self) -> bool {
        self.options.activation.backward_needs_input()
            || self.options.recurrent_activation.backward_needs_input()
    }
}

impl Recurrent for Lstm {
    fn units(&self) -> usize {
        self.units
    }

    fn in_features(&self) -> usize {
        self.in_features
    }

    fn options(&self) -> &RnnOptions {
        &self.options
    }

    fn keras_name(&self) -> &'static str {
        "lstm"
    }

    fn set_zero_output_for_mask(&mut self, zero: bool) {
        self.options.zero_output_for_mask = zero;
    }

    fn sibling(&self, go_backwards: bool, rng: &mut SplitMix64) -> Self {
        Lstm::new(self.in_features, self.units, RnnOptions { go_backwards, ..self.options }, rng)
    }
}

impl Stage for Lstm {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "Lstm")?;
        sequence_output_dims("LSTM", self.in_features, self.units, self.options.return_sequences, input)
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let Input { data: x, dims: in_dims, mask } = args.input("Lstm")?;
        let (batch, _mode) = (args.batch, args.mode);
        let (f, u, opt) = (self.in_features, self.units, self.options);
        let (act, ract) = (opt.activation, opt.recurrent_activation);
        let g4 = 4 * u;
        let out = self.output_dims(&[in_dims])?;
        check_len("LSTM", "output", batch * out.numel(), y.len())?;
        let needs_pre = self.needs_pre();
        self.tl.prepare("LSTM", x, in_dims, batch, mask, f, opt.go_backwards)?;
        let defaults = act == Activation::Tanh && ract == Activation::Sigmoid;
        let Lstm { tl, weights: w, gates, pre, h_prev, c_prev, cs, tcs, h, c, gate_affine, .. } = self;
        let (steps, b, p) = (tl.steps, tl.batch, tl.packed());
        grow(gates, p * g4);
        for buf in [&mut *h_prev, &mut *c_prev, &mut *cs, &mut *tcs] {
            grow(buf, p * u);
        }
        grow(h, b * u);
        grow(c, b * u);
        if needs_pre {
            grow(pre, p * g4);
        }
        matmul(p, f, g4, &tl.xt[..p * f], &w.kernel, &mut gates[..p * g4], false);
        let (h, c) = (&mut h[..b * u], &mut c[..b * u]);
        h.fill(0.0);
        c.fill(0.0);
        for s in 0..steps {
            let (o, n) = (tl.offset[s], tl.active[s]);
            let states = o * u..(o + n) * u;
            h_prev[states.clone()].copy_from_slice(&h[..n * u]);
            c_prev[states.clone()].copy_from_slice(&c[..n * u]);
            let gs = &mut gates[o * g4..(o + n) * g4];
            matmul(n, u, g4, &h_prev[states], &w.recurrent, gs, true);
            for r in 0..n {
                if !tl.is_real(s, r) {
                    continue;
                }
                let row = &mut gs[r * g4..(r + 1) * g4];
                let at = (o + r) * u..(o + r + 1) * u;
                if defaults {
                    // Bias, then σ(x) = ½ tanh(½x) + ½ on i, f, o and tanh on g, in one pass;
                    // c_t itself is not kept (tanh' needs only tanh(c_t)).
                    let (scale, rest) = gate_affine.split_at(g4);
                    let (shift, zeros) = rest.split_at(g4);
                    let bias = if w.bias.is_empty() { zeros } else { &w.bias[..] };
                    for (((v, &k), &d), &b) in row.iter_mut().zip(scale).zip(shift).zip(bias) {
                        *v = k * tanh(k * (*v + b)) + d;
                    }
                    let (ig, rest) = row.split_at(u);
                    let (fg, rest) = rest.split_at(u);
                    let (gg, og) = rest.split_at(u);
                    let (cp, tc) = (&c_prev[at.clone()], &mut tcs[at]);
                    let (hr, cr) = (&mut h[r * u..(r + 1) * u], &mut c[r * u..(r + 1) * u]);
                    cell_forward([ig, fg, gg, og], cp, tc, hr, cr);
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
                let (cp, cn, tc) = (&c_prev[at.clone()], &mut cs[at.clone()], &mut tcs[at]);
                let (ig, fg, gg, cp, cn) = (&ig[..u], &fg[..u], &gg[..u], &cp[..u], &mut cn[..u]);
                for j in 0..u {
                    cn[j] = fg[j] * cp[j] + ig[j] * gg[j];
                }
                tc.copy_from_slice(cn);
                activate(act, tc, u);
                c[r * u..(r + 1) * u].copy_from_slice(cn);
                for ((hj, &oj), &tj) in h[r * u..(r + 1) * u].iter_mut().zip(og).zip(tc.iter()) {
                    *hj = oj * tj;
                }
            }
            if opt.return_sequences {
                tl.write_step(s, h, u, opt.zero_output_for_mask, y);
            }
        }
        if !opt.return_sequences {
            tl.write_last(h, u, opt.zero_output_for_mask, y);
        }
        Ok(())
    }

    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        let Input { data: x, dims: in_dims, mask: _mask } = args.input("Lstm")?;
        let (batch, _y, dy, _dy_is_preactivation) =
            (args.batch, args.output, args.grad_output, args.dy_is_preactivation);
        let dx = single_grad(grad_inputs);
        let (u, opt) = (self.units, self.options);
        let (act, ract) = (opt.activation, opt.recurrent_activation);
        let g4 = 4 * u;
        self.tl.check_backward("LSTM", self.in_features, x, in_dims, batch)?;
        let out = self.output_dims(&[in_dims])?;
        check_len("LSTM", "output gradient", batch * out.numel(), dy.len())?;
        if let Some(dx) = &dx {
            check_len("LSTM", "input gradient", x.len(), dx.len())?;
        }
        let needs_pre = self.needs_pre();
        let Lstm {
            tl,
            weights: w,
            gates,
            pre,
            h_prev,
            c_prev,
            cs,
            tcs,
            dg,
            dh,
            dc,
            dh_step,
            dtc,
            recurrent_t,
            kernel_t,
            dxt,
            scratch,
            ..
        } = self;
        let (steps, b, p) = (tl.steps, tl.batch, tl.packed());
        grow(dg, p * g4);
        for buf in [&mut *dh, &mut *dc, &mut *dh_step] {
            grow(buf, b * u);
        }
        grow(dtc, u);
        grow(recurrent_t, u * g4);
        transpose(&w.recurrent, u, g4, recurrent_t);
        dh[..b * u].fill(0.0);
        dc[..b * u].fill(0.0);
        let dtc = &mut dtc[..u];
        let defaults = act == Activation::Tanh && ract == Activation::Sigmoid;
        for s in (0..steps).rev() {
            tl.add_output_grad(s, dy, u, opt.return_sequences, opt.zero_output_for_mask, dh);
            let (o, n) = (tl.offset[s], tl.active[s]);
            let dgs = &mut dg[o * g4..(o + n) * g4];
            for r in 0..n {
                let drow = &mut dgs[r * g4..(r + 1) * g4];
                if !tl.is_real(s, r) {
                    drow.fill(0.0);
                    continue;
                }
                let ga = (o + r) * g4;
                let gate_row = &gates[ga..ga + g4];
                let (ig, fg, gg, og) =
                    (&gate_row[..u], &gate_row[u..2 * u], &gate_row[2 * u..3 * u], &gate_row[3 * u..]);
                let at = (o + r) * u..(o + r + 1) * u;
                let (tc, cn, cp) = (&tcs[at.clone()], &cs[at.clone()], &c_prev[at]);
                let state = r * u..(r + 1) * u;
                let (dhr, dcr) = (&dh[state.clone()], &mut dc[state]);
                if defaults {
                    // σ' = y(1 − y), tanh' = 1 − y², all in one pass.
                    cell_backward([ig, fg, gg, og], tc, cp, dhr, dcr, drow);
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
            matmul(n, g4, u, dgs, &recurrent_t[..g4 * u], &mut dh_step[..n * u], false);
            for r in 0..n {
                if tl.is_real(s, r) {
                    dh[r * u..(r + 1) * u].copy_from_slice(&dh_step[r * u..(r + 1) * u]);
                }
            }
        }
        let dg = &dg[..p * g4];
        matmul_at_b_strided(u, p, g4, &h_prev[..p * u], u, dg, g4, &mut w.recurrent_grad, g4);
        input_backward(tl, dg, &w.kernel, &mut w.kernel_grad, &mut w.bias_grad, kernel_t, dxt, dx);
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
        "LSTM".into()
    }

    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        self.weights.visit(visit);
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        self.weights.visit_mut(visit);
    }
}

/// One row of the forward step with the default activations, from the activated gates:
/// `c = f ⊙ c_{t−1} + i ⊙ g`, `tc = tanh(c)`, `h = o ⊙ tc`. A function of its own so that the
/// slices are known not to overlap and the loop vectorises.
fn cell_forward([ig, fg, gg, og]: [&[f32]; 4], c_prev: &[f32], tc: &mut [f32], h: &mut [f32], c: &mut [f32]) {
    let u = tc.len();
    let (ig, fg, gg, og, c_prev, h, c) =
        (&ig[..u], &fg[..u], &gg[..u], &og[..u], &c_prev[..u], &mut h[..u], &mut c[..u]);
    for j in 0..u {
        let cj = fg[j] * c_prev[j] + ig[j] * gg[j];
        let t = tanh(cj);
        c[j] = cj;
        tc[j] = t;
        h[j] = og[j] * t;
    }
}

/// One row of the backward step with the default activations (`σ' = y(1 − y)`,
/// `tanh' = 1 − y²`): from `dh`, `dc` (updated to `dc_{t−1}`), the activated gates, `tc` and
/// `c_{t−1}`, writes the gate pre-activation gradients `[da_i, da_f, da_c, da_o]` into `dg`.
fn cell_backward(
    [ig, fg, gg, og]: [&[f32]; 4],
    tc: &[f32],
    c_prev: &[f32],
    dh: &[f32],
    dc: &mut [f32],
    dg: &mut [f32],
) {
    let u = dc.len();
    let (di, rest) = dg.split_at_mut(u);
    let (df, rest) = rest.split_at_mut(u);
    let (dgg, dout) = rest.split_at_mut(u);
    let (di, df, dgg, dout) = (&mut di[..u], &mut df[..u], &mut dgg[..u], &mut dout[..u]);
    let (ig, fg, gg, og, tc, c_prev, dh) =
        (&ig[..u], &fg[..u], &gg[..u], &og[..u], &tc[..u], &c_prev[..u], &dh[..u]);
    for j in 0..u {
        let dcj = dc[j] + dh[j] * og[j] * (1.0 - tc[j] * tc[j]);
        di[j] = dcj * gg[j] * ig[j] * (1.0 - ig[j]);
        df[j] = dcj * c_prev[j] * fg[j] * (1.0 - fg[j]);
        dgg[j] = dcj * ig[j] * (1.0 - gg[j] * gg[j]);
        dout[j] = dh[j] * tc[j] * og[j] * (1.0 - og[j]);
        dc[j] = dcj * fg[j];
    }
}

#[cfg(test)]
mod tests {

    use super::*;
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
