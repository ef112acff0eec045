//! `GRU(units)`, Keras 3's gated recurrent unit, with `reset_after` either way.
//!
//! Shape contract: input `[T, F]` → `[T, units]` with `return_sequences`, else `[units]`.
//! Weights (Keras layout, gate blocks `z, r, h` of `u` columns each; names relative to the
//! layer): `gru_cell/kernel (F, 3u)`, `gru_cell/recurrent_kernel (u, 3u)`, `gru_cell/bias`
//! `(2, 3u)` with `reset_after` (row 0 the input bias `b_i`, row 1 the recurrent bias `b_r`),
//! else `(3u,)`.
//!
//! Forward, with `σ` the recurrent activation and `φ` the activation:
//! ```text
//! reset_after:  [xz, xr, xh] = x_t K + b_i;  [rz, rr, rh] = h_{t−1} U + b_r
//!               z = σ(xz + rz), r = σ(xr + rr), ĥ = φ(xh + r ⊙ rh)
//! otherwise:    [xz, xr, xh] = x_t K + b;  z = σ(xz + h_{t−1} U_z), r = σ(xr + h_{t−1} U_r)
//!               ĥ = φ(xh + (r ⊙ h_{t−1}) U_h)
//! h_t = z ⊙ h_{t−1} + (1 − z) ⊙ ĥ;  output h_t
//! ```
//! Backward: `da_h = dh_t ⊙ (1 − z) ⊙ φ'`, `da_z = dh_t ⊙ (h_{t−1} − ĥ) ⊙ σ'`; with
//! `reset_after`, `da_r = da_h ⊙ rh ⊙ σ'` and the recurrent side sees `[da_z, da_r, da_h ⊙ r]`:
//! `dh_{t−1} = dh_t ⊙ z + [da_z, da_r, da_h ⊙ r] Uᵀ`, `dU = Σ h_{t−1}ᵀ [da_z, da_r, da_h ⊙ r]`;
//! otherwise `d(r ⊙ h) = da_h U_hᵀ`, `da_r = d(r ⊙ h) ⊙ h_{t−1} ⊙ σ'`,
//! `dh_{t−1} = dh_t ⊙ z + d(r ⊙ h) ⊙ r + [da_z, da_r] U_zrᵀ`,
//! `dU = [Σ h_{t−1}ᵀ [da_z, da_r], Σ (r ⊙ h_{t−1})ᵀ da_h]`. Both: `dK = Σ x_tᵀ da`,
//! `dx_t = da Kᵀ`, `db_i = Σ da`.

use crate::data::rng::SplitMix64;
use crate::error::Result;
use crate::kernels::gemm::{matmul, matmul_at_b_strided, sgemm, stride};
use crate::kernels::rowwise::{add_to_rows, column_sums, transpose};
use crate::layers::activation::ActivationFn;
use crate::layers::recurrent::{
    activate, activation_grad, check_len, grow, input_backward, sequence_output_dims, Recurrent, RnnOptions,
    Timeline, Weights,
};
use crate::layers::stage::{single_dims, single_grad, Backward, Forward, Input, MaskRule, Stage};
use crate::layers::{Param, ParamMut};
use crate::shape::Dims;

/// A gated recurrent unit layer (see the module docs for the shape contract and formulas).
#[derive(Clone, Debug)]
pub struct Gru {
    in_features: usize,
    units: usize,
    options: RnnOptions,
    weights: Weights,
    tl: Timeline,
    /// Per packed row: the input projection, then the step's activated `z, r, ĥ`.
    gates: Vec<f32>,
    /// Pre-activations of `z, r, ĥ` per packed row, kept only for activations whose derivative
    /// needs them.
    pre: Vec<f32>,
    /// Per packed row: the state before the step, `h_{t−1}`.
    h_prev: Vec<f32>,
    /// Per packed row: `rh = h_{t−1} U_h + b_rh` with `reset_after`, else `r ⊙ h_{t−1}`.
    aux: Vec<f32>,
    /// One step's recurrent product, `batch × 3u`.
    rec: Vec<f32>,
    /// The current state of every row, `batch × u`.
    h: Vec<f32>,
    /// Input-side gate gradients per packed row.
    dg: Vec<f32>,
    /// Recurrent-side gate gradients per packed row (`reset_after` only).
    dgr: Vec<f32>,
    /// `∂L/∂h` of every row at the current step, `batch × u`.
    dh: Vec<f32>,
    /// One step's recurrent gemm into `dh_{t−1}`.
    dh_step: Vec<f32>,
    /// `d(r ⊙ h_{t−1})` of one step, `batch × u` (`reset_after = false` only).
    drh: Vec<f32>,
    recurrent_t: Vec<f32>,
    kernel_t: Vec<f32>,
    dxt: Vec<f32>,
    scratch: Vec<f32>,
}

