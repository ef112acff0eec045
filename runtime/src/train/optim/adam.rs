//! Adam and AdamW: Keras `keras.optimizers.Adam` and `keras.optimizers.AdamW`.

use super::check::{check, Allowed};
use super::{each_weight, nan_max, BaseConfig, Built, IntoOptimizer, LearningRate, Optimizer, UpdateRule};
use crate::error::Result;

/// Keras `Adam` (the "ε-hat" form). With `m`, `v` (and `v̂` for AMSGrad) zero at first and
/// `t = iterations + 1`, per step:
///
/// ```text
/// m ← m + (g − m)·(1 − β1)
/// v ← v + (g² − v)·(1 − β2)
/// α = lr·√(1 − β2ᵗ) / (1 − β1ᵗ)
/// w ← w − α·m / (√v + ε)            amsgrad: v̂ ← max(v̂, v), w ← w − α·m / (√v̂ + ε)
/// ```
///
/// The bias correction is folded into `α` and `ε` is not bias-corrected (PyTorch adds its
/// `ε = 1e-8` to `√v̂` instead). Build it with [`IntoOptimizer::into_optimizer`]; the step
/// order (clipping, weight decay, update) is in the [module docs](super).
#[derive(Clone, Debug, PartialEq)]
pub struct Adam {
    /// `lr`, constant or scheduled. Keras default 0.001.
    pub learning_rate: LearningRate,
    /// `β1`, the decay of the first moment `m`. Keras default 0.9.
    pub beta_1: f32,
    /// `β2`, the decay of the second moment `v`. Keras default 0.999.
    pub beta_2: f32,
    /// `ε` in `w ← w − α·m / (√v + ε)`. Keras default 1e-7.
    pub epsilon: f32,
    /// AMSGrad: divide by `√v̂` with `v̂ ← max(v̂, v)`. Keras default false.
    pub amsgrad: bool,
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

impl Default for Adam {
    /// Keras defaults: `learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
    /// amsgrad=False`, nothing else set.
    fn default() -> Self {
        Adam {
            learning_rate: LearningRate::Constant(1e-3),
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
            amsgrad: false,
            weight_decay: None,
            clipnorm: None,
            clipvalue: None,
            global_clipnorm: None,
        }
    }
}

impl IntoOptimizer for Adam {
    /// Checks the shared arguments (one clipping option at most, the schedule).
    fn into_optimizer(self) -> Result<Box<dyn Optimizer>> {
        let base = BaseConfig {
            learning_rate: self.learning_rate,
            weight_decay: self.weight_decay,
            clipnorm: self.clipnorm,
            clipvalue: self.clipvalue,
            global_clipnorm: self.global_clipnorm,
        };
        let rule = AdamRule {
            beta_1: self.beta_1,
            beta_2: self.beta_2,
            epsilon: self.epsilon,
            amsgrad: self.amsgrad,
        };
        Built::boxed("adam", base, rule)
    }
}

/// Keras `AdamW`: [`Adam`] with decoupled weight decay always on. Per step, first
/// `w ← w − w·wd·lr`, then the Adam update
/// `w ← w − α·m / (√v + ε)` with `α = lr·√(1 − β2ᵗ) / (1 − β1ᵗ)` (see [`Adam`]).
#[derive(Clone, Debug, PartialEq)]
pub struct AdamW {
    /// `lr`, constant or scheduled. Keras default 0.001.
    pub learning_rate: LearningRate,
    /// `wd` in `w ← w − w·wd·lr`. Keras default 0.004.
    pub weight_decay: f32,
    /// `β1`, the decay of the first moment `m`. Keras default 0.9.
    pub beta_1: f32,
    /// `β2`, the decay of the second moment `v`. Keras default 0.999.
    pub beta_2: f32,
    /// `ε` in `w ← w − α·m / (√v + ε)`. Keras default 1e-7.
    pub epsilon: f32,
    /// AMSGrad: divide by `√v̂` with `v̂ ← max(v̂, v)`. Keras default false.
    pub amsgrad: bool,
    /// Per-tensor norm clipping `g ← g·c / max(‖g‖, c)`. Keras default `None`.
    pub clipnorm: Option<f32>,
    /// Element-wise clipping `g ← clamp(g, −c, c)`. Keras default `None`.
    pub clipvalue: Option<f32>,
    /// Global norm clipping `g ← g·c·min(1/N, 1/c)`, `N` the norm of all gradients. Keras
    /// default `None`.
    pub global_clipnorm: Option<f32>,
}

impl Default for AdamW {
    /// Keras defaults: `learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
    /// epsilon=1e-7, amsgrad=False`, no clipping.
    fn default() -> Self {
        AdamW {
            learning_rate: LearningRate::Constant(1e-3),
            weight_decay: 0.004,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
            amsgrad: false,
            clipnorm: None,
            clipvalue: None,
            global_clipnorm: None,
        }
    }
}

impl IntoOptimizer for AdamW {
    /// Checks the shared arguments (one clipping option at most, the schedule).
    fn into_optimizer(self) -> Result<Box<dyn Optimizer>> {
        let base = BaseConfig {
            learning_rate: self.learning_rate,
            weight_decay: Some(self.weight_decay),
            clipnorm: self.clipnorm,
            clipvalue: self.clipvalue,
            global_clipnorm: self.global_clipnorm,
        };
        let rule = AdamRule {
            beta_1: self.beta_1,
            beta_2: self.beta_2,
            epsilon: self.epsilon,
            amsgrad: self.amsgrad,
        };
        Built::boxed("adamw", base, rule)
    }
}

/// Keras `Adam.update_step`; the state is `m`, `v` and, with AMSGrad, `v̂`.
#[derive(Debug)]
struct AdamRule {
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
    amsgrad: bool,
}

impl UpdateRule for AdamRule {
    fn validate(&self, optimizer: &str) -> Result<()> {
        check(optimizer, "beta_1", self.beta_1, Allowed::Fraction)?;
        check(optimizer, "beta_2", self.beta_2, Allowed::Fraction)?;
        check(optimizer, "epsilon", self.epsilon, Allowed::Positive)
    }

