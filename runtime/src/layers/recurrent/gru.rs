//! `GRU(units)`, Keras 3's gated recurrent unit, with `reset_after` either way: the layer
//! [`Gru`] is [`Rnn`] over a [`GruCell`].
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

use crate::buffer::grow;
use crate::data::rng::SplitMix64;
use crate::kernels::gemm::{matmul, matmul_at_b_strided, sgemm, stride};
use crate::kernels::rowwise::{add_column_sums, add_to_rows};
use crate::layers::activation::{Activation, ActivationFn};
use crate::layers::recurrent::cell::{sealed, BackwardStep, Cell, ForwardStep};
use crate::layers::recurrent::gates::{activate, activation_grad};
use crate::layers::recurrent::{Rnn, RnnOptions, Weights};

/// `GRU(units)`, a gated recurrent unit layer: input `[T, F]` → `[T, units]` with
/// `return_sequences`, else `[units]`; each step as [`GruCell`] (see [`Rnn`] for masks and
/// directions).
pub type Gru = Rnn<GruCell>;

/// The step of [`Gru`], Keras's `GRUCell`: with `σ` the recurrent activation and `φ` the
/// activation, `z = σ(x_t K_z + h_{t−1} U_z + b_z)`, `r = σ(x_t K_r + h_{t−1} U_r + b_r)`,
/// `ĥ = φ(x_t K_h + r ⊙ (h_{t−1} U_h + b_rh))` with `reset_after` (else
/// `φ(x_t K_h + (r ⊙ h_{t−1}) U_h + b_h)`), `h_t = z ⊙ h_{t−1} + (1 − z) ⊙ ĥ`. One state `h`
/// (`u` values), three gate blocks `z, r, h` (`W = 3u`). Initialisers: glorot-uniform kernel,
/// orthogonal recurrent kernel, zero bias (`(2, 3u)` with `reset_after`, else `(3u,)`).
#[derive(Clone, Debug)]
pub struct GruCell {
    activation: Activation,
    recurrent_activation: Activation,
    reset_after: bool,
    weights: Weights,
}

/// What [`GruCell`] keeps for one share of a batch.
#[derive(Clone, Debug, Default)]
pub struct GruCache {
    /// Pre-activations of `z, r, ĥ` per packed row, kept only for activations whose derivative
    /// needs them.
    pre: Vec<f32>,
    /// Per packed row: `rh = h_{t−1} U_h + b_rh` with `reset_after`, else `r ⊙ h_{t−1}`.
    aux: Vec<f32>,
    /// One step's recurrent product, `batch × 3u`.
    rec: Vec<f32>,
    /// Recurrent-side gate gradients per packed row (`reset_after` only).
    dgr: Vec<f32>,
    /// `d(r ⊙ h_{t−1})` of one step, `batch × u` (`reset_after = false` only).
    drh: Vec<f32>,
    /// One step's recurrent gemm into `dh_{t−1}`, `batch × u`.
    dh_step: Vec<f32>,
    scratch: Vec<f32>,
}

impl GruCell {
    fn needs_pre(&self) -> bool {
        self.activation.backward_needs_input() || self.recurrent_activation.backward_needs_input()
    }
}

impl sealed::Sealed for GruCell {}

impl Cell for GruCell {
    const KIND: &'static str = "GRU";
    const TYPE_NAME: &'static str = "Gru";
    const KERAS_NAME: &'static str = "gru";
    const STATES: usize = 1;
    type Cache = GruCache;

    fn new(in_features: usize, units: usize, options: &RnnOptions, rng: &mut SplitMix64) -> Self {
        let (after, before) = ([2, 3 * units], [3 * units]);
        let bias: &[usize] = match (options.use_bias, options.reset_after) {
            (false, _) => &[],
            (true, true) => &after,
            (true, false) => &before,
        };
        let names = ["gru_cell/kernel", "gru_cell/recurrent_kernel", "gru_cell/bias"];
        GruCell {
            activation: options.activation,
            recurrent_activation: options.recurrent_activation,
            reset_after: options.reset_after,
            weights: Weights::new(in_features, units, 3, bias, names, rng),
        }
    }

    fn weights(&self) -> &Weights {
        &self.weights
    }

    fn weights_mut(&mut self) -> &mut Weights {
        &mut self.weights
    }

