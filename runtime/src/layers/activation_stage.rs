//! `Activation(name)` as a layer: applies an [`Activation`] to its input, shape unchanged.

use crate::error::Result;
use crate::layers::activation::Activation;
use crate::layers::activation::ActivationFn;
use crate::layers::Mode;
use crate::model::Stage;
use crate::shape::Dims;

impl Stage for Activation {
    fn output_dims(&self, input: Dims) -> Result<Dims> {
        Ok(input)
    }

    /// Softmax is taken over the last axis, like Keras's `Activation("softmax")`.
    fn forward_masked(
        &mut self,
        x: &[f32],
        in_dims: Dims,
        _batch: usize,
        _mask: Option<&[f32]>,
        y: &mut [f32],
        _mode: Mode,
    ) -> Result<()> {
        y.copy_from_slice(x);
        self.forward_in_place(y, in_dims.last().max(1));
        Ok(())
    }

    /// `dx = f'(x) ⊙ dy` (the Jacobian-vector product for softmax), or `dx = dy` when `dy` is
    /// already with respect to the pre-activation (a fused loss).
    fn backward_masked(
        &mut self,
        x: &[f32],
        in_dims: Dims,
        _batch: usize,
        _mask: Option<&[f32]>,
        y: &[f32],
        dy: &[f32],
        dx: Option<&mut [f32]>,
        dy_is_preactivation: bool,
    ) -> Result<()> {
        if let Some(dx) = dx {
            if dy_is_preactivation {
                dx.copy_from_slice(dy);
            } else {
                ActivationFn::backward(*self, x, y, dy, dx, in_dims.last().max(1));
            }
        }
        Ok(())
    }

    fn output_activation(&self) -> Option<Activation> {
        Some(*self)
    }

    fn kind(&self) -> String {
        "Activation".into()
    }
}