    fn buffers(&self) -> usize {
        2 + usize::from(self.amsgrad)
    }

    fn slot_names(&self) -> Vec<&'static str> {
        if self.amsgrad {
            vec!["momentum", "velocity", "velocity_hat"]
        } else {
            vec!["momentum", "velocity"]
        }
    }

    fn update(
        &self,
        w: &mut [f32],
        g: &mut [f32],
        state: &mut [f32],
        lr: f32,
        iterations: u64,
        decay: Option<f32>,
    ) -> bool {
        let (b1, b2, eps) = (self.beta_1, self.beta_2, self.epsilon);
        let local_step = iterations.saturating_add(1) as f32;
        let alpha = lr * (1.0 - b2.powf(local_step)).sqrt() / (1.0 - b1.powf(local_step));
        let n = w.len();
        let (m, rest) = state.split_at_mut(n.min(state.len()));
        let (v, v_hat) = rest.split_at_mut(n.min(rest.len()));
        if self.amsgrad {
            each_weight(w, g, decay, lr, |i, w, g| {
                let (m, v, v_hat) = (&mut m[i], &mut v[i], &mut v_hat[i]);
                *m += (g - *m) * (1.0 - b1);
                *v += (g * g - *v) * (1.0 - b2);
                *v_hat = nan_max(*v_hat, *v);
                w - *m * alpha / (v_hat.sqrt() + eps)
            })
        } else {
            // The common case, vectorised for the CPU at hand (same formula, same results).
            let decay = decay.map(|wd| (wd, lr));
            crate::kernels::elementwise::adam_update(w, g, m, v, alpha, b1, b2, eps, decay)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_keras() {
        let adam = Adam::default();
        assert_eq!(adam.learning_rate, LearningRate::Constant(1e-3));
        assert_eq!((adam.beta_1, adam.beta_2, adam.epsilon, adam.amsgrad), (0.9, 0.999, 1e-7, false));
        assert_eq!(
            (adam.weight_decay, adam.clipnorm, adam.clipvalue, adam.global_clipnorm),
            (None, None, None, None)
        );
        let adamw = AdamW::default();
        assert_eq!(adamw.learning_rate, LearningRate::Constant(1e-3));
        assert_eq!(adamw.weight_decay, 0.004);
        assert_eq!((adamw.beta_1, adamw.beta_2, adamw.epsilon, adamw.amsgrad), (0.9, 0.999, 1e-7, false));
        assert_eq!(adam.into_optimizer().unwrap().name(), "adam");
        assert_eq!(adamw.into_optimizer().unwrap().name(), "adamw");
    }

    // The first Adam step moves every weight by about lr·sign(g): m = 0.1g, v = 0.001g²,
    // α = lr·√0.001/0.1, so α·m/√v = lr (up to ε).
    #[test]
    fn first_step_moves_by_the_learning_rate() {
        let rule = AdamRule { beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: true };
        let mut w = [1.0f32, 1.0, 1.0];
        let mut state = [0.0f32; 9];
        assert!(rule.update(&mut w, &mut [3.0, -0.5, 0.0], &mut state, 0.01, 0, None));
        crate::testing::assert_close(&w, &[0.99, 1.01, 1.0], 1e-6);
        // v̂ = max(0, v) = v after one step.
        assert_eq!(state[3..6], state[6..9]);
    }
}
