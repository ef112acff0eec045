//! The per-row gate math of an LSTM with Keras's default activations (sigmoid gates, tanh
//! cell), forward and backward, compiled for the widest vector unit the CPU has.
//!
//! Like [`crate::kernels::elementwise`], each loop is written once, inlined into
//! `#[target_feature]` copies for AVX-512 and AVX2, and chosen at run time: the crate targets
//! baseline x86-64 (SSE2, 4 lanes), where the ~30 flops of each [`tanh`] ran 4 values at a time.
//! Every copy computes each value by the same operations (no fused multiply-add, no
//! reduction), so results are bit-identical whichever copy runs.
//!
//! Shapes: `u` units; a row of gates is `4u` values in Keras's block order `i, f, g, o`.

use crate::kernels::activation::tanh;

/// One row of an LSTM step forward: the gate pre-activations `gates` (`x_t K + h_{t−1} U`,
/// `4u`, bias not yet added) become the activated gates `[i, f, g, o]`, then
/// `c = f ⊙ c_prev + i ⊙ g`, `tc = tanh(c)`, `h = o ⊙ tc`.
///
/// Each gate is `scale · tanh(scale · (a + bias)) + shift`: `σ(a) = ½ tanh(½a) + ½` on the
/// blocks `i, f, o` (`scale = shift = ½`) and `tanh(a)` on `g` (`scale = 1`, `shift = 0`).
/// `scale`, `shift` and `bias` are `4u` each; `c_prev`, `tc`, `h` and `c` are `u` each.
///
/// # Panics
///
/// If a slice is shorter than its shape.
#[allow(clippy::too_many_arguments)]
pub fn lstm_forward_row(
    gates: &mut [f32],
    scale: &[f32],
    shift: &[f32],
    bias: &[f32],
    c_prev: &[f32],
    tc: &mut [f32],
    h: &mut [f32],
    c: &mut [f32],
) {
    let row = ForwardRow { gates, scale, shift, bias, c_prev, tc, h, c };
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked on the line above.
            return unsafe { forward_avx512(row) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked on the line above.
            return unsafe { forward_avx2(row) };
        }
    }
    forward_body(row)
}

/// One row of an LSTM step backward (the row of [`lstm_forward_row`]): from the activated
/// gates `[i, f, g, o]`, `tc = tanh(c_t)`, `c_prev`, `dh = ∂L/∂h_t` and `dc = ∂L/∂c_t`, writes
/// the gate pre-activation gradients `dg = [da_i, da_f, da_g, da_o]` and turns `dc` into
/// `∂L/∂c_{t−1}`:
/// `dc' = dc + dh ⊙ o ⊙ (1 − tc²)`, `da_i = dc' ⊙ g ⊙ i(1 − i)`, `da_f = dc' ⊙ c_prev ⊙ f(1 − f)`,
/// `da_g = dc' ⊙ i ⊙ (1 − g²)`, `da_o = dh ⊙ tc ⊙ o(1 − o)`, `dc ← dc' ⊙ f`.
///
/// # Panics
///
/// If a slice is shorter than its shape (`gates`, `dg`: `4u`; the others `u`).
pub fn lstm_backward_row(
    gates: &[f32],
    tc: &[f32],
    c_prev: &[f32],
    dh: &[f32],
    dc: &mut [f32],
    dg: &mut [f32],
) {
    let row = BackwardRow { gates, tc, c_prev, dh, dc, dg };
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked on the line above.
            return unsafe { backward_avx512(row) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked on the line above.
            return unsafe { backward_avx2(row) };
        }
    }
    backward_body(row)
}

/// The operands of [`lstm_forward_row`].
struct ForwardRow<'a> {
    gates: &'a mut [f32],
    scale: &'a [f32],
    shift: &'a [f32],
    bias: &'a [f32],
    c_prev: &'a [f32],
    tc: &'a mut [f32],
    h: &'a mut [f32],
    c: &'a mut [f32],
}

/// The operands of [`lstm_backward_row`].
struct BackwardRow<'a> {
    gates: &'a [f32],
    tc: &'a [f32],
    c_prev: &'a [f32],
    dh: &'a [f32],
    dc: &'a mut [f32],
    dg: &'a mut [f32],
}

#[inline(always)]
fn forward_body(row: ForwardRow<'_>) {
    let ForwardRow { gates, scale, shift, bias, c_prev, tc, h, c } = row;
    let u = tc.len();
    let g4 = 4 * u;
    let (gates, scale, shift, bias) = (&mut gates[..g4], &scale[..g4], &shift[..g4], &bias[..g4]);
    for (((v, &k), &d), &b) in gates.iter_mut().zip(scale).zip(shift).zip(bias) {
        *v = k * tanh(k * (*v + b)) + d;
    }
    let (ig, rest) = gates.split_at(u);
    let (fg, rest) = rest.split_at(u);
    let (gg, og) = rest.split_at(u);
    let (c_prev, h, c) = (&c_prev[..u], &mut h[..u], &mut c[..u]);
    for j in 0..u {
        let cj = fg[j] * c_prev[j] + ig[j] * gg[j];
        let t = tanh(cj);
        c[j] = cj;
        tc[j] = t;
        h[j] = og[j] * t;
    }
}

