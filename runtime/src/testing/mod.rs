//! Test support, public so that the integration tests, examples and users' own tests use the
//! same tools:
//!
//! - [`assert_close`]: float comparison that reports the first pair that differs;
//! - [`Chain`]: stages run in a row through a model's own [`crate::model::Workspace`], masks and
//!   all, for testing layers outside a model;
//! - [`check_gradients`]: the one central-finite-difference check, for anything
//!   [`Differentiable`] (a stage chain under a linear probe, a model under a loss).

mod chain;
mod close;
mod gradients;

pub use chain::{backward_one, forward_one, produce_mask_one, Chain};
pub use close::{assert_close, first_difference, DEFAULT_TOLERANCE};
pub use gradients::{check_gradients, Differentiable, FiniteDifferences, Probe};
