//! Learning rates: a constant, or a schedule of the optimizer's iteration count
//! (Keras `keras.optimizers.schedules`).
//!
//! A schedule is evaluated at `iterations`, the number of steps applied so far, so the first
//! step uses `lr(0)`, the second `lr(1)`, and so on (Keras passes `optimizer.iterations`).

use super::check::{check, Allowed};
use crate::error::{Error, Result};

/// The learning rate of an optimizer: a constant `lr(t) = c`, or a schedule `lr(t)` of the
/// number of steps `t` applied so far.
///
/// `From<f32>` (and `From<f64>`, rounded to `f32`) builds a constant, so a config can say
/// `learning_rate: 3e-4.into()`; `From<ExponentialDecay>` builds a schedule.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum LearningRate {
    /// The same rate at every step: `lr(t) = c`. The only kind that
    /// [`Optimizer::set_learning_rate`](super::Optimizer::set_learning_rate) may change.
    Constant(f32),
    /// `lr(t) = initial_learning_rate · decay_rate^(t / decay_steps)`, see [`ExponentialDecay`].
    ExponentialDecay(ExponentialDecay),
}

impl LearningRate {
    /// The rate for the step that follows `iteration` applied steps: `c` for a constant,
    /// [`ExponentialDecay::at`] for that schedule. Computed in `f32`, like Keras.
    pub fn at(&self, iteration: u64) -> f32 {
        match self {
            LearningRate::Constant(lr) => *lr,
            LearningRate::ExponentialDecay(schedule) => schedule.at(iteration),
        }
    }

    /// Checks the schedule's arguments the way Keras's constructors do.
    /// Checks the rate (finite, at least 0) or the schedule's arguments, naming `optimizer`.
    pub(crate) fn validate(&self, optimizer: &str) -> Result<()> {
        match self {
            LearningRate::Constant(lr) => check(optimizer, "learning_rate", *lr, Allowed::NonNegative),
            LearningRate::ExponentialDecay(schedule) => schedule.validate(optimizer),
        }
    }
}

impl Default for LearningRate {
    /// `Constant(0.001)`, the Keras default of Adam and RMSprop (SGD's default is 0.01).
    fn default() -> Self {
        LearningRate::Constant(1e-3)
    }
}

impl From<f32> for LearningRate {
    /// `LearningRate::Constant(lr)`.
    fn from(lr: f32) -> Self {
        LearningRate::Constant(lr)
    }
}

impl From<f64> for LearningRate {
    /// `LearningRate::Constant(lr as f32)`: lets an unsuffixed literal (`3e-4.into()`) work.
    fn from(lr: f64) -> Self {
        LearningRate::Constant(lr as f32)
    }
}

impl From<ExponentialDecay> for LearningRate {
    /// `LearningRate::ExponentialDecay(schedule)`.
    fn from(schedule: ExponentialDecay) -> Self {
        LearningRate::ExponentialDecay(schedule)
    }
}

/// Keras `ExponentialDecay`: `lr(t) = initial_learning_rate · decay_rate^p` with
/// `p = t / decay_steps`, or `p = ⌊t / decay_steps⌋` when `staircase` is true.
///
/// `t` is the number of steps applied so far. Keras requires `decay_steps > 0`; building an
/// optimizer with `decay_steps == 0` is an [`Error::InvalidArgument`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExponentialDecay {
    /// The rate at `t = 0`.
    pub initial_learning_rate: f32,
    /// The number of steps over which the rate is multiplied by `decay_rate` once. Must be > 0.
    pub decay_steps: u64,
    /// The factor applied every `decay_steps` steps.
    pub decay_rate: f32,
    /// Whether `p` is floored, so the rate changes in steps every `decay_steps` iterations.
    pub staircase: bool,
}

impl ExponentialDecay {
    /// `initial_learning_rate · decay_rate^p` with `p = t / decay_steps` (floored when
    /// `staircase`), all in `f32` as Keras computes it (`t` and `decay_steps` are cast to `f32`).
    pub fn at(&self, iteration: u64) -> f32 {
        let mut p = iteration as f32 / self.decay_steps as f32;
        if self.staircase {
            p = p.floor();
        }
        self.initial_learning_rate * self.decay_rate.powf(p)
    }

    fn validate(&self, optimizer: &str) -> Result<()> {
        check(optimizer, "initial_learning_rate", self.initial_learning_rate, Allowed::NonNegative)?;
        check(optimizer, "decay_rate", self.decay_rate, Allowed::NonNegative)?;
        if self.decay_steps == 0 {
            return Err(Error::InvalidArgument {
                name: "decay_steps",
                detail: "the ExponentialDecay schedule needs decay_steps > 0, got 0".to_string(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::assert_close;

    // Keras: ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)(t) for t = 0..5
    //   staircase=False: 0.1 * 0.5 ** (t / 2) = [0.1, 0.0707107, 0.05, 0.0353553, 0.025]
    //   staircase=True:  0.1 * 0.5 ** (t // 2) = [0.1, 0.1, 0.05, 0.05, 0.025]
    #[test]
    fn exponential_decay_follows_keras() {
        let smooth = ExponentialDecay {
            initial_learning_rate: 0.1,
            decay_steps: 2,
            decay_rate: 0.5,
            staircase: false,
        };
        let stairs = ExponentialDecay { staircase: true, ..smooth };
        let smooth: Vec<f32> = (0..5).map(|t| smooth.at(t)).collect();
        let stairs: Vec<f32> = (0..5).map(|t| stairs.at(t)).collect();
        assert_close(&smooth, &[0.1, 0.07071068, 0.05, 0.03535534, 0.025], 1e-7);
        assert_close(&stairs, &[0.1, 0.1, 0.05, 0.05, 0.025], 1e-7);
    }

    #[test]
    fn constants_convert_from_both_float_types() {
        let a: LearningRate = 3e-4.into();
        let b: LearningRate = 3e-4_f32.into();
        assert_eq!(a, b);
        assert_eq!(a.at(1_000_000), 3e-4);
        assert_eq!(LearningRate::default(), LearningRate::Constant(1e-3));
    }

    #[test]
    fn zero_decay_steps_is_rejected() {
        let lr: LearningRate = ExponentialDecay {
            initial_learning_rate: 0.1,
            decay_steps: 0,
            decay_rate: 0.5,
            staircase: false,
        }
        .into();
        let err = lr.validate("sgd").unwrap_err().to_string();
        assert!(err.contains("decay_steps") && err.contains("got 0"), "{err}");
        assert!(LearningRate::Constant(0.1).validate("sgd").is_ok());
        for bad in [f32::NAN, f32::INFINITY, -0.5] {
            assert!(LearningRate::Constant(bad).validate("sgd").is_err(), "{bad}");
        }
    }
}
