//! `Flatten` and `Reshape(target)`: the same values in row-major order under a new shape.
//!
//! `Flatten`: `[d0, d1, ..]` → `[d0·d1·…]`. `Reshape([t0, t1, ..])`: → `[t0, t1, ..]`, with at
//! most one `-1` axis inferred so that the element count is unchanged (Keras `Reshape`).
//! Backward: the gradient keeps its values, `dx = dy`.

use crate::error::Result;
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::stage::{single_dims, single_grad, Backward, Forward, Input, Stage};
use crate::shape::Dims;

/// Collapses every per-sample axis into one (see the module docs).
#[derive(Clone, Copy, Debug, Default)]
pub struct Flatten;

impl Stage for Flatten {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "Flatten")?;
        rule_dims_one("Flatten", input, shaped_rules::flatten)
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let Input { data: x, .. } = args.input("Flatten")?;
        let (_batch, _mode) = (args.batch, args.mode);
        y.copy_from_slice(x);
        Ok(())
    }

    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        args.input("Flatten")?;
        let (_batch, _y, dy, _dy_is_preactivation) =
            (args.batch, args.output, args.grad_output, args.dy_is_preactivation);
        let dx = single_grad(grad_inputs);
        if let Some(dx) = dx {
            dx.copy_from_slice(dy);
        }
        Ok(())
    }

    /// Keras: Flatten does not support masking; the mask ends here.
    fn mask_rule(&self) -> crate::layers::MaskRule {
        crate::layers::MaskRule::Drop
    }

    fn kind(&self) -> String {
        "Flatten".into()
    }
}

/// Gives the per-sample values a new shape of the same element count (see the module docs).
#[derive(Clone, Copy, Debug)]
pub struct Reshape {
    /// The target dims; `None` marks the one inferred axis (`-1`).
    target: [Option<usize>; crate::shape::MAX_RANK],
    rank: usize,
}

impl Reshape {
    /// A reshape to `target`, where `None` is Keras's `-1` (at most one; the macro checks).
    pub fn new(target: &[Option<usize>]) -> Self {
        let mut t = [Some(1); crate::shape::MAX_RANK];
        t[..target.len()].copy_from_slice(target);
        Reshape { target: t, rank: target.len() }
    }
}

impl Stage for Reshape {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "Reshape")?;
        rule_dims_one("Reshape", input, |d| shaped_rules::reshape(d, &self.target[..self.rank]))
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let Input { data: x, .. } = args.input("Reshape")?;
        let (_batch, _mode) = (args.batch, args.mode);
        y.copy_from_slice(x);
        Ok(())
    }

    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        args.input("Reshape")?;
        let (_batch, _y, dy, _dy_is_preactivation) =
            (args.batch, args.output, args.grad_output, args.dy_is_preactivation);
        let dx = single_grad(grad_inputs);
        if let Some(dx) = dx {
            dx.copy_from_slice(dy);
        }
        Ok(())
    }

    /// Keras: Reshape does not support masking; the mask ends here.
    fn mask_rule(&self) -> crate::layers::MaskRule {
        crate::layers::MaskRule::Drop
    }

    fn kind(&self) -> String {
        "Reshape".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Mode;
    use crate::testing::forward_one;

    #[test]
    fn shapes() {
        assert_eq!(Flatten.output_dims(&[Dims::new(&[3, 4, 2]).unwrap()]).unwrap().as_slice(), &[24]);
        let r = Reshape::new(&[None, Some(4)]);
        assert_eq!(r.output_dims(&[Dims::new(&[12]).unwrap()]).unwrap().as_slice(), &[3, 4]);
        assert!(r.output_dims(&[Dims::new(&[10]).unwrap()]).is_err());
        let r = Reshape::new(&[Some(4), Some(32)]);
        let err = r.output_dims(&[Dims::new(&[64]).unwrap()]).unwrap_err().to_string();
        assert_eq!(err, "layer `Reshape` needs an input with 128 elements to reshape to [4, 32], but its input [64] has 64");
    }

    #[test]
    fn values_keep_row_major_order() {
        let x: Vec<f32> = (0..6).map(|v| v as f32).collect();
        let mut y = vec![0.0; 6];
        forward_one(
            &mut Reshape::new(&[Some(3), Some(2)]),
            &x,
            Dims::new(&[6]).unwrap(),
            1,
            None,
            &mut y,
            Mode::Inference,
        )
        .unwrap();
        assert_eq!(x, y);
    }
}
