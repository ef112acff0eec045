//! [`Stage`]: one layer of a generated model, working on flat buffers and runtime dims.
//!
//! Built-in layers implement it directly (their kernels take `usize` dims, so their code is
//! compiled once, not once per shape); custom layers and nested models reach it through
//! [`Opaque`], which rebuilds the typed views their [`Layer`] impl expects.

use crate::error::{Error, Result};
use crate::layers::{Layer, Mode, Param, ParamMut};
use crate::shape::{Dims, Shape};
use crate::tensor::{TensorMut, TensorRef};

/// One step of a model's straight-line forward code.
///
/// Contract: `forward_masked` reads `x` (`batch · numel(in_dims)` values) and writes every element of
/// `y` (`batch · numel(output_dims(in_dims))` values).
pub trait Stage {
    /// Per-sample output dims for per-sample input dims; `Err` naming both if the input does not fit.
    fn output_dims(&self, input: Dims) -> Result<Dims>;

    /// `y = f(x)` for `batch` samples, given the input's mask: `mask[b · steps + t]` is 1.0
    /// where step `t` of sample `b` is real and 0.0 where it is padding (`steps = in_dims[0]`,
    /// the time axis), `None` when every step is real.
    ///
    /// Layers that work on each step alone (Dense, Activation, Dropout) ignore the mask:
    /// padded steps get values that every mask-honouring layer after them ignores, and zero
    /// gradients. Layers that mix steps (recurrent layers, pooling over time) honour it, as
    /// Keras's `call(mask=...)`.
    #[allow(clippy::too_many_arguments)]
    fn forward_masked(
        &mut self,
        x: &[f32],
        in_dims: Dims,
        batch: usize,
        mask: Option<&[f32]>,
        y: &mut [f32],
        mode: Mode,
    ) -> Result<()>;

    /// Gradients for the batch of the last forward pass (run in [`Mode::Training`] on the
    /// same `x` and mask): overwrites the gradients of this layer's weights and, when `dx` is
    /// given, writes the gradient with respect to the input (`x`'s length).
    ///
    /// `y` is that forward's output and `dy` the gradient with respect to it, or with respect
    /// to the pre-activation when `dy_is_preactivation` (a loss fused with the layer's output
    /// activation, see [`Stage::output_activation`]).
    #[allow(clippy::too_many_arguments)]
    fn backward_masked(
        &mut self,
        x: &[f32],
        in_dims: Dims,
        batch: usize,
        mask: Option<&[f32]>,
        y: &[f32],
        dy: &[f32],
        dx: Option<&mut [f32]>,
        dy_is_preactivation: bool,
    ) -> Result<()>;

    /// [`Stage::forward_masked`] with every step real.
    fn forward(&mut self, x: &[f32], in_dims: Dims, batch: usize, y: &mut [f32], mode: Mode) -> Result<()> {
        self.forward_masked(x, in_dims, batch, None, y, mode)
    }

    /// [`Stage::backward_masked`] with every step real.
    #[allow(clippy::too_many_arguments)]
    fn backward(
        &mut self,
        x: &[f32],
        in_dims: Dims,
        batch: usize,
        y: &[f32],
        dy: &[f32],
        dx: Option<&mut [f32]>,
        dy_is_preactivation: bool,
    ) -> Result<()> {
        self.backward_masked(x, in_dims, batch, None, y, dy, dx, dy_is_preactivation)
    }

    /// What happens to the mask at this layer (Keras's `supports_masking` / `compute_mask`).
    fn mask_rule(&self) -> MaskRule {
        MaskRule::Keep
    }

    /// For [`MaskRule::Produce`]: writes the output's mask (`batch · out_steps` values).
    fn produce_mask(
        &self,
        x: &[f32],
        in_dims: Dims,
        batch: usize,
        in_mask: Option<&[f32]>,
        out_mask: &mut [f32],
    ) -> Result<()> {
        let _ = (x, in_dims, batch, in_mask);
        out_mask.fill(1.0);
        Ok(())
    }

    /// The activation this layer ends with, which a loss may fuse with (softmax followed by
    /// crossentropy); `None` for layers that do not end with one.
    fn output_activation(&self) -> Option<crate::layers::Activation> {
        None
    }

    /// The type shown in `summary()`.
    fn kind(&self) -> String;

    /// Calls `visit` once per weight tensor in Keras order; names are relative to the layer.
    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        let _ = visit;
    }

    /// Calls `visit` once per weight tensor, writable.
    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        let _ = visit;
    }

    /// The number of weights (what `summary()` shows as `Param #`).
    fn param_count(&self) -> usize {
        let mut n = 0;
        self.visit_params(&mut |p| n += p.data.len());
        n
    }
}

