//! [`Conv`]: Keras's `Conv1D` / `Conv2D` (grouped or not), and the forward and backward passes
//! that `DepthwiseConv` and `SeparableConv` reuse.

use crate::data::rng::SplitMix64;
use crate::error::{Error, Result};
use crate::layers::activation::Activation;
use crate::layers::init::glorot_uniform_shaped;
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::spatial_mask::{padded_extent, real_extent};
use crate::layers::stage::{single_dims, single_grad, Backward, Forward, Input, MaskRule, Masked, Stage};
use crate::layers::{Mode, Param, ParamMut};
use crate::shape::Dims;

use super::geometry::{check_buffers, check_window, conv_geometry, spatial, zero_outside};
use super::grouped::Grouped;
use super::head::Head;
use super::{write_output_mask, ConvOptions};
use crate::layers::stage::check_buffer;

/// A convolution over the spatial axes of `[steps, C]` (1-D) or `[h, w, C]` (2-D) samples:
/// `[.., C]` → `[.., filters]`, see [the module docs](super) for the formula, the layouts and
/// the masks.
#[derive(Clone, Debug)]
pub struct Conv {
    options: ConvOptions,
    in_channels: usize,
    /// Keras's kernel shape: `(k, C/groups, F)` or `(kh, kw, C/groups, F)` (a depthwise layer
    /// shows its own, `(kh, kw, C, m)`); `kernel_rank` entries.
    kernel_shape: [usize; 4],
    kernel_rank: usize,
    /// The class name `kind()` shows.
    kind: &'static str,
    pub(super) engine: Grouped,
    pub(super) head: Head,
}

impl Conv {
    /// A convolution of `in_channels` input channels with a glorot-uniform kernel drawn from
    /// `rng` (Keras's fans: `fan_in = C/groups · ∏k`, `fan_out = F · ∏k`) and a zero bias.
    /// `options.window.axes` picks `Conv1D` (1) or `Conv2D` (2); a window or grouping the shape
    /// rule refuses makes every pass an `Err`.
    pub fn new(in_channels: usize, options: ConvOptions, rng: &mut SplitMix64) -> Conv {
        let kind = if options.window.axes == 1 { "Conv1D" } else { "Conv2D" };
        let groups = options.groups.max(1);
        let mut shape = [0; 4];
        let rank = kernel_shape(&options.window, in_channels / groups, options.filters, &mut shape);
        Conv::build(kind, in_channels, options, &shape[..rank], rng)
    }

    /// A convolution whose kernel has Keras shape `shape` (its layout in memory is always
    /// `(k…, C/groups, F)`), drawn with that shape's fans.
    pub(super) fn build(
        kind: &'static str,
        in_channels: usize,
        options: ConvOptions,
        shape: &[usize],
        rng: &mut SplitMix64,
    ) -> Conv {
        let w = &options.window;
        let taps = if w.axes == 1 { w.size[0] } else { w.size[0].saturating_mul(w.size[1]) };
        let mut engine = Grouped::new(taps, in_channels, options.groups, options.filters);
        glorot_uniform_shaped(rng, shape, &mut engine.kernel);
        let mut kernel_shape = [0; 4];
        kernel_shape[..shape.len()].copy_from_slice(shape);
        Conv {
            in_channels,
            kernel_shape,
            kernel_rank: shape.len(),
            kind,
            engine,
            head: Head::new(options.filters, options.activation, options.use_bias),
            options,
        }
    }

    /// The options it was built with.
    pub fn options(&self) -> &ConvOptions {
        &self.options
    }

    /// Input channels `C`.
    pub fn in_channels(&self) -> usize {
        self.in_channels
    }

    /// The kernel, Keras layout `(kh, kw, C/groups, F)` (1-D: `(k, C/groups, F)`), row-major.
    pub fn kernel(&self) -> &[f32] {
        &self.engine.kernel
    }

    /// The bias `(F,)`; empty when `use_bias = false`.
    pub fn bias(&self) -> &[f32] {
        &self.head.bias
    }

    /// The output dims by the shared rule, and the input's channels against the kernel's.
    pub(super) fn dims_for(
        &self,
        input: Dims,
        rule: impl FnOnce(&[Option<usize>]) -> std::result::Result<shaped_rules::ConstDims, shaped_rules::Fail>,
    ) -> Result<Dims> {
        check_window(self.kind, &self.options.window)?;
        let out = rule_dims_one(self.kind, input, rule)?;
        if input.last() != self.in_channels {
            let mut expected = String::from("(None");
            for _ in 0..self.options.window.axes {
                expected.push_str(", …");
            }
            expected.push_str(&format!(", {})", self.in_channels));
            return Err(Error::shape(format!("input of `{}`", self.kind), expected, input.with_batch_none()));
        }
        Ok(out)
    }

    /// Plans each sample's geometry: its own extent under the mask.
    fn plan(&mut self, input: &Input<'_>, out_dims: Dims, batch: usize) {
        let (in_grid, out_grid) = (padded_extent(spatial(&input.dims)), padded_extent(spatial(&out_dims)));
        let (window, c, groups, mask) =
            (self.options.window, self.in_channels, self.engine.groups, input.mask);
        self.engine.plan(batch, |b| {
            conv_geometry(&window, c, groups, in_grid, out_grid, real_extent(mask, b, in_grid))
        });
    }

