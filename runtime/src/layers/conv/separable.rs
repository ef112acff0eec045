//! [`SeparableConv`]: Keras's `SeparableConv2D`, a depthwise convolution (no bias, no
//! activation) then a pointwise `1 × 1` convolution to `F` filters with the bias and activation.
//!
//! ```text
//! u[i, j, c·m + k] = Σ_{ky, kx} x[.., c] · D[ky, kx, c, k]        (the window, strides, padding)
//! y[i, j, f]       = act(b[f] + Σ_q u[i, j, q] · P[0, 0, q, f])
//! ```
//!
//! Backward: `dz = act'(z) ⊙ dy`, `dP = uᵀ · dz`, `db = Σ dz`, `du = dz · Pᵀ`, then the depthwise
//! backward from `du`. Masked samples: `u` and `dz` are zero at padded positions, so the
//! pointwise half needs nothing more. Weights: `depthwise_kernel (kh, kw, C, m)` (fans
//! `C·kh·kw`, `m·kh·kw`), `pointwise_kernel (1, 1, C·m, F)` (fans `C·m`, `F`), `bias (F,)`.

use crate::buffer::grow;
use crate::data::rng::SplitMix64;
use crate::error::Result;
use crate::kernels::gemm::{matmul, matmul_a_bt_with, matmul_at_b};
use crate::layers::activation::Activation;
use crate::layers::init::glorot_uniform_shaped;
use crate::layers::spatial_mask::padded_extent;
use crate::layers::stage::{single_dims, single_grad, Backward, Forward, Input, MaskRule, Masked, Stage};
use crate::layers::{Param, ParamMut};
use crate::shape::Dims;
use shaped_rules::Window;

use super::geometry::{check_buffers, spatial, zero_outside};
use super::head::Head;
use super::DepthwiseConv;
use crate::layers::stage::check_buffer;

/// A depthwise-separable convolution: `[h, w, C]` → `[h', w', F]`; see the module docs.
#[derive(Clone, Debug)]
pub struct SeparableConv {
    depthwise: DepthwiseConv,
    filters: usize,
    /// `(C·m) × F`.
    pointwise: Vec<f32>,
    pointwise_grad: Vec<f32>,
    pointwise_shape: [usize; 4],
    head: Head,
    /// The depthwise output `u` of the last forward (grown, never shrunk).
    u: Vec<f32>,
    /// Scratch for `du` and `Pᵀ` (grown, never shrunk).
    du: Vec<f32>,
    pointwise_t: Vec<f32>,
}

impl SeparableConv {
    /// A separable convolution of `in_channels` channels: a depthwise convolution with
    /// `depth_multiplier` outputs per channel over `window`, then `filters` pointwise filters;
    /// glorot-uniform kernels drawn from `rng` (depthwise first), a zero bias.
    pub fn new(
        in_channels: usize,
        window: Window,
        depth_multiplier: usize,
        filters: usize,
        activation: Activation,
        use_bias: bool,
        rng: &mut SplitMix64,
    ) -> SeparableConv {
        let depthwise =
            DepthwiseConv::new(in_channels, window, depth_multiplier, Activation::Linear, false, rng);
        let mid = in_channels.saturating_mul(depth_multiplier);
        let pointwise_shape = [1, 1, mid, filters];
        let mut pointwise = vec![0.0; mid.saturating_mul(filters)];
        glorot_uniform_shaped(rng, &pointwise_shape, &mut pointwise);
        SeparableConv {
            depthwise,
            filters,
            pointwise_grad: vec![0.0; pointwise.len()],
            pointwise,
            pointwise_shape,
            head: Head::new(filters, activation, use_bias),
            u: Vec::new(),
            du: Vec::new(),
            pointwise_t: Vec::new(),
        }
    }

    /// The depthwise half (its `kernel` is this layer's `depthwise_kernel`).
    pub fn depthwise(&self) -> &DepthwiseConv {
        &self.depthwise
    }

    /// The pointwise kernel, Keras layout `(1, 1, C·m, F)`, row-major.
    pub fn pointwise_kernel(&self) -> &[f32] {
        &self.pointwise
    }

    /// The bias `(F,)`; empty when `use_bias = false`.
    pub fn bias(&self) -> &[f32] {
        &self.head.bias
    }

    fn kind_name(&self) -> &'static str {
        if self.depthwise.conv().options().window.axes == 1 {
            "SeparableConv1D"
        } else {
            "SeparableConv2D"
        }
    }

    /// `u`'s dims: the depthwise output.
    fn mid_dims(&self, input: Dims) -> Result<Dims> {
        self.depthwise.output_dims(&[input])
    }
}

