//! [`ReduceLROnPlateau`]: lower the learning rate when a monitored quantity has stopped
//! improving (`keras.callbacks.ReduceLROnPlateau`).

use super::{available, Mode};
use crate::error::{Error, Result};
use crate::train::callback::{Callback, TrainingContext};
use crate::train::logs::Logs;
use crate::train::progress::python_float;

/// Multiplies the learning rate by `factor` when `monitor` has not improved for `patience`
/// epochs: `lr = max(lr · factor, min_lr)`, then the wait restarts and `cooldown` epochs pass
/// before counting again.
///
/// An epoch improves when `current < best − min_delta` (`Min`) or `current > best + min_delta`
/// (`Max`). When `monitor` is not in the logs, a warning is printed once to stderr and the
/// callback does nothing. `factor ≥ 1` is an `Err` at `on_train_begin`, and so is an optimiser
/// whose learning rate cannot be set (a schedule).
#[derive(Clone, Debug, PartialEq)]
pub struct ReduceLROnPlateau {
    /// The quantity to watch (`val_loss`).
    pub monitor: String,
    /// What the learning rate is multiplied by (`0.1`); must be below 1.
    pub factor: f64,
    /// Epochs without improvement before the learning rate is reduced (`10`).
    pub patience: usize,
    /// Prints `Epoch {n}: ReduceLROnPlateau reducing learning rate to {lr}.` on each reduction
    /// (`false`, Keras's `verbose=0`).
    pub verbose: bool,
    /// Whether lower or higher is better (`Auto`: higher when the name contains `acc`).
    pub mode: Mode,
    /// The smallest change that counts as an improvement (`1e-4`).
    pub min_delta: f64,
    /// Epochs to wait after a reduction before counting again (`0`).
    pub cooldown: usize,
    /// The learning rate never goes below this (`0.0`).
    pub min_lr: f64,
    /// What the callback has seen of the current run; reset by `on_train_begin`.
    pub state: ReduceLROnPlateauState,
}

/// The run-time state of a [`ReduceLROnPlateau`] (Keras's `wait`, `cooldown_counter`, `best`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReduceLROnPlateauState {
    wait: usize,
    cooldown_counter: usize,
    best: Option<f64>,
    warned: bool,
}

impl Default for ReduceLROnPlateau {
    fn default() -> Self {
        ReduceLROnPlateau {
            monitor: "val_loss".to_string(),
            factor: 0.1,
            patience: 10,
            verbose: false,
            mode: Mode::Auto,
            min_delta: 1e-4,
            cooldown: 0,
            min_lr: 0.0,
            state: ReduceLROnPlateauState::default(),
        }
    }
}

impl ReduceLROnPlateau {
    /// Watches `monitor`, multiplying the learning rate by `factor` after `patience` epochs
    /// without improvement; Keras's defaults otherwise.
    pub fn new(monitor: impl Into<String>, factor: f64, patience: usize) -> Self {
        ReduceLROnPlateau { monitor: monitor.into(), factor, patience, ..Default::default() }
    }

    /// Epochs since the last improvement (or reduction).
    pub fn wait(&self) -> usize {
        self.state.wait
    }

    /// The best monitored value so far.
    pub fn best(&self) -> Option<f64> {
        self.state.best
    }

    /// Whether the callback is in its cooldown after a reduction.
    pub fn in_cooldown(&self) -> bool {
        self.state.cooldown_counter > 0
    }

    fn improves(&self, current: f64) -> bool {
        let maximize = self.mode.maximizes(&self.monitor);
        match (self.state.best, maximize) {
            (None, _) => !current.is_nan(),
            (Some(best), false) => current < best - self.min_delta,
            (Some(best), true) => current > best + self.min_delta,
        }
    }
}

