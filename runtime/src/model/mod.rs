//! What every `model!`-generated model is made of: [`Stage`]s run in straight-line code over a
//! [`Workspace`], and the [`Model`] trait whose provided methods give predict, summary and
//! weight loading.

mod model_trait;
mod predict;
mod run_input;
mod sample_types;
mod summary;
mod workspace;

pub use model_trait::{LayerInfo, Model};
pub(crate) use predict::check_ids;
pub use predict::{predict_samples, DEFAULT_BATCH_SIZE};
pub use run_input::check_run_input;
pub use sample_types::SampleTypes;
pub use summary::{readable_memory_size, summary_table};
pub use workspace::{Source, Workspace};

/// A type with no values, for the one impl of the never-satisfied traits that `model!` emits
/// to explain a mistake in rustc's error (such as `fit` on a model that was not compiled).
#[doc(hidden)]
#[derive(Debug)]
pub enum Uninhabited {}
