//! Training with Keras semantics: `compile` a model with an optimiser, a loss and metrics, then
//! `fit`, `evaluate` and `train_on_batch` ([`Compiled`]).
//!
//! - [`loss`]: Keras's losses, with the fused softmax/sigmoid-crossentropy gradient;
//! - [`optim`]: SGD, Adam, AdamW, RMSprop with Keras's update formulas, clipping and schedules;
//! - [`metrics`]: accuracy (resolved as Keras does), MAE, MSE;
//! - [`labels`]: which labels a loss takes, checked at compile time;
//! - [`callbacks`], [`history`], [`progress`]: Keras's callbacks, `History` and progress bar.

pub mod callback;
pub mod callbacks;
mod compiled;
mod context;
mod data_checks;
mod fit_options;
pub mod history;
pub mod labels;
pub mod logs;
pub mod loss;
pub mod metrics;
pub mod optim;
pub mod progress;
mod step_guard;
pub mod targets;

pub use callback::{Callback, TrainingContext};
pub use compiled::Compiled;
pub use fit_options::FitOptions;
pub use history::History;
pub use logs::Logs;
pub use progress::Verbose;
pub use targets::Targets;
