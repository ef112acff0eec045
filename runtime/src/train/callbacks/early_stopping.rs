//! [`EarlyStopping`]: stop training when a monitored quantity has stopped improving
//! (`keras.callbacks.EarlyStopping`).

use super::{available, Mode};
use crate::error::Result;
use crate::train::callback::{Callback, TrainingContext};
use crate::train::logs::Logs;

/// Stops training when `monitor` has not improved for `patience` epochs.
///
/// An epoch improves when `current − min_delta` beats the best value so far (for `Min` the
/// delta is negated: `current + |min_delta| < best`). Each epoch without improvement counts one
/// "wait"; training stops once `wait ≥ patience` (never after the first epoch). With
/// `restore_best_weights`, the weights of the best epoch are restored when training ends,
/// whether or not it was stopped early.
///
/// When `monitor` is not in the logs, a warning is printed once to stderr and the callback does
/// nothing, as in Keras.
#[derive(Clone, Debug, PartialEq)]
pub struct EarlyStopping {
    /// The quantity to watch (`val_loss`).
    pub monitor: String,
    /// The smallest change that counts as an improvement (`0.0`); its sign is ignored.
    pub min_delta: f64,
    /// Epochs without improvement after which training stops (`0`).
    pub patience: usize,
    /// Prints `Epoch {n}: early stopping` and the restore message (`false`, Keras's
    /// `verbose=0`).
    pub verbose: bool,
    /// Whether lower or higher is better (`Auto`).
    pub mode: Mode,
    /// The wait is reset only by values that also beat this baseline (`None`).
    pub baseline: Option<f64>,
    /// Restores the best epoch's weights at the end of training (`false`).
    pub restore_best_weights: bool,
    /// Epochs to ignore at the start, as a warm-up (`0`).
    pub start_from_epoch: usize,
    /// What the callback has seen of the current run; reset by `on_train_begin`.
    pub state: EarlyStoppingState,
}

/// The run-time state of an [`EarlyStopping`] (Keras's `wait`, `best`, `best_epoch`,
/// `stopped_epoch`, `best_weights`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EarlyStoppingState {
    wait: usize,
    best: Option<f64>,
    best_epoch: usize,
    stopped_epoch: Option<usize>,
    best_weights: Option<Vec<f32>>,
    warned: bool,
}

impl Default for EarlyStopping {
    fn default() -> Self {
        EarlyStopping {
            monitor: "val_loss".to_string(),
            min_delta: 0.0,
            patience: 0,
            verbose: false,
            mode: Mode::Auto,
            baseline: None,
            restore_best_weights: false,
            start_from_epoch: 0,
            state: EarlyStoppingState::default(),
        }
    }
}

impl EarlyStopping {
    /// Watches `monitor` with `patience`, Keras's defaults otherwise.
    pub fn new(monitor: impl Into<String>, patience: usize) -> Self {
        EarlyStopping { monitor: monitor.into(), patience, ..Default::default() }
    }

    /// The epoch (0-based) after which this callback stopped training, if it did.
    pub fn stopped_epoch(&self) -> Option<usize> {
        self.state.stopped_epoch
    }

    /// The best monitored value so far, if any epoch was monitored.
    pub fn best(&self) -> Option<f64> {
        self.state.best
    }

    /// The epoch (0-based) of the best monitored value.
    pub fn best_epoch(&self) -> usize {
        self.state.best_epoch
    }

    /// Epochs since the last improvement.
    pub fn wait(&self) -> usize {
        self.state.wait
    }

    /// Keras's `_is_improvement`: `monitor_op(value − min_delta, reference)`, the delta negated
    /// for `Min`. No reference yet means ±∞, which any non-NaN value beats.
    fn is_improvement(&self, value: f64, reference: Option<f64>) -> bool {
        let maximize = self.mode.maximizes(&self.monitor);
        let delta = if maximize { self.min_delta.abs() } else { -self.min_delta.abs() };
        let reference = reference.unwrap_or(if maximize { f64::NEG_INFINITY } else { f64::INFINITY });
        if maximize {
            value - delta > reference
        } else {
            value - delta < reference
        }
    }
}

