//! `Activation(name)` as a layer: applies an [`Activation`] to its input, shape unchanged.

use crate::error::Result;
use crate::layers::activation::Activation;
use crate::layers::Mode;
use crate::model::Stage;
use crate::shape::Dims;

impl Stage for Activation {
    fn output_dims(&self, input: Dims) -> Result<Dims> {
        Ok(input)
    }

    /// Softmax is taken over the last axis, like Keras's `Activation("softmax")`.
    fn forward(
        &mut self,
        x: &[f32],
        in_dims: Dims,
        _batch: usize,
        y: &mut [f32],
        _mode: Mode,
    ) -> Result<()> {
        y.copy_from_slice(x);
        self.forward_in_place(y, in_dims.last().max(1));
        Ok(())
    }

    fn kind(&self) -> String {
        "Activation".into()
    }
}
