//! Convolutions over channels-last samples, Keras 3's semantics: `Conv1D` / `Conv2D`
//! ([`Conv`], grouped or not), `Conv2DTranspose` ([`ConvTranspose`]), `DepthwiseConv2D`
//! ([`DepthwiseConv`]) and `SeparableConv2D` ([`SeparableConv`]).
//!
//! Shape contract (the shared rules of `shaped::rules`, `spatial_rules.rs`): input `[steps, C]`
//! (1-D) or `[h, w, C]` (2-D) → `[.., F]`, each spatial axis of size `n` through the window
//! (`valid`: `⌊(n − e)/s⌋ + 1`; `same`, `causal`: `⌈n/s⌉`; transposed: `n·s + max(e − s, 0)` or
//! `n·s`, `e = d·(k − 1) + 1`). Cross-correlation, as Keras:
//!
//! ```text
//! y[i, j, f] = act(b[f] + Σ_{ky, kx, c'} x[i·s₀ + ky·d₀ − pad₀, j·s₁ + kx·d₁ − pad₁, g·Cg + c'] · K[ky, kx, c', f])
//! ```
//!
//! with `g = f / (F / groups)` the filter's channel group and `x` zero outside the image
//! (`same`: `⌊P/2⌋` zeros before and the rest after, `P = max((out − 1)·s + e − n, 0)`;
//! `causal`: `e − 1` before). Weights in Keras layout and names: `kernel (kh, kw, C/groups, F)`
//! (1-D `(k, C/groups, F)`), `bias (F,)`; a transposed kernel is `(kh, kw, F, C)`; a depthwise
//! `kernel (kh, kw, C, m)` gives output channel `c·m + j`; a separable layer has
//! `depthwise_kernel (kh, kw, C, m)`, `pointwise_kernel (1, 1, C·m, F)` and `bias (F,)`.
//! Kernels start glorot-uniform with Keras's fans (`fan_in = shape[-2]·∏k`,
//! `fan_out = shape[-1]·∏k`), biases at zero.
//!
//! Every layer is im2col ([`crate::kernels::im2col`]) and one gemm per channel group over the
//! whole batch (in chunks when the copies would not fit in memory); backward
//! `dK = colsᵀ · dz`, `db = Σ dz`, `dx = col2im(dz · Kᵀ)`, `dz = act'(z) ⊙ dy`. A transposed
//! convolution is the adjoint of a convolution, so it runs the same engine the other way round.
//!
//! Masks: a batch of images of different sizes, padded at the bottom and right, comes with its
//! mask (see [`crate::layers::spatial_mask`]). Each sample is computed as if it were alone: its
//! output size and `same` padding from its own size, no value outside its real rectangle read
//! (they are garbage, not zeros), its output at the top left of the padded output grid and 0.0
//! at the other positions, whose gradients are ignored; the input gradient is 0.0 at padded
//! input positions. The output's mask is each sample's output rectangle
//! ([`MaskRule::ProduceIf`](crate::layers::MaskRule::ProduceIf)`(Any)`).

mod depthwise;
mod geometry;
mod grouped;
mod head;
mod separable;
mod standard;
mod transpose;

pub use depthwise::DepthwiseConv;
pub use separable::SeparableConv;
pub use standard::Conv;
pub use transpose::ConvTranspose;

use crate::error::Result;
use crate::layers::activation::Activation;
use crate::layers::spatial_mask::{padded_extent, real_extent, write_extent_mask, Extent};
use crate::layers::stage::Input;
use crate::shape::Dims;
use shaped_rules::Window;

use crate::layers::stage::check_buffer;
use geometry::spatial;

/// The arguments of `Conv1D` / `Conv2D` / `Conv2DTranspose` that the `model!` macro reads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConvOptions {
    /// Size, strides, dilation and padding over 1 (`[steps, C]`) or 2 (`[h, w, C]`) axes.
    pub window: Window,
    /// Output channels `F`.
    pub filters: usize,
    /// Channel groups (Keras's `groups`, 1 for an ordinary convolution): input channels
    /// `g·C/groups..` feed filters `g·F/groups..` only. Must divide `C` and `F`.
    pub groups: usize,
    /// Applied after the bias.
    pub activation: Activation,
    /// Whether the layer has a bias `(F,)`.
    pub use_bias: bool,
}

/// Writes the output mask of a masked input: each sample's output rectangle, `rect(in_grid,
/// out_grid, real input extent)`, at the top left of the output grid; all ones without a mask.
fn write_output_mask(
    layer: &str,
    input: &Input<'_>,
    out_dims: Dims,
    batch: usize,
    out_mask: &mut [f32],
    rect: impl Fn(Extent, Extent, Extent) -> Extent,
) -> Result<()> {
    let (in_grid, out_grid) = (padded_extent(spatial(&input.dims)), padded_extent(spatial(&out_dims)));
    let positions = out_dims.mask_positions();
    check_buffer(layer, "output mask", batch.saturating_mul(positions), out_mask.len())?;
    if let Some(mask) = input.mask {
        check_buffer(layer, "input mask", batch.saturating_mul(input.dims.mask_positions()), mask.len())?;
    }
    for (b, sample) in out_mask.chunks_exact_mut(positions.max(1)).enumerate().take(batch) {
        let real = rect(in_grid, out_grid, real_extent(input.mask, b, in_grid));
        write_extent_mask(sample, out_grid, real);
    }
    Ok(())
}