impl Callback for EarlyStopping {
    fn on_train_begin(&mut self, ctx: &mut dyn TrainingContext) -> Result<()> {
        let _ = ctx;
        self.state = EarlyStoppingState::default();
        Ok(())
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &Logs, ctx: &mut dyn TrainingContext) -> Result<()> {
        let Some(current) = logs.get(&self.monitor) else {
            if !self.state.warned {
                self.state.warned = true;
                ctx.print(&format!(
                    "warning: Early stopping conditioned on metric `{}` which is not available. \
                     Available metrics are: {}",
                    self.monitor,
                    available(logs)
                ));
            }
            return Ok(());
        };
        if epoch < self.start_from_epoch {
            return Ok(());
        }
        if self.restore_best_weights && self.state.best_weights.is_none() {
            // Until something improves, the current weights are the best.
            self.state.best_weights = Some(ctx.snapshot_weights());
            self.state.best_epoch = epoch;
        }
        self.state.wait += 1;
        if self.is_improvement(current, self.state.best) {
            self.state.best = Some(current);
            self.state.best_epoch = epoch;
            if self.restore_best_weights {
                self.state.best_weights = Some(ctx.snapshot_weights());
            }
            // The wait restarts only when the value beats both the best and the baseline.
            if self.baseline.is_none() || self.is_improvement(current, self.baseline) {
                self.state.wait = 0;
            }
            return Ok(());
        }
        if self.state.wait >= self.patience && epoch > 0 {
            self.state.stopped_epoch = Some(epoch);
            ctx.stop_training();
        }
        Ok(())
    }

