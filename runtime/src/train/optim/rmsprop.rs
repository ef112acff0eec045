//! RMSprop: Keras `keras.optimizers.RMSprop`.

use super::check::{check, Allowed};
use super::{each_weight, BaseConfig, Built, IntoOptimizer, LearningRate, Optimizer, UpdateRule};
use crate::error::Result;

/// Keras `RMSprop`. With `v`, `ḡ` and `M` zero at first, per step:
///
/// ```text
/// v ← ρ·v + (1 − ρ)·g²
/// d = v + ε                          centered: ḡ ← ρ·ḡ + (1 − ρ)·g,  d = v − ḡ² + ε
/// increment = lr·g / √d
/// w ← w − increment                  momentum μ > 0: M ← μ·M + increment,  w ← w − M
/// ```
///
/// `ε` is inside the square root (PyTorch adds it outside). Build it with
/// [`IntoOptimizer::into_optimizer`]; the step order (clipping, weight decay, update) is in the
/// [module docs](super).
#[derive(Clone, Debug, PartialEq)]
pub struct RmsProp {
    /// `lr`, constant or scheduled. Keras default 0.001.
    pub learning_rate: LearningRate,
    /// `ρ`, the decay of the moving averages `v` and `ḡ`. Keras default 0.9.
    pub rho: f32,
    /// `μ` in `M ← μ·M + increment`; 0 (or less) means no momentum. Keras default 0.
    pub momentum: f32,
    /// `ε` in `√(v + ε)`. Keras default 1e-7.
    pub epsilon: f32,
    /// Divide by the estimated variance `√(v − ḡ² + ε)` instead of `√(v + ε)`. Keras default
    /// false.
    pub centered: bool,
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

impl Default for RmsProp {
    /// Keras defaults: `learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
    /// centered=False`, nothing else set.
    fn default() -> Self {
        RmsProp {
            learning_rate: LearningRate::Constant(1e-3),
            rho: 0.9,
            momentum: 0.0,
            epsilon: 1e-7,
            centered: false,
            weight_decay: None,
            clipnorm: None,
            clipvalue: None,
            global_clipnorm: None,
        }
    }
}

impl IntoOptimizer for RmsProp {
    /// Checks the shared arguments (one clipping option at most, the schedule).
    fn into_optimizer(self) -> Result<Box<dyn Optimizer>> {
        let base = BaseConfig {
            learning_rate: self.learning_rate,
            weight_decay: self.weight_decay,
            clipnorm: self.clipnorm,
            clipvalue: self.clipvalue,
            global_clipnorm: self.global_clipnorm,
        };
        let rule = RmsPropRule {
            rho: self.rho,
            momentum: self.momentum,
            epsilon: self.epsilon,
            centered: self.centered,
        };
        Built::boxed("rmsprop", base, rule)
    }
}

/// Keras `RMSprop.update_step`; the state is `v`, then `M` when `μ > 0`, then `ḡ` when centered.
#[derive(Debug)]
struct RmsPropRule {
    rho: f32,
    momentum: f32,
    epsilon: f32,
    centered: bool,
}

impl RmsPropRule {
    fn has_momentum(&self) -> bool {
        self.momentum > 0.0
    }
}

impl UpdateRule for RmsPropRule {
    fn validate(&self, optimizer: &str) -> Result<()> {
        check(optimizer, "rho", self.rho, Allowed::Fraction)?;
        check(optimizer, "momentum", self.momentum, Allowed::AtMostOne)?;
        check(optimizer, "epsilon", self.epsilon, Allowed::Positive)
    }

    fn buffers(&self) -> usize {
        1 + usize::from(self.has_momentum()) + usize::from(self.centered)
    }

    fn slot_names(&self) -> Vec<&'static str> {
        let mut names = vec!["velocity"];
        if self.has_momentum() {
            names.push("momentum");
        }
        if self.centered {
            names.push("average_gradient");
        }
        names
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
        let (rho, mu, eps) = (self.rho, self.momentum, self.epsilon);
        let n = w.len();
        let (velocity, rest) = state.split_at_mut(n.min(state.len()));
        let (momentum, rest) = rest.split_at_mut(if self.has_momentum() { n.min(rest.len()) } else { 0 });
        let average_grad = if self.centered { rest } else { &mut [] };
        each_weight(w, g, decay, lr, |i, w, g| {
            let v = &mut velocity[i];
            *v = rho * *v + (1.0 - rho) * (g * g);
            let denominator = match average_grad.get_mut(i) {
                Some(mg) => {
                    *mg = rho * *mg + (1.0 - rho) * g;
                    *v - *mg * *mg + eps
                }
                None => *v + eps,
            };
            let increment = lr * g / denominator.sqrt();
            match momentum.get_mut(i) {
                Some(m) => {
                    *m = mu * *m + increment;
                    w - *m
                }
                None => w - increment,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_keras() {
        let rms = RmsProp::default();
        assert_eq!(rms.learning_rate, LearningRate::Constant(1e-3));
        assert_eq!((rms.rho, rms.momentum, rms.epsilon, rms.centered), (0.9, 0.0, 1e-7, false));
        assert_eq!(
            (rms.weight_decay, rms.clipnorm, rms.clipvalue, rms.global_clipnorm),
            (None, None, None, None)
        );
        assert_eq!(rms.into_optimizer().unwrap().name(), "rmsprop");
    }

    #[test]
    fn state_layout_follows_the_options() {
        let rule = |momentum, centered| RmsPropRule { rho: 0.9, momentum, epsilon: 1e-7, centered };
        assert_eq!(rule(0.0, false).buffers(), 1);
        assert_eq!(rule(0.5, false).buffers(), 2);
        assert_eq!(rule(0.0, true).buffers(), 2);
        assert_eq!(rule(0.5, true).buffers(), 3);
        assert_eq!(rule(-0.5, true).buffers(), 2);
    }

    // The Keras docstring example: RMSprop(learning_rate=0.1), var1 = 10, grad = var1 → 9.683772.
    #[test]
    fn keras_docstring_example() {
        let rule = RmsPropRule { rho: 0.9, momentum: 0.0, epsilon: 1e-7, centered: false };
        let mut w = [10.0f32];
        let mut v = [0.0f32];
        assert!(rule.update(&mut w, &mut [10.0], &mut v, 0.1, 0, None));
        crate::testing::assert_close(&w, &[9.683772], 1e-7);
    }
}
