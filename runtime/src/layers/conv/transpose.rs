//! [`ConvTranspose`]: Keras's `Conv2DTranspose` (and its 1-D twin), the adjoint of a
//! convolution, with `output_padding=None`.
//!
//! Each input pixel scatters its channels through the kernel `K (kh, kw, F, C)`:
//!
//! ```text
//! y[i·s₀ + ky·d₀ − o₀, j·s₁ + kx·d₁ − o₁, f] += Σ_c x[i, j, c] · K[ky, kx, f, c],   then y = act(y + b)
//! ```
//!
//! cropped to the output size `n·s + max(e − s, 0)` (`valid`) or `n·s` (`same`), with the
//! offset `o` of Keras's JAX `conv_transpose` ([`transpose_offset`](super::geometry)): `valid`
//! 0; `same` `e − 1 − min(⌈(s + e − 2)/2⌉, e − 1)`. That is the input gradient of the
//! convolution `y → x` with kernel `K` (`F` channels in, `C` out) and padding `o`, so the
//! forward pass is that convolution's backward (`col2im(x · Kᵀ)`), the input gradient its
//! forward (`dx = conv(dz)`), and `dK = im2col(dz)ᵀ · x`. A masked sample gets the output size
//! of its own extent; its padded input pixels are read as zeros.

use crate::buffer::grow;
use crate::data::rng::SplitMix64;
use crate::error::{Error, Result};
use crate::layers::activation::Activation;
use crate::layers::init::glorot_uniform_shaped;
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::spatial_mask::{padded_extent, real_extent, Extent};
use crate::layers::stage::{single_dims, single_grad, Backward, Forward, Input, MaskRule, Masked, Stage};
use crate::layers::{Param, ParamMut};
use crate::shape::Dims;

use super::geometry::{check_buffers, check_window, spatial, transpose_geometry, zero_outside};
use super::grouped::Grouped;
use super::head::Head;
use super::standard::kernel_shape;
use super::{write_output_mask, ConvOptions};
use crate::layers::stage::check_buffer;

/// A transposed convolution: `[h, w, C]` → `[H, W, F]` (1-D: `[steps, C]` → `[steps', F]`);
/// see the module docs.
#[derive(Clone, Debug)]
pub struct ConvTranspose {
    options: ConvOptions,
    in_channels: usize,
    kind: &'static str,
    kernel_shape: [usize; 4],
    kernel_rank: usize,
    /// The convolution `y (F channels) → x (C channels)` this is the adjoint of; its kernel
    /// `(k…, F, C)` is Keras's transposed kernel as it is.
    engine: Grouped,
    head: Head,
    /// The input with its padded pixels zeroed (masked batches only; grown, never shrunk).
    x_real: Vec<f32>,
}

impl ConvTranspose {
    /// A transposed convolution of `in_channels` channels to `options.filters`, with a
    /// glorot-uniform `kernel (kh, kw, F, C)` drawn from `rng` (Keras's fans: `fan_in = F·∏k`,
    /// `fan_out = C·∏k`) and a zero bias. `options.groups` must be 1 (every pass is an `Err`
    /// otherwise, as Keras has no grouped transposed convolution).
    pub fn new(in_channels: usize, options: ConvOptions, rng: &mut SplitMix64) -> ConvTranspose {
        let w = &options.window;
        let kind = if w.axes == 1 { "Conv1DTranspose" } else { "Conv2DTranspose" };
        let mut shape = [0; 4];
        let rank = kernel_shape(w, options.filters, in_channels, &mut shape);
        let taps = if w.axes == 1 { w.size[0] } else { w.size[0].saturating_mul(w.size[1]) };
        let mut engine = Grouped::new(taps, options.filters, 1, in_channels);
        glorot_uniform_shaped(rng, &shape[..rank], &mut engine.kernel);
        ConvTranspose {
            in_channels,
            kind,
            kernel_shape: shape,
            kernel_rank: rank,
            engine,
            head: Head::new(options.filters, options.activation, options.use_bias),
            x_real: Vec::new(),
            options,
        }
    }

    /// The options it was built with.
    pub fn options(&self) -> &ConvOptions {
        &self.options
    }

    /// The kernel, Keras layout `(kh, kw, F, C)` (1-D: `(k, F, C)`), row-major.
    pub fn kernel(&self) -> &[f32] {
        &self.engine.kernel
    }

    /// The bias `(F,)`; empty when `use_bias = false`.
    pub fn bias(&self) -> &[f32] {
        &self.head.bias
    }