#[inline(always)]
fn backward_body(row: BackwardRow<'_>) {
    let BackwardRow { gates, tc, c_prev, dh, dc, dg } = row;
    let u = tc.len();
    let (ig, rest) = gates[..4 * u].split_at(u);
    let (fg, rest) = rest.split_at(u);
    let (gg, og) = rest.split_at(u);
    let (di, rest) = dg[..4 * u].split_at_mut(u);
    let (df, rest) = rest.split_at_mut(u);
    let (dgg, dout) = rest.split_at_mut(u);
    let (c_prev, dh, dc) = (&c_prev[..u], &dh[..u], &mut dc[..u]);
    for j in 0..u {
        let dcj = dc[j] + dh[j] * og[j] * (1.0 - tc[j] * tc[j]);
        di[j] = dcj * gg[j] * ig[j] * (1.0 - ig[j]);
        df[j] = dcj * c_prev[j] * fg[j] * (1.0 - fg[j]);
        dgg[j] = dcj * ig[j] * (1.0 - gg[j] * gg[j]);
        dout[j] = dh[j] * tc[j] * og[j] * (1.0 - og[j]);
        dc[j] = dcj * fg[j];
    }
}

/// Safety: requires AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn forward_avx512(row: ForwardRow<'_>) {
    forward_body(row)
}

/// Safety: requires AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn forward_avx2(row: ForwardRow<'_>) {
    forward_body(row)
}

/// Safety: requires AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn backward_avx512(row: BackwardRow<'_>) {
    backward_body(row)
}

/// Safety: requires AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn backward_avx2(row: BackwardRow<'_>) {
    backward_body(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every copy gives the same bits as the baseline one, on a row of 37 units (vector
    /// remainders included).
    #[test]
    fn every_copy_gives_the_baseline_bits() {
        let u = 37;
        let value = |i: usize| ((i * 7919 % 1000) as f32 / 250.0) - 2.0;
        let pre: Vec<f32> = (0..4 * u).map(value).collect();
        let scale: Vec<f32> = (0..4 * u).map(|j| if j / u == 2 { 1.0 } else { 0.5 }).collect();
        let shift: Vec<f32> = (0..4 * u).map(|j| if j / u == 2 { 0.0 } else { 0.5 }).collect();
        let bias: Vec<f32> = (0..4 * u).map(|i| value(i + 3) * 0.1).collect();
        let c_prev: Vec<f32> = (0..u).map(|i| value(i + 11)).collect();
        let dh: Vec<f32> = (0..u).map(|i| value(i + 5)).collect();
        let run = |copy: usize| {
            let (mut gates, mut tc, mut h, mut c) = (pre.clone(), vec![0.0; u], vec![0.0; u], vec![0.0; u]);
            let forward = ForwardRow {
                gates: &mut gates,
                scale: &scale,
                shift: &shift,
                bias: &bias,
                c_prev: &c_prev,
                tc: &mut tc,
                h: &mut h,
                c: &mut c,
            };
            let (mut dc, mut dg) = (c_prev.iter().map(|v| v * 0.3).collect::<Vec<f32>>(), vec![0.0; 4 * u]);
            match copy {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: only run when the CPU has the features (checked by the caller).
                1 => unsafe { forward_avx512(forward) },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as above.
                2 => unsafe { forward_avx2(forward) },
                _ => forward_body(forward),
            }
            let backward =
                BackwardRow { gates: &gates, tc: &tc, c_prev: &c_prev, dh: &dh, dc: &mut dc, dg: &mut dg };
            match copy {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as above.
                1 => unsafe { backward_avx512(backward) },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as above.
                2 => unsafe { backward_avx2(backward) },
                _ => backward_body(backward),
            }
            [gates, tc, h, c, dc, dg].concat().iter().map(|v| v.to_bits()).collect::<Vec<u32>>()
        };
        let baseline = run(0);
        // The baseline itself against the formula in f64: h = σ(a_o) tanh(σ(a_f) c_prev +
        // σ(a_i) tanh(a_g)), a = pre + bias.
        let sigma = |x: f64| 1.0 / (1.0 + (-x).exp());
        for j in 0..u {
            let a = |block: usize| (pre[block * u + j] + bias[block * u + j]) as f64;
            let c = sigma(a(1)) * c_prev[j] as f64 + sigma(a(0)) * a(2).tanh();
            let h = sigma(a(3)) * c.tanh();
            let got = f32::from_bits(baseline[5 * u + j]) as f64;
            assert!((got - h).abs() < 2e-6, "h[{j}] = {got}, the formula gives {h}");
        }
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                assert!(run(1) == baseline, "the AVX-512 copy differs from the baseline");
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                assert!(run(2) == baseline, "the AVX2 copy differs from the baseline");
            }
        }
    }
}