impl Stage for SeparableConv {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, self.kind_name())?;
        let (window, filters) = (self.depthwise.conv().options().window, self.filters);
        self.depthwise.conv().dims_for(input, |d| shaped_rules::separable_conv(d, window, filters))
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let input = args.input(self.kind_name())?;
        let out_dims = self.output_dims(&[input.dims])?;
        check_buffers(self.kind_name(), &input, args.batch, out_dims, y.len())?;
        let mid_dims = self.mid_dims(input.dims)?;
        let mid_len = mid_dims.numel() * args.batch;
        grow(&mut self.u, mid_len);
        self.depthwise.conv_mut().run(&input, mid_dims, args.batch, args.mode, &mut self.u[..mid_len])?;
        let rows = args.batch * out_dims.numel() / self.filters.max(1);
        let mid = mid_dims.last();
        matmul(rows, mid, self.filters, &self.u[..mid_len], &self.pointwise, y, false);
        let conv = self.depthwise.conv();
        let (geoms, f, grid) =
            (&conv.engine.geoms[..args.batch], self.filters, padded_extent(spatial(&out_dims)));
        let zero = |out: &mut [f32]| zero_outside(out, f, grid, geoms.iter().map(|g| g.output));
        self.head.finish(y, args.mode, input.mask.is_some().then_some(&zero as &dyn Fn(&mut [f32])));
        Ok(())
    }

    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        let input: Input<'_> = args.input(self.kind_name())?;
        let out_dims = self.output_dims(&[input.dims])?;
        check_buffers(self.kind_name(), &input, args.batch, out_dims, args.grad_output.len())?;
        check_buffer(self.kind_name(), "output", args.grad_output.len(), args.output.len())?;
        let mid_dims = self.mid_dims(input.dims)?;
        let mid_len = mid_dims.numel() * args.batch;
        let (rows, mid, f) =
            (args.batch * out_dims.numel() / self.filters.max(1), mid_dims.last(), self.filters);
        let grid = padded_extent(spatial(&out_dims));
        let conv = self.depthwise.conv();
        let geoms = &conv.engine.geoms[..args.batch];
        let zero = |out: &mut [f32]| zero_outside(out, f, grid, geoms.iter().map(|g| g.output));
        let masked = input.mask.is_some().then_some(&zero as &dyn Fn(&mut [f32]));
        let dz = self.head.grad(args.output, args.grad_output, args.dy_is_preactivation, masked);
        matmul_at_b(mid, rows, f, &self.u[..mid_len], dz, &mut self.pointwise_grad, false);
        grow(&mut self.du, mid_len);
        matmul_a_bt_with(
            rows,
            f,
            mid,
            dz,
            &self.pointwise,
            &mut self.du[..mid_len],
            false,
            &mut self.pointwise_t,
        );
        let dx = single_grad(grad_inputs);
        let (u, du) = (&self.u[..mid_len], &self.du[..mid_len]);
        self.depthwise.conv_mut().run_backward(&input, mid_dims, args.batch, u, du, true, dx)
    }

    fn mask_rule(&self) -> MaskRule {
        MaskRule::ProduceIf(Masked::Any)
    }

    fn produce_mask(&self, args: Forward<'_>, out_mask: &mut [f32]) -> Result<()> {
        // The pointwise half keeps every position: the depthwise half's mask.
        self.depthwise.produce_mask(args, out_mask)
    }

    fn output_activation(&self) -> Option<Activation> {
        Some(self.head.activation)
    }

    fn kind(&self) -> String {
        self.kind_name().into()
    }

    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        self.depthwise.conv().params(visit, "depthwise_kernel");
        visit(Param {
            name: "pointwise_kernel",
            shape: &self.pointwise_shape,
            data: &self.pointwise,
            grad: &self.pointwise_grad,
            trainable: true,
        });
        if self.head.use_bias {
            visit(Param {
                name: "bias",
                shape: std::slice::from_ref(&self.filters),
                data: &self.head.bias,
                grad: &self.head.bias_grad,
                trainable: true,
            });
        }
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        self.depthwise.conv_mut().params_mut(visit, "depthwise_kernel");
        visit(ParamMut {
            name: "pointwise_kernel",
            shape: &self.pointwise_shape,
            data: &mut self.pointwise,
            grad: &mut self.pointwise_grad,
            trainable: true,
        });
        if self.head.use_bias {
            visit(ParamMut {
                name: "bias",
                shape: std::slice::from_ref(&self.filters),
                data: &mut self.head.bias,
                grad: &mut self.head.bias_grad,
                trainable: true,
            });
        }
    }
}
