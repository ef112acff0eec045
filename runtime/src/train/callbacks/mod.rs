//! Keras's built-in callbacks (`keras.callbacks.*`), with Keras's argument names and defaults:
//!
//! ```text
//! let mut early_stopping = EarlyStopping { patience: 2, restore_best_weights: true, ..Default::default() };
//! let mut checkpoint = ModelCheckpoint::new("ckpt/epoch_{epoch:02d}.safetensors");
//! let mut reduce_lr = ReduceLROnPlateau { factor: 0.5, patience: 3, ..Default::default() };
//! let mut stop_on_nan = TerminateOnNaN::default();
//! ```
//!
//! Each is a struct with public configuration fields and a `Default` holding Keras's defaults,
//! plus a private `state` (reset by `on_train_begin`, so one instance can serve several runs).

mod early_stopping;
mod model_checkpoint;
mod reduce_lr_on_plateau;
mod terminate_on_nan;

pub use early_stopping::{EarlyStopping, EarlyStoppingState};
pub use model_checkpoint::{ModelCheckpoint, ModelCheckpointState};
pub use reduce_lr_on_plateau::{ReduceLROnPlateau, ReduceLROnPlateauState};
pub use terminate_on_nan::TerminateOnNaN;

use crate::train::logs::Logs;

/// Whether the monitored quantity should go down or up (Keras's `mode="auto" | "min" | "max"`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// `Max` when the monitored name contains `acc` (`accuracy`, `val_acc`), else `Min`.
    #[default]
    Auto,
    /// Lower is better (losses).
    Min,
    /// Higher is better (accuracies).
    Max,
}

impl Mode {
    /// Whether higher values of `monitor` are better under this mode.
    pub fn maximizes(self, monitor: &str) -> bool {
        match self {
            Mode::Auto => monitor.contains("acc"),
            Mode::Min => false,
            Mode::Max => true,
        }
    }
}

/// The names in `logs`, comma-separated, as Keras lists them in its warnings.
fn available(logs: &Logs) -> String {
    logs.iter().map(|(name, _)| name).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
pub(crate) mod test_support {
    //! A [`TrainingContext`] that records what callbacks ask of it.

    use crate::error::{Error, Result};
    use crate::train::callback::TrainingContext;
    use crate::train::logs::Logs;
    use std::cell::RefCell;
    use std::path::{Path, PathBuf};

    /// Weights are one number per "epoch": the test sets `weights` before each epoch end, and
    /// `restored` / `saved` record what the callbacks did.
    #[derive(Default)]
    pub(crate) struct FakeContext {
        pub stop: bool,
        pub lr: f32,
        pub weights: Vec<f32>,
        pub restored: Vec<Vec<f32>>,
        pub saved: RefCell<Vec<PathBuf>>,
        pub lr_history: Vec<f32>,
        pub fail_set_lr: bool,
    }

    impl TrainingContext for FakeContext {
        fn stop_training(&mut self) {
            self.stop = true;
        }

        fn should_stop(&self) -> bool {
            self.stop
        }

        fn learning_rate(&self) -> f32 {
            self.lr
        }

        fn set_learning_rate(&mut self, learning_rate: f32) -> Result<()> {
            if self.fail_set_lr {
                return Err(Error::InvalidArgument {
                    name: "learning_rate",
                    detail: "the optimiser follows a schedule".into(),
                });
            }
            self.lr = learning_rate;
            self.lr_history.push(learning_rate);
            Ok(())
        }

        fn snapshot_weights(&self) -> Vec<f32> {
            self.weights.clone()
        }

        fn restore_weights(&mut self, weights: &[f32]) -> Result<()> {
            self.weights = weights.to_vec();
            self.restored.push(weights.to_vec());
            Ok(())
        }

        fn save_weights(&self, path: &Path) -> Result<()> {
            self.saved.borrow_mut().push(path.to_path_buf());
            Ok(())
        }
    }

    /// Logs holding `entries` in order.
    pub(crate) fn logs(entries: &[(&str, f64)]) -> Logs {
        let mut logs = Logs::new();
        for (name, value) in entries {
            logs.set(name, *value);
        }
        logs
    }
}
