//! Test support, public so that the integration tests, examples and users' own tests use the
//! same tools:
//!
//! - [`assert_close`]: float comparison that reports the first pair that differs;
//! - [`Chain`]: stages run in a row through a model's own [`crate::model::Workspace`], masks and
//!   all, for testing layers outside a model;
//! - [`Node`]: one stage reading several inputs (a merge) through a model's own workspace, and
//!   [`forward_many`] / [`backward_many`] / [`produce_mask_many`] to call one directly;
//! - [`check_gradients`]: the one central-finite-difference check, for anything
//!   [`Differentiable`] (a stage chain under a linear [`Probe`], a node under a [`NodeProbe`],
//!   a model under a loss).

mod chain;
mod close;
mod gradients;
mod node;

pub use chain::{backward_one, forward_one, produce_mask_one, Chain};
pub use close::{assert_close, first_difference, DEFAULT_TOLERANCE};
pub use gradients::{check_gradients, Differentiable, FiniteDifferences, Probe};
pub use node::{backward_many, forward_many, produce_mask_many, Node, NodeProbe};