    /// `y = act(conv(x) + b)`, zero at padded output positions: the forward pass for an input
    /// whose output dims are `out_dims`.
    pub(super) fn run(
        &mut self,
        input: &Input<'_>,
        out_dims: Dims,
        batch: usize,
        mode: Mode,
        y: &mut [f32],
    ) -> Result<()> {
        check_buffers(self.kind, input, batch, out_dims, y.len())?;
        self.plan(input, out_dims, batch);
        self.engine.forward(input.data, input.dims.numel(), batch, y, mode == Mode::Training);
        let (geoms, f, grid) =
            (&self.engine.geoms[..batch], self.options.filters, padded_extent(spatial(&out_dims)));
        let zero = |out: &mut [f32]| zero_outside(out, f, grid, geoms.iter().map(|g| g.output));
        self.head.finish(y, mode, input.mask.is_some().then_some(&zero as &dyn Fn(&mut [f32])));
        Ok(())
    }

    /// The backward pass after [`Conv::run`] on the same input.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn run_backward(
        &mut self,
        input: &Input<'_>,
        out_dims: Dims,
        batch: usize,
        y: &[f32],
        dy: &[f32],
        dy_is_preactivation: bool,
        dx: Option<&mut [f32]>,
    ) -> Result<()> {
        check_buffers(self.kind, input, batch, out_dims, dy.len())?;
        check_buffer(self.kind, "output", dy.len(), y.len())?;
        if let Some(dx) = &dx {
            check_buffer(self.kind, "input gradient", input.data.len(), dx.len())?;
        }
        let grid = padded_extent(spatial(&out_dims));
        let f = self.options.filters;
        let (engine, head) = (&mut self.engine, &mut self.head);
        let geoms = &engine.geoms[..batch];
        let zero = |out: &mut [f32]| zero_outside(out, f, grid, geoms.iter().map(|g| g.output));
        let dz = head.grad(
            y,
            dy,
            dy_is_preactivation,
            input.mask.is_some().then_some(&zero as &dyn Fn(&mut [f32])),
        );
        engine.backward(Some(input.data), input.dims.numel(), batch, dz, dx);
        Ok(())
    }

    /// The kernel and bias as Keras names them.
    pub(super) fn params(&self, visit: &mut dyn FnMut(Param<'_>), kernel_name: &'static str) {
        let (data, grad) = (&self.engine.kernel[..], &self.engine.kernel_grad[..]);
        let shape = &self.kernel_shape[..self.kernel_rank];
        self.head.visit_with_kernel(Param { name: kernel_name, shape, data, grad, trainable: true }, visit);
    }

    /// [`Conv::params`], writable.
    pub(super) fn params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>), kernel_name: &'static str) {
        let (data, grad) = (&mut self.engine.kernel[..], &mut self.engine.kernel_grad[..]);
        let shape = &self.kernel_shape[..self.kernel_rank];
        let kernel = ParamMut { name: kernel_name, shape, data, grad, trainable: true };
        self.head.visit_with_kernel_mut(kernel, visit);
    }
}

/// Keras's kernel shape `(k…, in, out)` for `window` into `shape`; returns its rank.
pub(super) fn kernel_shape(
    window: &shaped_rules::Window,
    inputs: usize,
    outputs: usize,
    shape: &mut [usize; 4],
) -> usize {
    if window.axes == 1 {
        *shape = [window.size[0], inputs, outputs, 0];
        3
    } else {
        *shape = [window.size[0], window.size[1], inputs, outputs];
        4
    }
}

impl Stage for Conv {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, self.kind)?;
        let (window, filters, groups) = (self.options.window, self.options.filters, self.options.groups);
        self.dims_for(input, |d| shaped_rules::conv(d, window, filters, groups))
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let input = args.input(self.kind)?;
        let out_dims = self.output_dims(&[input.dims])?;
        self.run(&input, out_dims, args.batch, args.mode, y)
    }

    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        let input = args.input(self.kind)?;
        let out_dims = self.output_dims(&[input.dims])?;
        let dx = single_grad(grad_inputs);
        self.run_backward(
            &input,
            out_dims,
            args.batch,
            args.output,
            args.grad_output,
            args.dy_is_preactivation,
            dx,
        )
    }

    fn mask_rule(&self) -> MaskRule {
        MaskRule::ProduceIf(Masked::Any)
    }

    fn produce_mask(&self, args: Forward<'_>, out_mask: &mut [f32]) -> Result<()> {
        let input = args.input(self.kind)?;
        let out_dims = self.output_dims(&[input.dims])?;
        let (window, c, groups) = (self.options.window, self.in_channels, self.engine.groups);
        write_output_mask(self.kind, &input, out_dims, args.batch, out_mask, |in_grid, out_grid, real| {
            conv_geometry(&window, c, groups, in_grid, out_grid, real).output
        })
    }

    fn output_activation(&self) -> Option<Activation> {
        Some(self.options.activation)
    }

    fn kind(&self) -> String {
        self.kind.into()
    }

    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        self.params(visit, "kernel");
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        self.params_mut(visit, "kernel");
    }
}