/// What a layer does with the mask of its input (Keras's mask propagation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaskRule {
    /// The output has the input's mask (Dense, Dropout, Activation, recurrent layers with
    /// `return_sequences`).
    Keep,
    /// The output has no mask (Flatten, Reshape, pooling over time, recurrent layers returning
    /// their last output).
    Drop,
    /// The layer computes a new mask ([`Stage::produce_mask`]): Embedding with `mask_zero`,
    /// Masking.
    Produce,
}

/// A custom layer or nested model `L`, adapted to [`Stage`] for the input shape it was built for.
///
/// The input shape is fixed by [`Opaque::new`] and kept in the function pointers, not in the
/// type, so a model's fields never name a `Layer<In>` bound that could fail: the macro checks
/// that bound once, with a readable message.
pub struct Opaque<L> {
    /// The wrapped layer.
    pub layer: L,
    ops: OpaqueOps<L>,
}

/// `Layer::forward` of `L` for one input shape, on flat buffers with the input's mask.
type ForwardFn<L> = fn(&mut L, &[f32], Dims, usize, Option<&[f32]>, &mut [f32], Mode) -> Result<()>;
/// `Layer::backward` of `L` for one input shape, on flat buffers with the input's mask.
type BackwardFn<L> =
    fn(&mut L, &[f32], Dims, usize, Option<&[f32]>, &[f32], &[f32], Option<&mut [f32]>) -> Result<()>;
