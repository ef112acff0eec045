//! [`Stage`]: one layer of a generated model, working on flat buffers and runtime dims.
//!
//! Built-in layers implement it directly (their kernels take `usize` dims, so their code is
//! compiled once, not once per shape); custom layers and nested models reach it through
//! [`Opaque`], which rebuilds the typed views their [`Layer`] impl expects.

use crate::error::{Error, Result};
use crate::layers::{Layer, Mode, Param, ParamMut};
use crate::shape::{Dims, Shape};
use crate::tensor::{TensorMut, TensorRef};
use std::marker::PhantomData;

/// One step of a model's straight-line forward code.
///
/// Contract: `forward` reads `x` (`batch · numel(in_dims)` values) and writes every element of
/// `y` (`batch · numel(output_dims(in_dims))` values).
pub trait Stage {
    /// Per-sample output dims for per-sample input dims; `Err` naming both if the input does not fit.
    fn output_dims(&self, input: Dims) -> Result<Dims>;

    /// `y = f(x)` for `batch` samples.
    fn forward(
        &mut self,
        x: &[f32],
        in_dims: Dims,
        batch: usize,
        y: &mut [f32],
        mode: Mode,
    ) -> Result<()>;

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

/// A custom layer or nested model `L` taking input shape `In`, adapted to [`Stage`].
pub struct Opaque<L, In> {
    /// The wrapped layer.
    pub layer: L,
    input: PhantomData<fn(In)>,
}

impl<L, In> Opaque<L, In> {
    /// Wraps `layer`.
    pub fn new(layer: L) -> Self {
        Opaque {
            layer,
            input: PhantomData,
        }
    }
}

impl<L: Layer<In>, In: Shape> Stage for Opaque<L, In> {
    fn output_dims(&self, input: Dims) -> Result<Dims> {
        let out = self.layer.output_dims(input)?;
        if !out.fits(L::Out::DIMS) {
            return Err(Error::shape(
                format!(
                    "output of layer `{}` (from its `output_dims`)",
                    self.layer.kind()
                ),
                Dims::keras_pattern(L::Out::DIMS),
                format!("{out}"),
            ));
        }
        Ok(out)
    }

    fn forward(
        &mut self,
        x: &[f32],
        in_dims: Dims,
        batch: usize,
        y: &mut [f32],
        mode: Mode,
    ) -> Result<()> {
        let out_dims = self.output_dims(in_dims)?;
        let input = TensorRef::<In>::new(x, batch, in_dims)?;
        let output = TensorMut::<L::Out>::new(y, batch, out_dims)?;
        self.layer.forward(input, output, mode)
    }

    fn kind(&self) -> String {
        self.layer.kind()
    }

    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        self.layer.visit_params(visit)
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        self.layer.visit_params_mut(visit)
    }
}

/// Visits a layer's weights with names prefixed by the layer's name: `kernel` → `dense/kernel`.
pub fn visit_prefixed(stage: &dyn Stage, prefix: &str, visit: &mut dyn FnMut(Param<'_>)) {
    stage.visit_params(&mut |p| {
        let name = format!("{prefix}/{}", p.name);
        visit(Param {
            name: &name,
            shape: p.shape,
            data: p.data,
        })
    });
}

/// [`visit_prefixed`], writable.
pub fn visit_prefixed_mut(
    stage: &mut dyn Stage,
    prefix: &str,
    visit: &mut dyn FnMut(ParamMut<'_>),
) {
    stage.visit_params_mut(&mut |p| {
        let name = format!("{prefix}/{}", p.name);
        visit(ParamMut {
            name: &name,
            shape: p.shape,
            data: p.data,
        })
    });
}
