//! [`DepthwiseConv`]: Keras's `DepthwiseConv2D`, each input channel convolved alone with
//! `depth_multiplier` kernels.
//!
//! `y[i, j, c·m + k] = act(b[c·m + k] + Σ_{ky, kx} x[.., c] · K[ky, kx, c, k])`: a grouped
//! convolution with `groups = C` and `F = C·m`, whose kernel `(kh, kw, 1, C·m)` has exactly the
//! memory layout of Keras's depthwise `kernel (kh, kw, C, m)`; only the fans of its
//! glorot-uniform start differ (`fan_in = C·kh·kw`, `fan_out = m·kh·kw`).

use crate::data::rng::SplitMix64;
use crate::error::Result;
use crate::layers::activation::Activation;
use crate::layers::stage::{Backward, Forward, MaskRule, Stage};
use crate::layers::{Param, ParamMut};
use crate::shape::Dims;
use shaped_rules::Window;

use super::standard::{kernel_shape, Conv};
use super::ConvOptions;

/// A depthwise convolution: `[h, w, C]` → `[h', w', C·m]` (1-D: `[steps, C]` →
/// `[steps', C·m]`); see the module docs.
#[derive(Clone, Debug)]
pub struct DepthwiseConv {
    conv: Conv,
    depth_multiplier: usize,
}

impl DepthwiseConv {
    /// A depthwise convolution of `in_channels` channels with `depth_multiplier` outputs each, a
    /// glorot-uniform `kernel (kh, kw, C, m)` drawn from `rng` and a zero bias `(C·m,)`.
    pub fn new(
        in_channels: usize,
        window: Window,
        depth_multiplier: usize,
        activation: Activation,
        use_bias: bool,
        rng: &mut SplitMix64,
    ) -> DepthwiseConv {
        let options = ConvOptions {
            window,
            filters: in_channels.saturating_mul(depth_multiplier),
            groups: in_channels.max(1),
            activation,
            use_bias,
        };
        let kind = if window.axes == 1 { "DepthwiseConv1D" } else { "DepthwiseConv2D" };
        let mut shape = [0; 4];
        let rank = kernel_shape(&window, in_channels, depth_multiplier, &mut shape);
        DepthwiseConv { conv: Conv::build(kind, in_channels, options, &shape[..rank], rng), depth_multiplier }
    }

    /// Outputs per input channel, `m`.
    pub fn depth_multiplier(&self) -> usize {
        self.depth_multiplier
    }

    /// The kernel, Keras layout `(kh, kw, C, m)`, row-major.
    pub fn kernel(&self) -> &[f32] {
        self.conv.kernel()
    }

    /// The bias `(C·m,)`; empty when `use_bias = false`.
    pub fn bias(&self) -> &[f32] {
        self.conv.bias()
    }
}

impl Stage for DepthwiseConv {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = crate::layers::stage::single_dims(inputs, "DepthwiseConv2D")?;
        let (window, m) = (self.conv.options().window, self.depth_multiplier);
        self.conv.dims_for(input, |d| shaped_rules::depthwise_conv(d, window, m))
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        self.conv.forward(args, y)
    }

    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        self.conv.backward(args, grad_inputs)
    }

    fn mask_rule(&self) -> MaskRule {
        self.conv.mask_rule()
    }

    fn produce_mask(&self, args: Forward<'_>, out_mask: &mut [f32]) -> Result<()> {
        self.conv.produce_mask(args, out_mask)
    }

    fn output_activation(&self) -> Option<Activation> {
        self.conv.output_activation()
    }

    fn kind(&self) -> String {
        self.conv.kind()
    }

    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        self.conv.visit_params(visit)
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        self.conv.visit_params_mut(visit)
    }
}

impl DepthwiseConv {
    /// The grouped convolution underneath.
    pub(super) fn conv(&self) -> &Conv {
        &self.conv
    }

    /// The grouped convolution underneath, writable.
    pub(super) fn conv_mut(&mut self) -> &mut Conv {
        &mut self.conv
    }
}
