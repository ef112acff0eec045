//! `SimpleRNN(units)`: `h_t = act(x_t @ K + h_{t−1} @ U + b)`, output `h_t`.
//!
//! Shape contract: input `[T, F]` → `[T, units]` with `return_sequences`, else `[units]`.
//! Weights (Keras layout, names relative to the layer): `simple_rnn_cell/kernel (F, u)`,
//! `simple_rnn_cell/recurrent_kernel (u, u)`, `simple_rnn_cell/bias (u,)`.
//!
//! Backward, with `a_t = x_t K + h_{t−1} U + b` and `da_t = act'(a_t) ⊙ dh_t`:
//! `dh_{t−1} = da_t Uᵀ` (plus the output gradient of step `t−1`), `dU = Σ_t h_{t−1}ᵀ da_t`,
//! `dK = Σ_t x_tᵀ da_t`, `db = Σ_t da_t`, `dx_t = da_t Kᵀ`.

use crate::data::rng::SplitMix64;
use crate::error::Result;
use crate::kernels::gemm::{matmul, matmul_at_b_strided};
use crate::kernels::rowwise::{add_to_rows, transpose};
use crate::layers::activation::ActivationFn;
use crate::layers::recurrent::{
    activate, activation_grad, check_len, grow, input_backward, sequence_output_dims, Recurrent, RnnOptions,
    Timeline, Weights,
};
use crate::layers::stage::{single_dims, single_grad, Backward, Forward, Input, MaskRule, Stage};
use crate::layers::{Param, ParamMut};
use crate::shape::Dims;

/// A fully recurrent layer (see the module docs for the shape contract and the formula).
#[derive(Clone, Debug)]
pub struct SimpleRnn {
    in_features: usize,
    units: usize,
    options: RnnOptions,
    weights: Weights,
    tl: Timeline,
    /// Per packed row: the pre-activation, then the new state `h_t` (for real rows).
    hs: Vec<f32>,
    /// Per packed row: the state before the step, `h_{t−1}`.
    h_prev: Vec<f32>,
    /// Pre-activations per packed row, kept only for activations whose derivative needs them.
    pre: Vec<f32>,
    /// The current state of every row, `batch × u`.
    h: Vec<f32>,
    /// Pre-activation gradients per packed row.
    dg: Vec<f32>,
    /// `∂L/∂h` of every row at the current step, `batch × u`.
    dh: Vec<f32>,
    /// One step's `dgates @ Uᵀ`.
    dh_step: Vec<f32>,
    recurrent_t: Vec<f32>,
    kernel_t: Vec<f32>,
    dxt: Vec<f32>,
    scratch: Vec<f32>,
}

impl SimpleRnn {
    /// A SimpleRNN with Keras's initialisers drawn from `rng`: glorot-uniform kernel,
    /// orthogonal recurrent kernel, zero bias.
    pub fn new(in_features: usize, units: usize, options: RnnOptions, rng: &mut SplitMix64) -> Self {
        let bias: &[usize] = if options.use_bias { &[units] } else { &[] };
        let names = ["simple_rnn_cell/kernel", "simple_rnn_cell/recurrent_kernel", "simple_rnn_cell/bias"];
        SimpleRnn {
            in_features,
            units,
            options,
            weights: Weights::new(in_features, units, 1, bias, names, rng),
            tl: Timeline::default(),
            hs: Vec::new(),
            h_prev: Vec::new(),
            pre: Vec::new(),
            h: Vec::new(),
            dg: Vec::new(),
            dh: Vec::new(),
            dh_step: Vec::new(),
            recurrent_t: Vec::new(),
            kernel_t: Vec::new(),
            dxt: Vec::new(),
            scratch: Vec::new(),
        }
    }
}

impl Recurrent for SimpleRnn {
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
        "simple_rnn"
    }

    fn set_zero_output_for_mask(&mut self, zero: bool) {
        self.options.zero_output_for_mask = zero;
    }

    fn sibling(&self, go_backwards: bool, rng: &mut SplitMix64) -> Self {
        SimpleRnn::new(self.in_features, self.units, RnnOptions { go_backwards, ..self.options }, rng)
    }
}