impl Callback for ReduceLROnPlateau {
    fn on_train_begin(&mut self, ctx: &mut dyn TrainingContext) -> Result<()> {
        let _ = ctx;
        if self.factor >= 1.0 || self.factor.is_nan() {
            return Err(Error::InvalidArgument {
                name: "factor",
                detail: format!("ReduceLROnPlateau needs a factor below 1.0, but got {}", self.factor),
            });
        }
        self.state = ReduceLROnPlateauState::default();
        Ok(())
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &Logs, ctx: &mut dyn TrainingContext) -> Result<()> {
        let Some(current) = logs.get(&self.monitor) else {
            if !self.state.warned {
                self.state.warned = true;
                ctx.print(&format!(
                    "warning: Learning rate reduction is conditioned on metric `{}` which is not \
                     available. Available metrics are: {}.",
                    self.monitor,
                    available(logs)
                ));
            }
            return Ok(());
        };
        if self.in_cooldown() {
            self.state.cooldown_counter -= 1;
            self.state.wait = 0;
        }
        if self.improves(current) {
            self.state.best = Some(current);
            self.state.wait = 0;
        } else if !self.in_cooldown() {
            self.state.wait += 1;
            if self.state.wait >= self.patience {
                let old_lr = f64::from(ctx.learning_rate());
                if old_lr > f64::from(self.min_lr as f32) {
                    let new_lr = (old_lr * self.factor).max(self.min_lr);
                    ctx.set_learning_rate(new_lr as f32)?;
                    if self.verbose {
                        ctx.print(&format!(
                            "Epoch {}: ReduceLROnPlateau reducing learning rate to {}.",
                            epoch + 1,
                            python_float(new_lr)
                        ));
                    }
                    self.state.cooldown_counter = self.cooldown;
                    self.state.wait = 0;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::callbacks::test_support::{logs, FakeContext};

    /// Runs one epoch per value and returns the learning rate after each.
    fn run(callback: &mut ReduceLROnPlateau, values: &[f64], ctx: &mut FakeContext) -> Vec<f32> {
        callback.on_train_begin(ctx).unwrap();
        let monitor = callback.monitor.clone();
        let mut lrs = Vec::new();
        for (epoch, &value) in values.iter().enumerate() {
            callback.on_epoch_end(epoch, &logs(&[("loss", value), (&monitor, value)]), ctx).unwrap();
            lrs.push(ctx.lr);
        }
        callback.on_train_end(ctx).unwrap();
        lrs
    }

    #[test]
    fn reduces_after_patience_and_restarts_the_wait() {
        let mut callback = ReduceLROnPlateau::new("val_loss", 0.5, 2);
        let mut ctx = FakeContext { lr: 0.1, ..Default::default() };
        let lrs = run(&mut callback, &[1.0, 1.0, 1.0, 1.0, 1.0, 0.5], &mut ctx);
        assert_eq!(lrs, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
        assert_eq!(callback.best(), Some(0.5));
        assert_eq!(callback.wait(), 0);
    }

    #[test]
    fn improvements_smaller_than_min_delta_do_not_count() {
        let mut callback = ReduceLROnPlateau { min_delta: 0.1, ..ReduceLROnPlateau::new("val_loss", 0.1, 1) };
        let mut ctx = FakeContext { lr: 1.0, ..Default::default() };
        let lrs = run(&mut callback, &[1.0, 0.95, 0.5], &mut ctx);
        assert_eq!(lrs, [1.0, 0.1, 0.1]);
    }

    #[test]
    fn never_goes_below_min_lr() {
        let mut callback = ReduceLROnPlateau { min_lr: 0.03, ..ReduceLROnPlateau::new("val_loss", 0.1, 1) };
        let mut ctx = FakeContext { lr: 0.1, ..Default::default() };
        let lrs = run(&mut callback, &[1.0, 1.0, 1.0, 1.0], &mut ctx);
        assert_eq!(lrs, [0.1, 0.03, 0.03, 0.03]);
        // Once at min_lr, the rate is not set again.
        assert_eq!(ctx.lr_history, [0.03]);
    }

    #[test]
    fn cooldown_pauses_the_count() {
        let mut callback = ReduceLROnPlateau { cooldown: 2, ..ReduceLROnPlateau::new("val_loss", 0.5, 1) };
        let mut ctx = FakeContext { lr: 1.0, ..Default::default() };
        let lrs = run(&mut callback, &[1.0, 1.0, 1.0, 1.0, 1.0, 1.0], &mut ctx);
        // Reduced at epoch 1; the cooldown covers epoch 2, and its counter reaches 0 at the start
        // of epoch 3, which counts again (Keras's order): reduced at epochs 1, 3 and 5.
        assert_eq!(lrs, [1.0, 0.5, 0.5, 0.25, 0.25, 0.125]);
    }

    #[test]
    fn auto_mode_maximizes_accuracy() {
        let mut callback = ReduceLROnPlateau::new("val_accuracy", 0.1, 1);
        let mut ctx = FakeContext { lr: 1.0, ..Default::default() };
        let lrs = run(&mut callback, &[0.5, 0.6, 0.7, 0.6], &mut ctx);
        assert_eq!(lrs, [1.0, 1.0, 1.0, 0.1]);
    }

    #[test]
    fn factor_of_one_or_more_is_an_error() {
        let mut callback = ReduceLROnPlateau { factor: 1.0, ..Default::default() };
        let err = callback.on_train_begin(&mut FakeContext::default()).unwrap_err();
        assert!(err.to_string().contains("factor"), "{err}");
    }

    #[test]
    fn schedule_that_refuses_a_new_rate_is_an_error() {
        let mut callback = ReduceLROnPlateau::new("val_loss", 0.5, 1);
        let mut ctx = FakeContext { lr: 1.0, fail_set_lr: true, ..Default::default() };
        callback.on_train_begin(&mut ctx).unwrap();
        callback.on_epoch_end(0, &logs(&[("val_loss", 1.0)]), &mut ctx).unwrap();
        assert!(callback.on_epoch_end(1, &logs(&[("val_loss", 1.0)]), &mut ctx).is_err());
    }

    #[test]
    fn missing_monitor_does_nothing() {
        let mut callback = ReduceLROnPlateau::new("val_loss", 0.5, 0);
        let mut ctx = FakeContext { lr: 1.0, ..Default::default() };
        callback.on_train_begin(&mut ctx).unwrap();
        for epoch in 0..3 {
            callback.on_epoch_end(epoch, &logs(&[("loss", 1.0)]), &mut ctx).unwrap();
        }
        assert_eq!(ctx.lr, 1.0);
        assert!(callback.state.warned);
    }
}