    fn on_train_end(&mut self, ctx: &mut dyn TrainingContext) -> Result<()> {
        if let (Some(epoch), true) = (self.state.stopped_epoch, self.verbose) {
            ctx.print(&format!("Epoch {}: early stopping", epoch + 1));
        }
        if let (true, Some(weights)) = (self.restore_best_weights, &self.state.best_weights) {
            if self.verbose {
                ctx.print(&format!(
                    "Restoring model weights from the end of the best epoch: {}.",
                    self.state.best_epoch + 1
                ));
            }
            ctx.restore_weights(weights)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::callbacks::test_support::{logs, FakeContext};

    /// Runs `callback` over one epoch per value of `monitor`, with weights `[epoch]` during
    /// epoch `epoch`, until it stops training. Returns the epochs run.
    fn run(callback: &mut EarlyStopping, monitor: &str, values: &[f64], ctx: &mut FakeContext) -> usize {
        callback.on_train_begin(ctx).unwrap();
        let mut epochs = 0;
        for (epoch, &value) in values.iter().enumerate() {
            ctx.weights = vec![epoch as f32];
            callback.on_epoch_end(epoch, &logs(&[("loss", 1.0), (monitor, value)]), ctx).unwrap();
            epochs += 1;
            if ctx.should_stop() {
                break;
            }
        }
        callback.on_train_end(ctx).unwrap();
        epochs
    }

    #[test]
    fn stops_after_patience_and_restores_the_best_epoch() {
        let mut es = EarlyStopping { patience: 2, restore_best_weights: true, ..Default::default() };
        let mut ctx = FakeContext::default();
        let epochs = run(&mut es, "val_loss", &[1.0, 0.9, 0.95, 0.97, 0.8], &mut ctx);
        assert_eq!(epochs, 4);
        assert_eq!(es.stopped_epoch(), Some(3));
        assert_eq!(es.best(), Some(0.9));
        assert_eq!(es.best_epoch(), 1);
        assert_eq!(ctx.restored, [vec![1.0]]);
        assert_eq!(ctx.weights, [1.0]);
    }

    #[test]
    fn restores_the_best_weights_even_without_stopping() {
        let mut es = EarlyStopping { patience: 5, restore_best_weights: true, ..Default::default() };
        let mut ctx = FakeContext::default();
        assert_eq!(run(&mut es, "val_loss", &[1.0, 0.5, 0.7], &mut ctx), 3);
        assert_eq!(es.stopped_epoch(), None);
        assert_eq!(ctx.restored, [vec![1.0]]);
    }

    #[test]
    fn without_restore_best_weights_nothing_is_restored() {
        let mut es = EarlyStopping::new("val_loss", 1);
        let mut ctx = FakeContext::default();
        assert_eq!(run(&mut es, "val_loss", &[1.0, 1.0, 0.5], &mut ctx), 2);
        assert!(ctx.restored.is_empty());
    }

    #[test]
    fn patience_zero_never_stops_after_the_first_epoch() {
        // wait ≥ patience holds at once, but Keras never stops at epoch 0.
        let mut es = EarlyStopping::default();
        let mut ctx = FakeContext::default();
        assert_eq!(run(&mut es, "val_loss", &[f64::NAN, 1.0, 2.0], &mut ctx), 3);
        assert_eq!(es.stopped_epoch(), Some(2));
    }

    #[test]
    fn min_delta_is_negated_for_min_mode() {
        // 0.95 is not 0.1 below 1.0: no improvement.
        let mut es = EarlyStopping { min_delta: 0.1, patience: 1, ..Default::default() };
        let mut ctx = FakeContext::default();
        assert_eq!(run(&mut es, "val_loss", &[1.0, 0.95, 0.5], &mut ctx), 2);
        // A negative min_delta means the same.
        let mut es = EarlyStopping { min_delta: -0.1, patience: 1, ..Default::default() };
        assert_eq!(run(&mut es, "val_loss", &[1.0, 0.95, 0.5], &mut FakeContext::default()), 2);
        let mut es = EarlyStopping { min_delta: 0.01, patience: 1, ..Default::default() };
        assert_eq!(run(&mut es, "val_loss", &[1.0, 0.95, 0.9, 0.85], &mut FakeContext::default()), 4);
    }

    #[test]
    fn auto_mode_maximizes_accuracies() {
        let mut es = EarlyStopping::new("val_accuracy", 1);
        let mut ctx = FakeContext::default();
        assert_eq!(run(&mut es, "val_accuracy", &[0.5, 0.6, 0.7, 0.65, 0.9], &mut ctx), 4);
        assert_eq!(es.best(), Some(0.7));
        let mut es = EarlyStopping { mode: Mode::Max, ..EarlyStopping::new("score", 1) };
        assert_eq!(run(&mut es, "score", &[1.0, 2.0, 1.0], &mut FakeContext::default()), 3);
        let mut es = EarlyStopping { mode: Mode::Min, ..EarlyStopping::new("val_accuracy", 1) };
        assert_eq!(run(&mut es, "val_accuracy", &[0.5, 0.6], &mut FakeContext::default()), 2);
        assert_eq!(es.stopped_epoch(), Some(1));
    }

    #[test]
    fn baseline_keeps_the_wait_running_until_beaten() {
        // Improvements that stay above the baseline 0.5 do not reset the wait.
        let values = [1.0, 0.9, 0.95, 0.97, 0.99];
        let mut es = EarlyStopping { patience: 2, baseline: Some(0.5), ..Default::default() };
        let mut ctx = FakeContext::default();
        assert_eq!(run(&mut es, "val_loss", &values, &mut ctx), 3);
        let mut es = EarlyStopping { patience: 2, ..Default::default() };
        assert_eq!(run(&mut es, "val_loss", &values, &mut FakeContext::default()), 4);
        // Beating the baseline resets it.
        let mut es = EarlyStopping { patience: 2, baseline: Some(0.95), ..Default::default() };
        assert_eq!(run(&mut es, "val_loss", &[1.0, 0.9, 0.91, 0.92, 0.93], &mut FakeContext::default()), 4);
    }

    #[test]
    fn start_from_epoch_ignores_the_warm_up() {
        let mut es = EarlyStopping { patience: 1, start_from_epoch: 2, ..Default::default() };
        let mut ctx = FakeContext::default();
        assert_eq!(run(&mut es, "val_loss", &[1.0, 2.0, 3.0, 4.0, 5.0], &mut ctx), 4);
        assert_eq!(es.best_epoch(), 2);
    }

    #[test]
    fn missing_monitor_does_nothing() {
        let mut es = EarlyStopping { patience: 0, restore_best_weights: true, ..Default::default() };
        let mut ctx = FakeContext::default();
        assert_eq!(run(&mut es, "accuracy", &[1.0, 2.0, 3.0], &mut ctx), 3);
        assert_eq!(es.stopped_epoch(), None);
        assert!(ctx.restored.is_empty());
        assert!(es.state.warned);
    }

    #[test]
    fn state_is_reset_between_runs() {
        let mut es = EarlyStopping { patience: 1, restore_best_weights: true, ..Default::default() };
        assert_eq!(run(&mut es, "val_loss", &[0.1, 0.2], &mut FakeContext::default()), 2);
        let mut ctx = FakeContext::default();
        assert_eq!(run(&mut es, "val_loss", &[1.0, 0.9, 0.8], &mut ctx), 3);
        assert_eq!(es.stopped_epoch(), None);
        assert_eq!(ctx.restored, [vec![2.0]]);
    }
}
