//! `Dropout(rate)`: inverted dropout. Training: `y = x · Bernoulli(1 − rate) / (1 − rate)`;
//! inference: `y = x`. Shape unchanged. Backward: `dx = dy ⊙ mask` with the forward's mask.

use crate::data::rng::SplitMix64;
use crate::error::Result;
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::stage::{single_dims, single_grad, Backward, Forward, Input, Stage};
use crate::layers::Mode;
use crate::shape::Dims;

/// Randomly zeroes a fraction `rate` of the values while training (see the module docs).
#[derive(Clone, Debug)]
pub struct Dropout {
    rate: f32,
    rng: SplitMix64,
    /// The last training forward's factors, `0` or `1 / (1 − rate)` per value; grown, never shrunk.
    mask: Vec<f32>,
}

impl Dropout {
    /// A dropout layer with `0 ≤ rate < 1` (the macro checks the literal) drawing from `rng`.
    pub fn new(rate: f32, rng: SplitMix64) -> Self {
        Dropout { rate, rng, mask: Vec::new() }
    }

    /// The drop probability.
    pub fn rate(&self) -> f32 {
        self.rate
    }
}

impl Stage for Dropout {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "Dropout")?;
        rule_dims_one("Dropout", input, shaped_rules::same)
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let Input { data: x, .. } = args.input("Dropout")?;
        let (_batch, mode) = (args.batch, args.mode);
        if mode == Mode::Inference || self.rate == 0.0 {
            y.copy_from_slice(x);
            if mode == Mode::Training {
                crate::buffer::grow(&mut self.mask, x.len());
                self.mask[..x.len()].fill(1.0);
            }
            return Ok(());
        }
        let scale = 1.0 / (1.0 - self.rate);
        crate::buffer::grow(&mut self.mask, x.len());
        for ((o, &i), m) in y.iter_mut().zip(x).zip(&mut self.mask) {
            *m = if self.rng.next_f32() < self.rate { 0.0 } else { scale };
            *o = i * *m;
        }
        Ok(())
    }

    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        args.input("Dropout")?;
        let (_batch, _y, dy, _dy_is_preactivation) =
            (args.batch, args.output, args.grad_output, args.dy_is_preactivation);
        let dx = single_grad(grad_inputs);
        if let Some(dx) = dx {
            for ((g, &d), &m) in dx.iter_mut().zip(dy).zip(&self.mask) {
                *g = d * m;
            }
        }
        Ok(())
    }

    fn kind(&self) -> String {
        "Dropout".into()
    }

    /// The random generator's state, so that a resumed training draws the same masks.
    fn state(&self) -> Option<String> {
        Some(self.rng.state().to_string())
    }

    fn load_state(&mut self, state: &str) -> Result<()> {
        let value = state.trim().parse::<u64>().map_err(|e| crate::error::Error::InvalidArgument {
            name: "state",
            detail: format!(
                "`Dropout` keeps its random generator's state as an integer, but got `{state}`: {e}"
            ),
        })?;
        self.rng = SplitMix64::new(value);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Mode;
    use crate::testing::forward_one;

    #[test]
    fn identity_at_inference_and_scaled_in_training() {
        let mut d = Dropout::new(0.25, SplitMix64::new(3));
        let x = vec![1.0f32; 10_000];
        let mut y = vec![0.0f32; 10_000];
        let dims = Dims::new(&[100]).unwrap();
        forward_one(&mut d, &x, dims, 100, None, &mut y, Mode::Inference).unwrap();
        assert_eq!(x, y);
        forward_one(&mut d, &x, dims, 100, None, &mut y, Mode::Training).unwrap();
        let dropped = y.iter().filter(|&&v| v == 0.0).count() as f32 / 10_000.0;
        assert!((dropped - 0.25).abs() < 0.02, "dropped fraction {dropped}");
        assert!(y.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.75).abs() < 1e-6));
    }
}
