//! [`TerminateOnNaN`]: stop training when a batch loss is NaN or infinite
//! (`keras.callbacks.TerminateOnNaN`).

use crate::error::{Error, Result};
use crate::train::callback::{Callback, TrainingContext};

/// Stops training at the first batch whose loss is NaN or ±∞.
///
/// By default it prints `Batch {i}: Invalid loss, terminating training` (batch numbered from 0
/// within the epoch) and asks training to stop after the current epoch, so every callback's
/// `on_train_end` still runs. With `raise_error` it returns an `Err` from `on_batch_end`
/// instead, which ends `fit` at once.
///
/// `fit` no longer needs it: a non-finite loss or weight already ends `fit` with
/// [`Error::NonFinite`], the weights of the last finite step kept. It stays so that Keras code
/// ports as written, and for a custom training loop that calls callbacks itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TerminateOnNaN {
    /// Returns an `Err` instead of stopping gracefully (`false`).
    pub raise_error: bool,
}

impl TerminateOnNaN {
    /// Stops gracefully (`raise_error: false`), Keras's default.
    pub fn new() -> Self {
        TerminateOnNaN::default()
    }
}

impl Callback for TerminateOnNaN {
    fn on_batch_end(&mut self, batch: usize, loss: f64, ctx: &mut dyn TrainingContext) -> Result<()> {
        if loss.is_finite() {
            return Ok(());
        }
        if self.raise_error {
            return Err(Error::InvalidArgument {
                name: "loss",
                detail: format!(
                    "NaN or Inf loss encountered at batch {batch} (loss value: {loss}); training terminated"
                ),
            });
        }
        ctx.print(&format!("Batch {batch}: Invalid loss, terminating training"));
        ctx.stop_training();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::callbacks::test_support::FakeContext;

    #[test]
    fn finite_losses_leave_training_alone() {
        let mut ctx = FakeContext::default();
        let mut callback = TerminateOnNaN::new();
        for (batch, loss) in [1.0, 0.5, 0.0, -3.0, f64::MAX].into_iter().enumerate() {
            callback.on_batch_end(batch, loss, &mut ctx).unwrap();
        }
        assert!(!ctx.should_stop());
    }

    #[test]
    fn nan_or_inf_loss_stops_training() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut ctx = FakeContext::default();
            TerminateOnNaN::default().on_batch_end(3, bad, &mut ctx).unwrap();
            assert!(ctx.should_stop(), "{bad}");
        }
    }

    #[test]
    fn raise_error_returns_an_err_naming_the_batch() {
        let mut ctx = FakeContext::default();
        let err = TerminateOnNaN { raise_error: true }.on_batch_end(7, f64::NAN, &mut ctx).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("batch 7") && message.contains("NaN"), "{message}");
        assert!(!ctx.should_stop());
    }
}
