//! The [`Model`] trait: the typed entry points of a model with one input and one output.

use crate::error::{Error, Result};
use crate::layers::{Input, Mode, ParamMut};
use crate::model::Network;
use crate::shape::{Dims, Shape};
use crate::tensor::Tensor;

/// A [`Network`] with one input and one output (every sequential model, and a graph that
/// reads one input and makes one output): its shapes as types, `In` and `Out`, and the entry
/// points on flat data and typed tensors. A model with one input and output is also a
/// [`crate::layers::Layer`], so it nests inside another model.
///
/// Every method is provided, over the network's input 0 and output 0.
pub trait Model: Network {
    /// The per-sample input shape (the `input:` line).
    type In: Shape;
    /// The per-sample output shape (the last layer's).
    type Out: Shape;

    /// Runs every layer on `batch` samples of per-sample `dims` (which must fit `In`), the
    /// input's padded steps marked by `mask` (`batch · dims[0]` values, 1.0 for a real step),
    /// and returns the output buffer with its per-sample dims. For a model whose input is
    /// token ids, see [`Model::run_ids`].
    fn run_masked(
        &mut self,
        x: &[f32],
        dims: Dims,
        batch: usize,
        mask: Option<&[f32]>,
        mode: Mode,
    ) -> Result<(&[f32], Dims)> {
        self.run_inputs(&[Input::new(x, dims).with_mask(mask)], batch, mode)?;
        Ok(self.output_at(0))
    }

    /// [`Model::run_masked`] for a model whose input is token ids (`input: u32[..]`).
    fn run_ids(
        &mut self,
        ids: &[u32],
        dims: Dims,
        batch: usize,
        mask: Option<&[f32]>,
        mode: Mode,
    ) -> Result<(&[f32], Dims)> {
        self.run_inputs(&[Input::ids(ids, dims).with_mask(mask)], batch, mode)?;
        Ok(self.output_at(0))
    }

    /// [`Model::run_masked`] without a mask: every step is real.
    fn run(&mut self, x: &[f32], dims: Dims, batch: usize, mode: Mode) -> Result<(&[f32], Dims)> {
        self.run_masked(x, dims, batch, None, mode)
    }

    /// The mask of the last run's output, when the output is a sequence that carries one
    /// (`batch · steps` values).
    fn output_mask(&self) -> Option<&[f32]> {
        self.output_mask_at(0)
    }

    /// Backward through every layer after a [`Model::run`] in [`Mode::Training`] on the same
    /// `x` (with the same `dims` and mask), with the gradient of the loss with respect to the
    /// output already written into [`Model::output_and_grad`]'s buffer (or with respect to the
    /// last layer's pre-activation when `dy_is_preactivation`). Writes every weight's gradient,
    /// and the gradient with respect to `x` into `dx` when given.
    fn backward(
        &mut self,
        x: &[f32],
        dims: Dims,
        batch: usize,
        mask: Option<&[f32]>,
        dy_is_preactivation: bool,
        dx: Option<&mut [f32]>,
    ) -> Result<()> {
        let inputs = [Input::new(x, dims).with_mask(mask)];
        self.backward_inputs(&inputs, batch, &[dy_is_preactivation], &mut [dx])
    }

    /// [`Model::backward`] without an input gradient, handing each layer's weights to `visit`
    /// right after that layer's backward pass (last layer first; full paths, `dense_1/kernel`).
    fn backward_visiting(
        &mut self,
        x: &[f32],
        dims: Dims,
        batch: usize,
        mask: Option<&[f32]>,
        dy_is_preactivation: bool,
        visit: &mut dyn FnMut(ParamMut<'_>),
    ) -> Result<()> {
        let inputs = [Input::new(x, dims).with_mask(mask)];
        self.backward_visiting_inputs(&inputs, batch, &[dy_is_preactivation], visit)
    }

    /// The last run's output and the buffer for the gradient with respect to it.
    fn output_and_grad(&mut self) -> (&[f32], &mut [f32]) {
        self.output_and_grad_at(0)
    }

    /// The activation the model's last layer ends with (a loss may fuse with it).
    fn output_activation(&self) -> Option<crate::layers::Activation> {
        self.output_activation_at(0)
    }

    /// The model's output for a batch given as flat row-major data plus its full shape, batch
    /// axis first (`[32, 64]`).
    ///
    /// Returns `Err` naming both shapes when `shape` does not fit the model's input
    /// (`input of model `digits` must have shape (None, 64), but has shape (32, 63)`) or when
    /// `x.len()` is not the product of `shape` (computed without overflow).
    ///
    /// ```
    /// use shaped::prelude::*;
    ///
    /// shaped::model! {
    ///     struct Net {
    ///         input: [4],
    ///         Dense(2, activation = softmax),
    ///     }
    /// }
    ///
    /// let mut model = Net::new(0);
    /// // Data read at run time: its shape is checked here, not by the compiler.
    /// let probs = model.predict_flat(&[0.5; 3 * 4], &[3, 4])?;
    /// assert_eq!((probs.batch(), probs.dims().as_slice()), (3, &[2][..]));
    /// let err = model.predict_flat(&[0.5; 3 * 5], &[3, 5]).unwrap_err();
    /// assert_eq!(err.to_string(), "input of model `net` must have shape (None, 4), but has shape (3, 5)");
    /// # Ok::<(), shaped::Error>(())
    /// ```
    fn predict_flat(&mut self, x: &[f32], shape: &[usize]) -> Result<Tensor<Self::Out>> {
        let context = || format!("input of model `{}`", <Self as Network>::NAME);
        let (&batch, sample) = shape.split_first().ok_or_else(|| {
            Error::shape(context(), Dims::keras_pattern(Self::In::DIMS), "() (no batch axis)")
        })?;
        let dims = Dims::new(sample).filter(|d| d.fits(Self::In::DIMS)).ok_or_else(|| {
            Error::shape(context(), Dims::keras_pattern(Self::In::DIMS), format_shape(shape))
        })?;
        let needed = dims.batch_numel(batch).ok_or_else(|| Error::InvalidArgument {
            name: "shape",
            detail: format!(
                "{} given to model `{}` holds more values than this machine can address",
                format_shape(shape),
                Self::NAME
            ),
        })?;
        if x.len() != needed {
            return Err(Error::LengthMismatch {
                context: format!("data and shape {} given to model `{}`", format_shape(shape), Self::NAME),
                left: x.len(),
                right: needed,
            });
        }
        let (y, out_dims) = self.run(x, dims, batch, Mode::Inference)?;
        Tensor::from_vec(y.to_vec(), batch, out_dims)
    }

    /// The model's output for a typed batch.
    fn predict_tensor(&mut self, x: &Tensor<Self::In>) -> Result<Tensor<Self::Out>> {
        let (y, out_dims) = self.run(x.data(), x.dims(), x.batch(), Mode::Inference)?;
        Tensor::from_vec(y.to_vec(), x.batch(), out_dims)
    }
}

/// `(32, 63)` for `[32, 63]`.
fn format_shape(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(", "))
    }
}