    /// Plans each sample's geometry and, for a masked batch, copies the input into `x_real`
    /// with its padded pixels zeroed; returns whether it did.
    fn plan(&mut self, input: &Input<'_>, out_dims: Dims, batch: usize) -> bool {
        let (x_grid, y_grid) = (padded_extent(spatial(&input.dims)), padded_extent(spatial(&out_dims)));
        let (window, f, mask) = (self.options.window, self.options.filters, input.mask);
        self.engine
            .plan(batch, |b| transpose_geometry(&window, f, y_grid, x_grid, real_extent(mask, b, x_grid)));
        if mask.is_none() {
            return false;
        }
        let n = input.data.len();
        grow(&mut self.x_real, n);
        self.x_real[..n].copy_from_slice(input.data);
        let geoms = &self.engine.geoms[..batch];
        zero_outside(&mut self.x_real[..n], self.in_channels, x_grid, geoms.iter().map(|g| g.output));
        true
    }
}

impl Stage for ConvTranspose {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, self.kind)?;
        check_window(self.kind, &self.options.window)?;
        if self.options.groups != 1 {
            return Err(Error::InvalidArgument {
                name: "groups",
                detail: format!(
                    "`{}` has no channel groups (groups = 1), got {}",
                    self.kind, self.options.groups
                ),
            });
        }
        let (window, filters) = (self.options.window, self.options.filters);
        let out = rule_dims_one(self.kind, input, |d| shaped_rules::conv_transpose(d, window, filters))?;
        if input.last() != self.in_channels {
            return Err(Error::shape(
                format!("input of `{}`", self.kind),
                format!("(None, …, {})", self.in_channels),
                input.with_batch_none(),
            ));
        }
        Ok(out)
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let input = args.input(self.kind)?;
        let out_dims = self.output_dims(&[input.dims])?;
        check_buffers(self.kind, &input, args.batch, out_dims, y.len())?;
        let y_len = out_dims.numel();
        let (batch, grid, f) = (args.batch, padded_extent(spatial(&out_dims)), self.options.filters);
        let masked = self.plan(&input, out_dims, batch);
        let x = if masked { &self.x_real[..input.data.len()] } else { input.data };
        self.engine.backward(None, y_len, batch, x, Some(y));
        let geoms = &self.engine.geoms[..batch];
        let zero = |out: &mut [f32]| zero_outside(out, f, grid, geoms.iter().map(|g| g.input));
        self.head.finish(y, args.mode, input.mask.is_some().then_some(&zero as &dyn Fn(&mut [f32])));
        Ok(())
    }

    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        let input = args.input(self.kind)?;
        let out_dims = self.output_dims(&[input.dims])?;
        let (batch, y, dy) = (args.batch, args.output, args.grad_output);
        check_buffers(self.kind, &input, batch, out_dims, dy.len())?;
        check_buffer(self.kind, "output", dy.len(), y.len())?;
        let dx = single_grad(grad_inputs);
        if let Some(dx) = &dx {
            check_buffer(self.kind, "input gradient", input.data.len(), dx.len())?;
        }
        let (y_len, grid, f) = (out_dims.numel(), padded_extent(spatial(&out_dims)), self.options.filters);
        let masked = self.plan(&input, out_dims, batch);
        let x = if masked { &self.x_real[..input.data.len()] } else { input.data };
        let geoms = &self.engine.geoms[..batch];
        let zero = |out: &mut [f32]| zero_outside(out, f, grid, geoms.iter().map(|g| g.input));
        let dz =
            self.head.grad(y, dy, args.dy_is_preactivation, masked.then_some(&zero as &dyn Fn(&mut [f32])));
        // dx = conv(dz); its cols are kept for dK = im2col(dz)ᵀ · x.
        if let Some(dx) = dx {
            self.engine.forward(dz, y_len, batch, dx, true);
        }
        self.engine.backward(Some(dz), y_len, batch, x, None);
        Ok(())
    }

    fn mask_rule(&self) -> MaskRule {
        MaskRule::ProduceIf(Masked::Any)
    }

    fn produce_mask(&self, args: Forward<'_>, out_mask: &mut [f32]) -> Result<()> {
        let input = args.input(self.kind)?;
        let out_dims = self.output_dims(&[input.dims])?;
        let (window, f) = (self.options.window, self.options.filters);
        write_output_mask(
            self.kind,
            &input,
            out_dims,
            args.batch,
            out_mask,
            |x_grid: Extent, y_grid: Extent, real| transpose_geometry(&window, f, y_grid, x_grid, real).input,
        )
    }

    fn output_activation(&self) -> Option<Activation> {
        Some(self.options.activation)
    }

    fn kind(&self) -> String {
        self.kind.into()
    }

    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        let (data, grad) = (&self.engine.kernel[..], &self.engine.kernel_grad[..]);
        let shape = &self.kernel_shape[..self.kernel_rank];
        self.head.visit_with_kernel(Param { name: "kernel", shape, data, grad, trainable: true }, visit);
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        let (data, grad) = (&mut self.engine.kernel[..], &mut self.engine.kernel_grad[..]);
        let shape = &self.kernel_shape[..self.kernel_rank];
        let kernel = ParamMut { name: "kernel", shape, data, grad, trainable: true };
        self.head.visit_with_kernel_mut(kernel, visit);
    }
}
