//! [`Opaque`]: a custom layer or nested model, adapted to [`Stage`] for the input shape it was
//! built for.

use crate::error::{Error, Result};
use crate::layers::stage::{single_dims, single_grad, Backward, Forward, MaskRule, Stage};
use crate::layers::{Layer, Param, ParamMut};
use crate::shape::{Dims, Shape};
use crate::tensor::{TensorMut, TensorRef};

/// A custom layer or nested model `L`, adapted to [`Stage`] for the input shape it was built
/// for.
///
/// The input shape is fixed by [`Opaque::new`] and kept in the function pointers, not in the
/// type, so a model's fields never name a `Layer<In>` bound that could fail: the macro checks
/// that bound once, with a readable message.
pub struct Opaque<L> {
    /// The wrapped layer.
    pub layer: L,
    ops: OpaqueOps<L>,
}

/// `Layer::forward` of `L` for one input shape, on a stage's arguments.
type ForwardFn<L> = fn(&mut L, Forward<'_>, &mut [f32]) -> Result<()>;
/// `Layer::backward` of `L` for one input shape, on a stage's arguments.
type BackwardFn<L> = fn(&mut L, Backward<'_>, Option<&mut [f32]>) -> Result<()>;
/// `Layer::produce_mask` of `L` for one input shape.
type ProduceMaskFn<L> = fn(&L, Forward<'_>, &mut [f32]) -> Result<()>;
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
    config: fn(&L) -> Option<String>,
    load_config: fn(&mut L, &str) -> Result<()>,
    state: fn(&L) -> Option<String>,
    load_state: fn(&mut L, &str) -> Result<()>,
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
                config: |l| l.config(),
                load_config: |l, c| l.load_config(c),
                state: |l| l.state(),
                load_state: |l, s| l.load_state(s),
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

fn forward_of<L: Layer<In>, In: Shape>(layer: &mut L, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
    let x = args.input(&layer.kind())?;
    let out_dims = output_dims_of::<L, In>(layer, x.dims)?;
    let input = TensorRef::<In>::new(x.data, args.batch, x.dims)?.with_mask(x.mask);
    let output = TensorMut::<L::Out>::new(y, args.batch, out_dims)?;
    layer.forward(input, output, args.mode)
}

fn backward_of<L: Layer<In>, In: Shape>(
    layer: &mut L,
    args: Backward<'_>,
    dx: Option<&mut [f32]>,
) -> Result<()> {
    let x = args.input(&layer.kind())?;
    let out_dims = output_dims_of::<L, In>(layer, x.dims)?;
    let input = TensorRef::<In>::new(x.data, args.batch, x.dims)?.with_mask(x.mask);
    let output = TensorRef::<L::Out>::new(args.output, args.batch, out_dims)?;
    let grad_output = TensorRef::<L::Out>::new(args.grad_output, args.batch, out_dims)?;
    let grad_input = match dx {
        Some(dx) => Some(TensorMut::<In>::new(dx, args.batch, x.dims)?),
        None => None,
    };
    layer.backward(input, output, grad_output, grad_input)
}

fn produce_mask_of<L: Layer<In>, In: Shape>(
    layer: &L,
    args: Forward<'_>,
    out_mask: &mut [f32],
) -> Result<()> {
    let x = args.input(&layer.kind())?;
    let input = TensorRef::<In>::new(x.data, args.batch, x.dims)?.with_mask(x.mask);
    layer.produce_mask(input, out_mask)
}

impl<L> Stage for Opaque<L> {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, &self.kind())?;
        (self.ops.output_dims)(&self.layer, input)
    }

    fn forward(&mut self, args: Forward<'_>, output: &mut [f32]) -> Result<()> {
        (self.ops.forward)(&mut self.layer, args, output)
    }

    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        (self.ops.backward)(&mut self.layer, args, single_grad(grad_inputs))
    }

    fn mask_rule(&self) -> MaskRule {
        (self.ops.mask_rule)(&self.layer)
    }

    fn produce_mask(&self, args: Forward<'_>, out_mask: &mut [f32]) -> Result<()> {
        (self.ops.produce_mask)(&self.layer, args, out_mask)
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

    fn config(&self) -> Option<String> {
        (self.ops.config)(&self.layer)
    }

    fn load_config(&mut self, config: &str) -> Result<()> {
        (self.ops.load_config)(&mut self.layer, config)
    }

    fn state(&self) -> Option<String> {
        (self.ops.state)(&self.layer)
    }

    fn load_state(&mut self, state: &str) -> Result<()> {
        (self.ops.load_state)(&mut self.layer, state)
    }
}