/// `Layer::produce_mask` of `L` for one input shape.
type ProduceMaskFn<L> = fn(&L, &[f32], Dims, usize, Option<&[f32]>, &mut [f32]) -> Result<()>;
/// `Layer::visit_params` of `L` for one input shape.
type VisitFn<L> = fn(&L, &mut dyn FnMut(Param<'_>));
/// `Layer::visit_params_mut` of `L` for one input shape.
type VisitMutFn<L> = fn(&mut L, &mut dyn FnMut(ParamMut<'_>));

/// The `Layer<In>` methods of `L` for one `In`, as plain function pointers.
struct OpaqueOps<L> {
    output_dims: fn(&L, Dims) -> Result<Dims>,
    forward: ForwardFn<L>,
    backward: BackwardFn<L>,
    mask_rule: fn(&L) -> MaskRule,
    produce_mask: ProduceMaskFn<L>,
    kind: fn(&L) -> String,
    visit_params: VisitFn<L>,
    visit_params_mut: VisitMutFn<L>,
}

impl<L> Opaque<L> {
    /// Wraps `layer` as a stage taking input shape `In`.
    pub fn new<In: Shape>(layer: L) -> Self
    where
        L: Layer<In>,
    {
        Opaque {
            layer,
            ops: OpaqueOps {
                output_dims: output_dims_of::<L, In>,
                forward: forward_of::<L, In>,
                backward: backward_of::<L, In>,
                mask_rule: |l| l.mask_rule(),
                produce_mask: produce_mask_of::<L, In>,
                kind: |l| l.kind(),
                visit_params: |l, v| l.visit_params(v),
                visit_params_mut: |l, v| l.visit_params_mut(v),
            },
        }
    }
}

fn output_dims_of<L: Layer<In>, In: Shape>(layer: &L, input: Dims) -> Result<Dims> {
    let out = layer.output_dims(input)?;
    if !out.fits(L::Out::DIMS) {
        return Err(Error::shape(
            format!("output of layer `{}` (from its `output_dims`)", layer.kind()),
            Dims::keras_pattern(L::Out::DIMS),
            out.with_batch_none(),
        ));
    }
    Ok(out)
}

fn forward_of<L: Layer<In>, In: Shape>(
    layer: &mut L,
    x: &[f32],
    in_dims: Dims,
    batch: usize,
    mask: Option<&[f32]>,
    y: &mut [f32],
    mode: Mode,
) -> Result<()> {
    let out_dims = output_dims_of::<L, In>(layer, in_dims)?;
    let input = TensorRef::<In>::new(x, batch, in_dims)?.with_mask(mask);
    let output = TensorMut::<L::Out>::new(y, batch, out_dims)?;
    layer.forward(input, output, mode)
}

#[allow(clippy::too_many_arguments)]
fn backward_of<L: Layer<In>, In: Shape>(
    layer: &mut L,
    x: &[f32],
    in_dims: Dims,
    batch: usize,
    mask: Option<&[f32]>,
    y: &[f32],
    dy: &[f32],
    dx: Option<&mut [f32]>,
) -> Result<()> {
    let out_dims = output_dims_of::<L, In>(layer, in_dims)?;
    let input = TensorRef::<In>::new(x, batch, in_dims)?.with_mask(mask);
    let output = TensorRef::<L::Out>::new(y, batch, out_dims)?;
    let grad_output = TensorRef::<L::Out>::new(dy, batch, out_dims)?;
    let grad_input = match dx {
        Some(dx) => Some(TensorMut::<In>::new(dx, batch, in_dims)?),
        None => None,
    };
    layer.backward(input, output, grad_output, grad_input)
}

fn produce_mask_of<L: Layer<In>, In: Shape>(
    layer: &L,
    x: &[f32],
    in_dims: Dims,
    batch: usize,
    mask: Option<&[f32]>,
    out_mask: &mut [f32],
) -> Result<()> {
    let input = TensorRef::<In>::new(x, batch, in_dims)?.with_mask(mask);
    layer.produce_mask(input, out_mask)
}

impl<L> Stage for Opaque<L> {
    fn output_dims(&self, input: Dims) -> Result<Dims> {
        (self.ops.output_dims)(&self.layer, input)
    }

    fn forward_masked(
        &mut self,
        x: &[f32],
        in_dims: Dims,
        batch: usize,
        mask: Option<&[f32]>,
        y: &mut [f32],
        mode: Mode,
    ) -> Result<()> {
        (self.ops.forward)(&mut self.layer, x, in_dims, batch, mask, y, mode)
    }

    fn backward_masked(
        &mut self,
        x: &[f32],
        in_dims: Dims,
        batch: usize,
        mask: Option<&[f32]>,
        y: &[f32],
        dy: &[f32],
        dx: Option<&mut [f32]>,
        _dy_is_preactivation: bool,
    ) -> Result<()> {
        (self.ops.backward)(&mut self.layer, x, in_dims, batch, mask, y, dy, dx)
    }

    fn mask_rule(&self) -> MaskRule {
        (self.ops.mask_rule)(&self.layer)
    }

    fn produce_mask(
        &self,
        x: &[f32],
        in_dims: Dims,
        batch: usize,
        in_mask: Option<&[f32]>,
        out_mask: &mut [f32],
    ) -> Result<()> {
        (self.ops.produce_mask)(&self.layer, x, in_dims, batch, in_mask, out_mask)
    }

    fn kind(&self) -> String {
        (self.ops.kind)(&self.layer)
    }

    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        (self.ops.visit_params)(&self.layer, visit)
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        (self.ops.visit_params_mut)(&mut self.layer, visit)
    }
}

/// Calls `f` with `prefix/name`, built on the stack when it fits (the optimiser visits every
/// weight on every step, so the common case must not allocate).
fn with_path<R>(prefix: &str, name: &str, f: impl FnOnce(&str) -> R) -> R {
    let mut buf = [0u8; 256];
    let len = prefix.len() + 1 + name.len();
    if len <= buf.len() {
        buf[..prefix.len()].copy_from_slice(prefix.as_bytes());
        buf[prefix.len()] = b'/';
        buf[prefix.len() + 1..len].copy_from_slice(name.as_bytes());
        if let Ok(path) = std::str::from_utf8(&buf[..len]) {
            return f(path);
        }
    }
    f(&format!("{prefix}/{name}"))
}

/// Visits a layer's weights with names prefixed by the layer's name: `kernel` → `dense/kernel`.
pub fn visit_prefixed(stage: &dyn Stage, prefix: &str, visit: &mut dyn FnMut(Param<'_>)) {
    stage.visit_params(&mut |p| {
        with_path(prefix, p.name, |name| visit(Param { name, shape: p.shape, data: p.data, grad: p.grad }))
    });
}

/// [`visit_prefixed`], writable.
pub fn visit_prefixed_mut(stage: &mut dyn Stage, prefix: &str, visit: &mut dyn FnMut(ParamMut<'_>)) {
    stage.visit_params_mut(&mut |p| {
        with_path(prefix, p.name, |name| visit(ParamMut { name, shape: p.shape, data: p.data, grad: p.grad }))
    });
}

#[cfg(test)]
mod tests {
    use super::with_path;

    #[test]
    fn paths_short_and_long() {
        assert_eq!(with_path("dense", "kernel", |p| p.to_string()), "dense/kernel");
        let long = "x".repeat(300);
        assert_eq!(with_path(&long, "bias", |p| p.len()), 305);
    }
}