impl Stage for SimpleRnn {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "SimpleRnn")?;
        sequence_output_dims("SimpleRNN", self.in_features, self.units, self.options.return_sequences, input)
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let Input { data: x, dims: in_dims, mask } = args.input("SimpleRnn")?;
        let (batch, _mode) = (args.batch, args.mode);
        let (f, u, opt) = (self.in_features, self.units, self.options);
        let out = self.output_dims(&[in_dims])?;
        check_len("SimpleRNN", "output", batch * out.numel(), y.len())?;
        self.tl.prepare("SimpleRNN", x, in_dims, batch, mask, f, opt.go_backwards)?;
        let SimpleRnn { tl, weights: w, hs, h_prev, pre, h, .. } = self;
        let (steps, b, p) = (tl.steps, tl.batch, tl.packed());
        let needs_pre = opt.activation.backward_needs_input();
        grow(hs, p * u);
        grow(h_prev, p * u);
        grow(h, b * u);
        if needs_pre {
            grow(pre, p * u);
        }
        matmul(p, f, u, &tl.xt[..p * f], &w.kernel, &mut hs[..p * u], false);
        let h = &mut h[..b * u];
        h.fill(0.0);
        for s in 0..steps {
            let (o, n) = (tl.offset[s], tl.active[s]);
            let rows = o * u..(o + n) * u;
            h_prev[rows.clone()].copy_from_slice(&h[..n * u]);
            let a = &mut hs[rows.clone()];
            matmul(n, u, u, &h_prev[rows.clone()], &w.recurrent, a, true);
            add_to_rows(a, &w.bias);
            if needs_pre {
                pre[rows].copy_from_slice(a);
            }
            activate(opt.activation, a, u);
            for r in 0..n {
                if tl.is_real(s, r) {
                    h[r * u..(r + 1) * u].copy_from_slice(&a[r * u..(r + 1) * u]);
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
        let Input { data: x, dims: in_dims, mask: _mask } = args.input("SimpleRnn")?;
        let (batch, _y, dy, _dy_is_preactivation) =
            (args.batch, args.output, args.grad_output, args.dy_is_preactivation);
        let dx = single_grad(grad_inputs);
        let (u, opt) = (self.units, self.options);
        self.tl.check_backward("SimpleRNN", self.in_features, x, in_dims, batch)?;
        let out = self.output_dims(&[in_dims])?;
        check_len("SimpleRNN", "output gradient", batch * out.numel(), dy.len())?;
        if let Some(dx) = &dx {
            check_len("SimpleRNN", "input gradient", x.len(), dx.len())?;
        }
        let SimpleRnn {
            tl,
            weights: w,
            hs,
            h_prev,
            pre,
            dg,
            dh,
            dh_step,
            recurrent_t,
            kernel_t,
            dxt,
            scratch,
            ..
        } = self;
        let (steps, b, p) = (tl.steps, tl.batch, tl.packed());
        let needs_pre = opt.activation.backward_needs_input();
        grow(dg, p * u);
        grow(dh, b * u);
        grow(dh_step, b * u);
        grow(recurrent_t, u * u);
        transpose(&w.recurrent, u, u, recurrent_t);
        dh[..b * u].fill(0.0);
        for s in (0..steps).rev() {
            tl.add_output_grad(s, dy, u, opt.return_sequences, opt.zero_output_for_mask, dh);
            let (o, n) = (tl.offset[s], tl.active[s]);
            let dgs = &mut dg[o * u..(o + n) * u];
            for r in 0..n {
                let row = r * u..(r + 1) * u;
                if tl.is_real(s, r) {
                    let at = (o + r) * u;
                    dgs[row.clone()].copy_from_slice(&dh[row.clone()]);
                    let z = if needs_pre { &pre[at..at + u] } else { &[][..] };
                    activation_grad(opt.activation, z, &hs[at..at + u], &mut dgs[row], u, scratch);
                } else {
                    dgs[row].fill(0.0);
                }
            }
            matmul(n, u, u, dgs, &recurrent_t[..u * u], &mut dh_step[..n * u], false);
            for r in 0..n {
                if tl.is_real(s, r) {
                    dh[r * u..(r + 1) * u].copy_from_slice(&dh_step[r * u..(r + 1) * u]);
                }
            }
        }
        let dg = &dg[..p * u];
        matmul_at_b_strided(u, p, u, &h_prev[..p * u], u, dg, u, &mut w.recurrent_grad, u);
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
        "SimpleRNN".into()
    }

    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        self.weights.visit(visit);
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        self.weights.visit_mut(visit);
    }
}