impl Gru {
    /// A GRU with Keras's initialisers drawn from `rng`: glorot-uniform kernel, orthogonal
    /// recurrent kernel, zero bias (`(2, 3u)` with `reset_after`, else `(3u,)`).
    pub fn new(in_features: usize, units: usize, options: RnnOptions, rng: &mut SplitMix64) -> Self {
        let (after, before) = ([2, 3 * units], [3 * units]);
        let bias: &[usize] = match (options.use_bias, options.reset_after) {
            (false, _) => &[],
            (true, true) => &after,
            (true, false) => &before,
        };
        let names = ["gru_cell/kernel", "gru_cell/recurrent_kernel", "gru_cell/bias"];
        Gru {
            in_features,
            units,
            options,
            weights: Weights::new(in_features, units, 3, bias, names, rng),
            tl: Timeline::default(),
            gates: Vec::new(),
            pre: Vec::new(),
            h_prev: Vec::new(),
            aux: Vec::new(),
            rec: Vec::new(),
            h: Vec::new(),
            dg: Vec::new(),
            dgr: Vec::new(),
            dh: Vec::new(),
            dh_step: Vec::new(),
            drh: Vec::new(),
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

impl Recurrent for Gru {
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
        "gru"
    }

    fn set_zero_output_for_mask(&mut self, zero: bool) {
        self.options.zero_output_for_mask = zero;
    }

    fn sibling(&self, go_backwards: bool, rng: &mut SplitMix64) -> Self {
        Gru::new(self.in_features, self.units, RnnOptions { go_backwards, ..self.options }, rng)
    }
}

impl Stage for Gru {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "Gru")?;
        sequence_output_dims("GRU", self.in_features, self.units, self.options.return_sequences, input)
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let Input { data: x, dims: in_dims, mask } = args.input("Gru")?;
        let (batch, _mode) = (args.batch, args.mode);
        let (f, u, opt) = (self.in_features, self.units, self.options);
        let (act, ract) = (opt.activation, opt.recurrent_activation);
        let g3 = 3 * u;
        let out = self.output_dims(&[in_dims])?;
        check_len("GRU", "output", batch * out.numel(), y.len())?;
        let needs_pre = self.needs_pre();
        self.tl.prepare("GRU", x, in_dims, batch, mask, f, opt.go_backwards)?;
        let Gru { tl, weights: w, gates, pre, h_prev, aux, rec, h, .. } = self;
        let (steps, b, p) = (tl.steps, tl.batch, tl.packed());
        grow(gates, p * g3);
        grow(h_prev, p * u);
        grow(aux, p * u);
        grow(rec, b * g3);
        grow(h, b * u);
        if needs_pre {
            grow(pre, p * g3);
        }
        let (b_in, b_rec) = match (w.bias.is_empty(), opt.reset_after) {
            (true, _) => (&[][..], &[][..]),
            (false, true) => w.bias.split_at(g3),
            (false, false) => (&w.bias[..], &[][..]),
        };
        matmul(p, f, g3, &tl.xt[..p * f], &w.kernel, &mut gates[..p * g3], false);
        let h = &mut h[..b * u];
        h.fill(0.0);
        let (uu, g) = (stride(u), stride(g3));
        for s in 0..steps {
            let (o, n) = (tl.offset[s], tl.active[s]);
            let states = o * u..(o + n) * u;
            h_prev[states.clone()].copy_from_slice(&h[..n * u]);
            let hp = &h_prev[states.clone()];
            let gs = &mut gates[o * g3..(o + n) * g3];
            let aux_s = &mut aux[states];
            if opt.reset_after {
                matmul(n, u, g3, hp, &w.recurrent, &mut rec[..n * g3], false);
            } else {
                // [rz, rr] = h_{t−1} U[:, :2u]
                sgemm(n, u, 2 * u, 1.0, hp, uu, 1, &w.recurrent, g, 1, 0.0, rec, stride(2 * u), 1);
            }
            let width = if opt.reset_after { g3 } else { 2 * u };
            for r in 0..n {
                let state = r * u..(r + 1) * u;
                if !tl.is_real(s, r) {
                    aux_s[state].fill(0.0);
                    continue;
                }
                let row = &mut gs[r * g3..(r + 1) * g3];
                add_to_rows(row, b_in);
                let rr = &rec[r * width..(r + 1) * width];
                for j in 0..2 * u {
                    row[j] += rr[j] + b_rec.get(j).copied().unwrap_or(0.0);
                }
                if needs_pre {
                    pre[(o + r) * g3..(o + r) * g3 + 2 * u].copy_from_slice(&row[..2 * u]);
                }
                activate(ract, &mut row[..2 * u], u);
                let rh = &mut aux_s[state.clone()];
                if opt.reset_after {
                    for j in 0..u {
                        rh[j] = rr[2 * u + j] + b_rec.get(2 * u + j).copied().unwrap_or(0.0);
                        row[2 * u + j] += row[u + j] * rh[j];
                    }
                } else {
                    for j in 0..u {
                        rh[j] = row[u + j] * hp[r * u + j];
                    }
                }
            }
            if !opt.reset_after && n > 0 {
                // xh += (r ⊙ h_{t−1}) U[:, 2u:], for all the step's rows at once.
                sgemm(n, u, u, 1.0, aux_s, uu, 1, &w.recurrent[2 * u..], g, 1, 1.0, &mut gs[2 * u..], g, 1);
            }
            for r in 0..n {
                if !tl.is_real(s, r) {
                    continue;
                }
                let row = &mut gs[r * g3..(r + 1) * g3];
                if needs_pre {
                    let at = (o + r) * g3 + 2 * u;
                    pre[at..at + u].copy_from_slice(&row[2 * u..]);
                }
                activate(act, &mut row[2 * u..], u);
                let (z, hh) = (&row[..u], &row[2 * u..]);
                let hpr = &hp[r * u..(r + 1) * u];
                for (j, hj) in h[r * u..(r + 1) * u].iter_mut().enumerate() {
                    *hj = z[j] * hpr[j] + (1.0 - z[j]) * hh[j];
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
        let Input { data: x, dims: in_dims, mask: _mask } = args.input("Gru")?;
        let (batch, _y, dy, _dy_is_preactivation) =
            (args.batch, args.output, args.grad_output, args.dy_is_preactivation);
        let dx = single_grad(grad_inputs);
        let (u, opt) = (self.units, self.options);
        let (act, ract) = (opt.activation, opt.recurrent_activation);
        let g3 = 3 * u;
        self.tl.check_backward("GRU", self.in_features, x, in_dims, batch)?;
        let out = self.output_dims(&[in_dims])?;
        check_len("GRU", "output gradient", batch * out.numel(), dy.len())?;
        if let Some(dx) = &dx {
            check_len("GRU", "input gradient", x.len(), dx.len())?;
        }
        let needs_pre = self.needs_pre();
        let Gru {
            tl,
            weights: w,
            gates,
            pre,
            h_prev,
            aux,
            dg,
            dgr,
            dh,
            dh_step,
            drh,
            recurrent_t,
            kernel_t,
            dxt,
            scratch,
            ..
        } = self;
        let (steps, b, p) = (tl.steps, tl.batch, tl.packed());
        grow(dg, p * g3);
        if opt.reset_after {
            grow(dgr, p * g3);
        }
        grow(dh, b * u);
        grow(dh_step, b * u);
        grow(drh, b * u);
        grow(recurrent_t, u * g3);
        transpose(&w.recurrent, u, g3, recurrent_t);
        let ut = &recurrent_t[..g3 * u];
        dh[..b * u].fill(0.0);
        let (uu, g) = (stride(u), stride(g3));
        for s in (0..steps).rev() {
            tl.add_output_grad(s, dy, u, opt.return_sequences, opt.zero_output_for_mask, dh);
            let (o, n) = (tl.offset[s], tl.active[s]);
            let dgs = &mut dg[o * g3..(o + n) * g3];
            // Phase 1: da_z before σ', da_h after φ'.
            for r in 0..n {
                let drow = &mut dgs[r * g3..(r + 1) * g3];
                if !tl.is_real(s, r) {
                    drow.fill(0.0);
                    continue;
                }
                let ga = (o + r) * g3;
                let gate_row = &gates[ga..ga + g3];
                let (z, hh) = (&gate_row[..u], &gate_row[2 * u..]);
                let hp = &h_prev[(o + r) * u..(o + r + 1) * u];
                let dhr = &dh[r * u..(r + 1) * u];
                for j in 0..u {
                    drow[j] = dhr[j] * (hp[j] - hh[j]);
                    drow[2 * u + j] = dhr[j] * (1.0 - z[j]);
                }
                let zh = if needs_pre { &pre[ga + 2 * u..ga + g3] } else { &[][..] };
                activation_grad(act, zh, hh, &mut drow[2 * u..], u, scratch);
            }
            if !opt.reset_after && n > 0 {
                // d(r ⊙ h) = da_h U_hᵀ
                sgemm(n, u, u, 1.0, &dgs[2 * u..], g, 1, &ut[2 * u * u..], uu, 1, 0.0, drh, uu, 1);
            }
            // Phase 2: da_r, then σ' on z and r.
            for r in 0..n {
                if !tl.is_real(s, r) {
                    continue;
                }
                let ga = (o + r) * g3;
                let drow = &mut dgs[r * g3..(r + 1) * g3];
                let at = (o + r) * u..(o + r + 1) * u;
                if opt.reset_after {
                    let rh = &aux[at];
                    for j in 0..u {
                        drow[u + j] = drow[2 * u + j] * rh[j];
                    }
                } else {
                    let hp = &h_prev[at];
                    for j in 0..u {
                        drow[u + j] = drh[r * u + j] * hp[j];
                    }
                }
                let zzr = if needs_pre { &pre[ga..ga + 2 * u] } else { &[][..] };
                activation_grad(ract, zzr, &gates[ga..ga + 2 * u], &mut drow[..2 * u], u, scratch);
            }
            // dh_{t−1}: the recurrent gemm, then the direct terms.
            if opt.reset_after {
                let dgrs = &mut dgr[o * g3..(o + n) * g3];
                for r in 0..n {
                    let (src, dst) = (&dgs[r * g3..(r + 1) * g3], &mut dgrs[r * g3..(r + 1) * g3]);
                    if !tl.is_real(s, r) {
                        dst.fill(0.0);
                        continue;
                    }
                    let rg = &gates[(o + r) * g3 + u..(o + r) * g3 + 2 * u];
                    dst[..2 * u].copy_from_slice(&src[..2 * u]);
                    for j in 0..u {
                        dst[2 * u + j] = src[2 * u + j] * rg[j];
                    }
                }
                matmul(n, g3, u, dgrs, ut, &mut dh_step[..n * u], false);
            } else {
                sgemm(n, 2 * u, u, 1.0, dgs, g, 1, &ut[..2 * u * u], uu, 1, 0.0, dh_step, uu, 1);
            }
            for r in 0..n {
                if !tl.is_real(s, r) {
                    continue;
                }
                let ga = (o + r) * g3;
                let (z, rg) = (&gates[ga..ga + u], &gates[ga + u..ga + 2 * u]);
                let (step, dhr) = (&dh_step[r * u..(r + 1) * u], &mut dh[r * u..(r + 1) * u]);
                for j in 0..u {
                    dhr[j] = step[j] + dhr[j] * z[j];
                }
                if !opt.reset_after {
                    for j in 0..u {
                        dhr[j] += drh[r * u + j] * rg[j];
                    }
                }
            }
        }
        let dg = &dg[..p * g3];
        let hp = &h_prev[..p * u];
        let (bias_in, bias_rec) = if opt.reset_after && !w.bias_grad.is_empty() {
            w.bias_grad.split_at_mut(g3)
        } else {
            (&mut w.bias_grad[..], <&mut [f32]>::default())
        };
        if opt.reset_after {
            let dgr = &dgr[..p * g3];
            matmul_at_b_strided(u, p, g3, hp, u, dgr, g3, &mut w.recurrent_grad, g3);
            column_sums(dgr, bias_rec);
        } else {
            // dU[:, :2u] = Σ h_{t−1}ᵀ [da_z, da_r];  dU[:, 2u:] = Σ (r ⊙ h_{t−1})ᵀ da_h.
            let du = &mut w.recurrent_grad;
            matmul_at_b_strided(u, p, 2 * u, hp, u, dg, g3, du, g3);
            let dgh = dg.get(2 * u..).unwrap_or_default();
            matmul_at_b_strided(u, p, u, &aux[..p * u], u, dgh, g3, &mut du[2 * u..], g3);
        }
        input_backward(tl, dg, &w.kernel, &mut w.kernel_grad, bias_in, kernel_t, dxt, dx);
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
        "GRU".into()
    }

    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        self.weights.visit(visit);
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        self.weights.visit_mut(visit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bias_shapes_follow_reset_after() {
        let shapes = |options: RnnOptions| {
            let gru = Gru::new(3, 2, options, &mut SplitMix64::new(1));
            let mut seen = Vec::new();
            gru.visit_params(&mut |p| seen.push((p.name.to_string(), p.shape.to_vec())));
            (seen, gru.param_count())
        };
        let (after, count) = shapes(RnnOptions::default());
        assert_eq!(after[2], ("gru_cell/bias".to_string(), vec![2, 6]));
        assert_eq!(count, 42); // Keras summary for GRU(2) on 3 features
        let (before, count) = shapes(RnnOptions { reset_after: false, ..RnnOptions::default() });
        assert_eq!(before[2], ("gru_cell/bias".to_string(), vec![6]));
        assert_eq!(count, 36);
        let (none, _) = shapes(RnnOptions { use_bias: false, ..RnnOptions::default() });
        assert_eq!(none.len(), 2);
    }
}
