//! Training with Keras semantics: losses, optimisers, metrics, callbacks, history, and the fit
//! loop over a compiled model.

pub mod callback;
pub mod logs;
pub mod targets;

pub use callback::{Callback, TrainingContext};
pub use logs::Logs;
pub use targets::Targets;
