//! `Dropout(rate)`: inverted dropout. Training: `y = x · Bernoulli(1 − rate) / (1 − rate)`;
//! inference: `y = x`. Shape unchanged.

use crate::data::rng::SplitMix64;
use crate::error::Result;
use crate::layers::Mode;
use crate::model::Stage;
use crate::shape::Dims;

/// Randomly zeroes a fraction `rate` of the values while training (see the module docs).
#[derive(Clone, Debug)]
pub struct Dropout {
    rate: f32,
    rng: SplitMix64,
}

impl Dropout {
    /// A dropout layer with `0 ≤ rate < 1` (the macro checks the literal) drawing from `rng`.
    pub fn new(rate: f32, rng: SplitMix64) -> Self {
        Dropout { rate, rng }
    }

    /// The drop probability.
    pub fn rate(&self) -> f32 {
        self.rate
    }
}

impl Stage for Dropout {
    fn output_dims(&self, input: Dims) -> Result<Dims> {
        Ok(input)
    }

    fn forward(
        &mut self,
        x: &[f32],
        _in_dims: Dims,
        _batch: usize,
        y: &mut [f32],
        mode: Mode,
    ) -> Result<()> {
        if mode == Mode::Inference || self.rate == 0.0 {
            y.copy_from_slice(x);
            return Ok(());
        }
        let scale = 1.0 / (1.0 - self.rate);
        for (o, &i) in y.iter_mut().zip(x) {
            *o = if self.rng.next_f32() < self.rate {
                0.0
            } else {
                i * scale
            };
        }
        Ok(())
    }

    fn kind(&self) -> String {
        "Dropout".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_at_inference_and_scaled_in_training() {
        let mut d = Dropout::new(0.25, SplitMix64::new(3));
        let x = vec![1.0f32; 10_000];
        let mut y = vec![0.0f32; 10_000];
        let dims = Dims::new(&[100]).unwrap();
        d.forward(&x, dims, 100, &mut y, Mode::Inference).unwrap();
        assert_eq!(x, y);
        d.forward(&x, dims, 100, &mut y, Mode::Training).unwrap();
        let dropped = y.iter().filter(|&&v| v == 0.0).count() as f32 / 10_000.0;
        assert!((dropped - 0.25).abs() < 0.02, "dropped fraction {dropped}");
        assert!(y.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.75).abs() < 1e-6));
    }
}