    fn reserve(&self, cache: &mut GruCache, packed: usize, batch: usize) {
        let u = self.weights.units();
        grow(&mut cache.aux, packed * u);
        grow(&mut cache.rec, batch * 3 * u);
        if self.needs_pre() {
            grow(&mut cache.pre, packed * 3 * u);
        }
    }

    /// `gates ← [z, r, ĥ]` (activated) per real row, `aux` kept per packed row; the new `h`.
    fn forward_step(&self, cache: &mut GruCache, step: ForwardStep<'_>) {
        let ForwardStep { offset: o, real, gates: gs, prev: [hp, _], state: [h, _] } = step;
        let needs_pre = self.needs_pre();
        let GruCell { activation: act, recurrent_activation: ract, reset_after, weights: w } = self;
        let GruCache { pre, aux, rec, .. } = cache;
        let (act, ract, reset_after) = (*act, *ract, *reset_after);
        let (u, n) = (w.units(), real.len());
        let g3 = 3 * u;
        let (b_in, b_rec) = match (w.bias.is_empty(), reset_after) {
            (true, _) => (&[][..], &[][..]),
            (false, true) => w.bias.split_at(g3),
            (false, false) => (&w.bias[..], &[][..]),
        };
        let (uu, g) = (stride(u), stride(g3));
        let aux_s = &mut aux[o * u..(o + n) * u];
        if reset_after {
            matmul(n, u, g3, hp, &w.recurrent, &mut rec[..n * g3], false);
        } else {
            // [rz, rr] = h_{t−1} U[:, :2u]
            sgemm(n, u, 2 * u, 1.0, hp, uu, 1, &w.recurrent, g, 1, 0.0, rec, stride(2 * u), 1);
        }
        let width = if reset_after { g3 } else { 2 * u };
        for r in 0..n {
            let state = r * u..(r + 1) * u;
            if !real[r] {
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
            if reset_after {
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
        if !reset_after && n > 0 {
            // xh += (r ⊙ h_{t−1}) U[:, 2u:], for all the step's rows at once.
            sgemm(n, u, u, 1.0, aux_s, uu, 1, &w.recurrent[2 * u..], g, 1, 1.0, &mut gs[2 * u..], g, 1);
        }
        for (r, &is_real) in real.iter().enumerate() {
            if !is_real {
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
    }

    fn reserve_backward(&self, cache: &mut GruCache, packed: usize, batch: usize) {
        let u = self.weights.units();
        if self.reset_after {
            grow(&mut cache.dgr, packed * 3 * u);
        }
        grow(&mut cache.drh, batch * u);
        grow(&mut cache.dh_step, batch * u);
    }

    /// `da_z`, `da_r`, `da_h` per real row (and the recurrent side's `dgr` with
    /// `reset_after`), then `dh ← dh_{t−1} = dh_t ⊙ z + (recurrent gemm)`.
    fn backward_step(&self, cache: &mut GruCache, step: BackwardStep<'_>) {
        let BackwardStep { offset: o, real, gates, prev: [hp, _], dstate: [dh, _], dg: dgs, recurrent_t: ut } =
            step;
        let needs_pre = self.needs_pre();
        let GruCell { activation: act, recurrent_activation: ract, reset_after, weights: w } = self;
        let GruCache { pre, aux, dgr, drh, dh_step, scratch, .. } = cache;
        let (act, ract, reset_after) = (*act, *ract, *reset_after);
        let (u, n) = (w.units(), real.len());
        let g3 = 3 * u;
        let (uu, g) = (stride(u), stride(g3));
        // Phase 1: da_z before σ', da_h after φ'.
        for (r, &is_real) in real.iter().enumerate() {
            if !is_real {
                continue;
            }
            let drow = &mut dgs[r * g3..(r + 1) * g3];
            let ga = (o + r) * g3;
            let gate_row = &gates[r * g3..(r + 1) * g3];
            let (z, hh) = (&gate_row[..u], &gate_row[2 * u..]);
            let hpr = &hp[r * u..(r + 1) * u];
            let dhr = &dh[r * u..(r + 1) * u];
            for j in 0..u {
                drow[j] = dhr[j] * (hpr[j] - hh[j]);
                drow[2 * u + j] = dhr[j] * (1.0 - z[j]);
            }
            let zh = if needs_pre { &pre[ga + 2 * u..ga + g3] } else { &[][..] };
            activation_grad(act, zh, hh, &mut drow[2 * u..], u, scratch);
        }
        if !reset_after && n > 0 {
            // d(r ⊙ h) = da_h U_hᵀ
            sgemm(n, u, u, 1.0, &dgs[2 * u..], g, 1, &ut[2 * u * u..], uu, 1, 0.0, drh, uu, 1);
        }
        // Phase 2: da_r, then σ' on z and r.
        for (r, &is_real) in real.iter().enumerate() {
            if !is_real {
                continue;
            }
            let ga = (o + r) * g3;
            let drow = &mut dgs[r * g3..(r + 1) * g3];
            if reset_after {
                let rh = &aux[(o + r) * u..(o + r + 1) * u];
                for j in 0..u {
                    drow[u + j] = drow[2 * u + j] * rh[j];
                }
            } else {
                let hpr = &hp[r * u..(r + 1) * u];
                for j in 0..u {
                    drow[u + j] = drh[r * u + j] * hpr[j];
                }
            }
            let zzr = if needs_pre { &pre[ga..ga + 2 * u] } else { &[][..] };
            activation_grad(ract, zzr, &gates[r * g3..r * g3 + 2 * u], &mut drow[..2 * u], u, scratch);
        }
        // dh_{t−1}: the recurrent gemm, then the direct terms.
        if reset_after {
            let dgrs = &mut dgr[o * g3..(o + n) * g3];
            for r in 0..n {
                let (src, dst) = (&dgs[r * g3..(r + 1) * g3], &mut dgrs[r * g3..(r + 1) * g3]);
                if !real[r] {
                    dst.fill(0.0);
                    continue;
                }
                let rg = &gates[r * g3 + u..r * g3 + 2 * u];
                dst[..2 * u].copy_from_slice(&src[..2 * u]);
                for j in 0..u {
                    dst[2 * u + j] = src[2 * u + j] * rg[j];
                }
            }
            matmul(n, g3, u, dgrs, ut, &mut dh_step[..n * u], false);
        } else {
            sgemm(n, 2 * u, u, 1.0, dgs, g, 1, &ut[..2 * u * u], uu, 1, 0.0, dh_step, uu, 1);
        }
        for (r, &is_real) in real.iter().enumerate() {
            if !is_real {
                continue;
            }
            let (z, rg) = (&gates[r * g3..r * g3 + u], &gates[r * g3 + u..r * g3 + 2 * u]);
            let (step, dhr) = (&dh_step[r * u..(r + 1) * u], &mut dh[r * u..(r + 1) * u]);
            for j in 0..u {
                dhr[j] = step[j] + dhr[j] * z[j];
            }
            if !reset_after {
                for j in 0..u {
                    dhr[j] += drh[r * u + j] * rg[j];
                }
            }
        }
    }

    /// With `reset_after`: `dU = Σ h_{t−1}ᵀ [da_z, da_r, da_h ⊙ r]` and the recurrent bias
    /// `db_r = Σ [da_z, da_r, da_h ⊙ r]`; otherwise `dU[:, :2u] = Σ h_{t−1}ᵀ [da_z, da_r]`,
    /// `dU[:, 2u:] = Σ (r ⊙ h_{t−1})ᵀ da_h`.
    fn recurrent_grads(
        &mut self,
        cache: &GruCache,
        packed: usize,
        h_prev: &[f32],
        dg: &[f32],
        accumulate: bool,
    ) {
        let (GruCell { reset_after, weights: w, .. }, GruCache { aux, dgr, .. }) = (self, cache);
        let (p, u) = (packed, w.units());
        let g3 = 3 * u;
        if *reset_after {
            let dgr = &dgr[..p * g3];
            matmul_at_b_strided(u, p, g3, h_prev, u, dgr, g3, &mut w.recurrent_grad, g3, accumulate);
            let bias_rec = w.bias_grad.get_mut(g3..).unwrap_or_default();
            if !accumulate {
                bias_rec.fill(0.0);
            }
            add_column_sums(dgr, bias_rec);
        } else {
            let du = &mut w.recurrent_grad;
            matmul_at_b_strided(u, p, 2 * u, h_prev, u, dg, g3, du, g3, accumulate);
            let dgh = dg.get(2 * u..).unwrap_or_default();
            matmul_at_b_strided(u, p, u, &aux[..p * u], u, dgh, g3, &mut du[2 * u..], g3, accumulate);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Stage;

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
