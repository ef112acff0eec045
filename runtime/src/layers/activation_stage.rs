//! `Activation(name)` as a layer: applies an [`Activation`] to its input, shape unchanged.

use crate::error::Result;
use crate::layers::activation::Activation;
use crate::layers::activation::ActivationFn;
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::stage::{single_dims, single_grad, Backward, Forward, Input, Stage};
use crate::shape::Dims;

impl Stage for Activation {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "Activation")?;
        rule_dims_one("Activation", input, shaped_rules::same)
    }

    /// Softmax is taken over the last axis, like Keras's `Activation("softmax")`.
    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let Input { data: x, dims: in_dims, .. } = args.input("Activation")?;
        let (_batch, _mode) = (args.batch, args.mode);
        y.copy_from_slice(x);
        self.forward_in_place(y, in_dims.last().max(1));
        Ok(())
    }

    /// `dx = f'(x) ⊙ dy` (the Jacobian-vector product for softmax), or `dx = dy` when `dy` is
    /// already with respect to the pre-activation (a fused loss).
    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        let Input { data: x, dims: in_dims, .. } = args.input("Activation")?;
        let (_batch, y, dy, dy_is_preactivation) =
            (args.batch, args.output, args.grad_output, args.dy_is_preactivation);
        let dx = single_grad(grad_inputs);
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
