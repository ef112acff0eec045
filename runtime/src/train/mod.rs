//! Training with Keras semantics: `compile` a model with an optimiser, a loss and metrics
//! ([`Compile`]; one [`OutputLoss`] per output for a model with several), then `fit`,
//! `evaluate` and `train_on_batch` ([`Compiled`], over the shared loop in `engine.rs`).
//!
//! - [`loss`]: Keras's losses, with the fused softmax/sigmoid-crossentropy gradient;
//! - [`optim`]: SGD, Adam, AdamW, RMSprop with Keras's update formulas, clipping and schedules;
//! - [`metrics`]: accuracy (resolved as Keras does), MAE, MSE;
//! - [`labels`]: which labels a loss takes, checked at compile time;
//! - [`callbacks`], [`history`], [`progress`]: Keras's callbacks, `History` and progress bar.

pub mod callback;
pub mod callbacks;
mod compile;
mod compiled;
mod context;
mod data_checks;
mod engine;
mod fit_options;
pub mod heads;
pub mod history;
pub mod label_row;
pub mod labels;
pub mod logs;
pub mod loss;
pub mod metrics;
pub mod optim;
pub mod progress;
pub(crate) mod step_guard;
pub mod targets;

pub use callback::{Callback, TrainingContext};
pub use compile::Compile;
pub use compiled::Compiled;
pub use fit_options::FitOptions;
pub use heads::{Heads, Multi, OutputLoss};
pub use history::History;
pub use label_row::LabelRow;
pub use logs::Logs;
pub use progress::Verbose;
pub use targets::Targets;
