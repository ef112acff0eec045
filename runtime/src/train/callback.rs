//! [`Callback`]: code that runs during `fit` (Keras's `keras.callbacks.Callback`), and the
//! [`TrainingContext`] through which it acts on the training.

use crate::error::Result;
use crate::train::logs::Logs;
use std::path::Path;

/// What a callback may do to the training in progress.
pub trait TrainingContext {
    /// Stops training after the current epoch (Keras's `model.stop_training = True`).
    fn stop_training(&mut self);

    /// Whether training was asked to stop.
    fn should_stop(&self) -> bool;

    /// The optimiser's current learning rate.
    fn learning_rate(&self) -> f32;

    /// Sets the learning rate; `Err` when the optimiser follows a schedule (Keras refuses too).
    fn set_learning_rate(&mut self, learning_rate: f32) -> Result<()>;

    /// Every weight of the model, flat, in `visit_weights` order.
    fn snapshot_weights(&self) -> Vec<f32>;

    /// Writes back weights taken with [`TrainingContext::snapshot_weights`].
    fn restore_weights(&mut self, weights: &[f32]) -> Result<()>;

    /// Saves the model's weights to a safetensors file (atomically: a failed save keeps the
    /// previous file).
    fn save_weights(&self, path: &Path) -> Result<()>;

    /// Prints a callback's message as a line where `fit` prints its progress
    /// (`FitOptions::output`, stdout by default). The default, for contexts other than
    /// `fit`'s, prints to stdout.
    fn print(&mut self, message: &str) {
        println!("{message}");
    }
}

/// Hooks called by `fit`. Every method has an empty default; implement the ones you need.
///
/// Epochs and batches are numbered from 0, as in Keras. `logs` holds `loss`, the metrics and,
/// when there is validation data, `val_loss` and `val_<metric>`. Print through
/// [`TrainingContext::print`], so messages go where `fit`'s progress goes.
///
/// ```
/// use shaped::prelude::*;
///
/// shaped::model! {
///     struct Net {
///         input: [1],
///         Dense(1),
///     }
/// }
///
/// /// Stops as soon as the loss is below a target (and says so).
/// struct StopBelow(f64);
///
/// impl Callback for StopBelow {
///     fn on_epoch_end(&mut self, epoch: usize, logs: &Logs, ctx: &mut dyn TrainingContext) -> shaped::Result<()> {
///         if logs.get("loss").is_some_and(|loss| loss < self.0) {
///             ctx.print(&format!("Epoch {}: loss below {}, stopping", epoch + 1, self.0));
///             ctx.stop_training();
///         }
///         Ok(())
///     }
/// }
///
/// let x: Vec<[f32; 1]> = (0..32).map(|i| [i as f32 / 32.0]).collect();
/// let y: Vec<[f32; 1]> = x.iter().map(|[v]| [2.0 * v + 1.0]).collect();
/// let mut model = Net::new(0).compile(Sgd { learning_rate: 0.5.into(), ..Default::default() }, MeanSquaredError, [])?;
/// let mut printed = Vec::new();
/// let history = model.fit(&x, &y, FitOptions {
///     epochs: 500,
///     verbose: Verbose::Silent,
///     output: Some(Box::new(&mut printed)),
///     callbacks: vec![
///         Box::new(StopBelow(1e-3)),
///         // Keras's own, with Keras's arguments:
///         Box::new(EarlyStopping { monitor: "loss".into(), patience: 5, ..Default::default() }),
///     ],
///     ..Default::default()
/// })?;
/// assert!(history.len() < 500);
/// assert!(String::from_utf8_lossy(&printed).contains("loss below 0.001, stopping"));
/// # Ok::<(), shaped::Error>(())
/// ```
pub trait Callback {
    /// Before the first epoch.
    fn on_train_begin(&mut self, ctx: &mut dyn TrainingContext) -> Result<()> {
        let _ = ctx;
        Ok(())
    }

    /// Before each epoch.
    fn on_epoch_begin(&mut self, epoch: usize, ctx: &mut dyn TrainingContext) -> Result<()> {
        let _ = (epoch, ctx);
        Ok(())
    }

    /// After each training batch, with that batch's loss.
    fn on_batch_end(&mut self, batch: usize, loss: f64, ctx: &mut dyn TrainingContext) -> Result<()> {
        let _ = (batch, loss, ctx);
        Ok(())
    }

    /// After each epoch, with its logs.
    fn on_epoch_end(&mut self, epoch: usize, logs: &Logs, ctx: &mut dyn TrainingContext) -> Result<()> {
        let _ = (epoch, logs, ctx);
        Ok(())
    }

    /// After the last epoch (also when a callback stopped training).
    fn on_train_end(&mut self, ctx: &mut dyn TrainingContext) -> Result<()> {
        let _ = ctx;
        Ok(())
    }
}
