//! `MissingIndicator`: where values are missing, 1 per missing value, scikit-learn's
//! `MissingIndicator(features="all")` (Keras has no such layer).
//!
//! Shape contract: `[.., F]` → the same. Formula: `y = 1` where `x` is missing (an
//! `Option<f32>` input's `None`, which travels as NaN), else `y = 0`. Read beside the
//! `Normalization` that fills the same values with their mean, it lets a model learn from the
//! fact that a value was missing. No weights; the output does not depend on the values, so the
//! input gradient is 0.

use crate::error::Result;
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::stage::{check_buffer, single_dims, single_grad, Backward, Forward, Stage};
use crate::shape::Dims;

/// 1 where a value is missing, else 0 (see the module docs).
#[derive(Clone, Copy, Debug, Default)]
pub struct MissingIndicator;

impl Stage for MissingIndicator {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "MissingIndicator")?;
        rule_dims_one("MissingIndicator", input, shaped_rules::same)
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let x = args.input("MissingIndicator")?.data;
        check_buffer("MissingIndicator", "output", x.len(), y.len())?;
        for (y, x) in y.iter_mut().zip(x) {
            *y = if x.is_nan() { 1.0 } else { 0.0 };
        }
        Ok(())
    }

    fn backward(&mut self, _args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        if let Some(dx) = single_grad(grad_inputs) {
            dx.fill(0.0);
        }
        Ok(())
    }

    fn kind(&self) -> String {
        "MissingIndicator".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::{Input, Mode};

    #[test]
    fn marks_each_missing_value() {
        let x = [1.0, f32::NAN, 0.0, f32::NAN];
        // Four samples of one value.
        let inputs = [Input::new(&x, Dims::new(&[1]).unwrap())];
        let mut y = [9.0; 4];
        MissingIndicator
            .forward(Forward { inputs: &inputs, batch: 4, mode: Mode::Inference }, &mut y)
            .unwrap();
        assert_eq!(y, [0.0, 1.0, 0.0, 1.0]);
    }
}
