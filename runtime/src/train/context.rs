//! The [`TrainingContext`] that `fit` hands its callbacks.

use crate::error::{Error, Result};
use crate::model::Network;
use crate::train::optim::Optimizer;
use crate::train::progress::Progress;
use crate::train::TrainingContext;
use std::path::Path;

/// Access to the model and optimiser being trained, for one callback call.
pub(crate) struct FitContext<'a, 'w, M> {
    pub model: &'a mut M,
    pub optimizer: &'a mut dyn Optimizer,
    pub progress: &'a mut Progress<'w>,
    pub stop: bool,
}

impl<M: Network> TrainingContext for FitContext<'_, '_, M> {
    fn stop_training(&mut self) {
        self.stop = true;
    }

    fn should_stop(&self) -> bool {
        self.stop
    }

    fn learning_rate(&self) -> f32 {
        self.optimizer.current_learning_rate()
    }

    fn set_learning_rate(&mut self, learning_rate: f32) -> Result<()> {
        self.optimizer.set_learning_rate(learning_rate)
    }

    fn snapshot_weights(&self) -> Vec<f32> {
        let mut all = Vec::new();
        self.model.visit_weights(&mut |p| all.extend_from_slice(p.data));
        all
    }

    fn restore_weights(&mut self, weights: &[f32]) -> Result<()> {
        let total = self.model.param_count();
        if weights.len() != total {
            return Err(Error::LengthMismatch {
                context: "restored weights and the model's weights".into(),
                left: weights.len(),
                right: total,
            });
        }
        let mut offset = 0;
        self.model.visit_weights_mut(&mut |p| {
            let n = p.data.len();
            p.data.copy_from_slice(&weights[offset..offset + n]);
            offset += n;
        });
        Ok(())
    }

    fn save_weights(&self, path: &Path) -> Result<()> {
        crate::io::safetensors::save_weights(&*self.model, path)
    }

    fn print(&mut self, message: &str) {
        self.progress.message(message);
    }
}
