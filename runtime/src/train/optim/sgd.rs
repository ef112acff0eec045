//! Stochastic gradient descent with optional (Nesterov) momentum: Keras `keras.optimizers.SGD`.

use super::{each_weight, BaseConfig, Built, IntoOptimizer, LearningRate, Optimizer, UpdateRule};
use crate::error::{Error, Result};

/// Keras `SGD`. With velocity `m` (zero at first) and `μ = momentum`, per step:
///
/// - `μ = 0`: `w ← w − lr·g`;
/// - otherwise `m ← μ·m − lr·g`, then `w ← w + m`, or with `nesterov` `w ← w + μ·m − lr·g`.
///
/// `momentum` must be in `[0, 1]`. Build it with [`IntoOptimizer::into_optimizer`]; the step
/// order (clipping, weight decay, update) is in the [module docs](super).
#[derive(Clone, Debug, PartialEq)]
pub struct Sgd {
    /// `lr`, constant or scheduled. Keras default 0.01.
    pub learning_rate: LearningRate,
    /// `μ` in `m ← μ·m − lr·g`, in `[0, 1]`. Keras default 0.
    pub momentum: f32,
    /// Nesterov momentum: `w ← w + μ·m − lr·g` instead of `w ← w + m`. Keras default false.
    pub nesterov: bool,
    /// Decoupled weight decay `wd`: `w ← w − w·wd·lr` before each update. Keras default `None`.
    pub weight_decay: Option<f32>,
    /// Per-tensor norm clipping `g ← g·c / max(‖g‖, c)`. Keras default `None`.
    pub clipnorm: Option<f32>,
    /// Element-wise clipping `g ← clamp(g, −c, c)`. Keras default `None`.
    pub clipvalue: Option<f32>,
    /// Global norm clipping `g ← g·c·min(1/N, 1/c)`, `N` the norm of all gradients. Keras
    /// default `None`.
    pub global_clipnorm: Option<f32>,
}

impl Default for Sgd {
    /// Keras defaults: `learning_rate=0.01, momentum=0.0, nesterov=False`, nothing else set.
    fn default() -> Self {
        Sgd {
            learning_rate: LearningRate::Constant(0.01),
            momentum: 0.0,
            nesterov: false,
            weight_decay: None,
            clipnorm: None,
            clipvalue: None,
            global_clipnorm: None,
        }
    }
}

impl IntoOptimizer for Sgd {
    /// Checks `0 ≤ momentum ≤ 1` (Keras raises otherwise) and the shared arguments.
    fn into_optimizer(self) -> Result<Box<dyn Optimizer>> {
        if !(0.0..=1.0).contains(&self.momentum) {
            return Err(Error::InvalidArgument {
                name: "momentum",
                detail: format!("SGD momentum must be between 0 and 1, got {}", self.momentum),
            });
        }
        let base = BaseConfig {
            learning_rate: self.learning_rate,
            weight_decay: self.weight_decay,
            clipnorm: self.clipnorm,
            clipvalue: self.clipvalue,
            global_clipnorm: self.global_clipnorm,
        };
        Built::boxed("sgd", base, SgdRule { momentum: self.momentum, nesterov: self.nesterov })
    }
}

/// Keras `SGD.update_step`; the state is the velocity `m` when `μ ≠ 0`.
#[derive(Debug)]
struct SgdRule {
    momentum: f32,
    nesterov: bool,
}

impl UpdateRule for SgdRule {
    /// `momentum` is checked by [`Sgd::into_optimizer`] with Keras's message.
    fn validate(&self, _optimizer: &str) -> Result<()> {
        Ok(())
    }

    fn buffers(&self) -> usize {
        usize::from(self.momentum != 0.0)
    }

    fn slot_names(&self) -> Vec<&'static str> {
        if self.momentum != 0.0 {
            vec!["momentum"]
        } else {
            Vec::new()
        }
    }

    fn update(
        &self,
        w: &mut [f32],
        g: &mut [f32],
        state: &mut [f32],
        lr: f32,
        _iterations: u64,
        decay: Option<f32>,
    ) -> bool {
        let mu = self.momentum;
        if mu == 0.0 {
            return each_weight(w, g, decay, lr, |_, w, g| w - g * lr);
        }
        let nesterov = self.nesterov;
        each_weight(w, g, decay, lr, |i, w, g| {
            let m = &mut state[i];
            *m = *m * mu - g * lr;
            if nesterov {
                w + (*m * mu - g * lr)
            } else {
                w + *m
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_keras() {
        let sgd = Sgd::default();
        assert_eq!(sgd.learning_rate, LearningRate::Constant(0.01));
        assert_eq!((sgd.momentum, sgd.nesterov), (0.0, false));
        assert_eq!(
            (sgd.weight_decay, sgd.clipnorm, sgd.clipvalue, sgd.global_clipnorm),
            (None, None, None, None)
        );
        let built = sgd.into_optimizer().unwrap();
        assert_eq!((built.name(), built.iterations(), built.current_learning_rate()), ("sgd", 0, 0.01));
    }

    #[test]
    fn momentum_outside_zero_one_is_rejected() {
        for momentum in [-0.1, 1.5, f32::NAN] {
            let err = Sgd { momentum, ..Default::default() }.into_optimizer().err().unwrap().to_string();
            assert!(err.contains("momentum") && err.contains("between 0 and 1"), "{err}");
        }
        assert!(Sgd { momentum: 1.0, ..Default::default() }.into_optimizer().is_ok());
    }

    // One step of w ← w + m with m = 0.9·0 − 0.1·g, then a second: m = 0.9·m − 0.1·g.
    #[test]
    fn momentum_accumulates() {
        let rule = SgdRule { momentum: 0.9, nesterov: false };
        let (mut w, mut m) = ([1.0f32], [0.0f32]);
        assert!(rule.update(&mut w, &mut [1.0], &mut m, 0.1, 0, None));
        assert!(rule.update(&mut w, &mut [1.0], &mut m, 0.1, 1, None));
        assert_eq!(m, [-0.1f32 * 0.9 - 0.1]);
        assert_eq!(w, [1.0f32 - 0.1 + (-0.1f32 * 0.9 - 0.1)]);
    }
}
