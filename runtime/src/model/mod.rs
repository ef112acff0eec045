//! What every `model!`-generated model is made of: stages ([`crate::layers::Stage`]) run in
//! straight-line code over a [`Workspace`]; the [`Network`] trait every model implements
//! (inputs, outputs, backward, weights, summary), and [`Model`], the typed entry points of a
//! model with one input and one output.

mod adapt;
mod config;
mod input_batch;
mod input_sizes;
mod model_trait;
mod network;
mod predict;
mod run_input;
mod sample_types;
mod shared_grads;
mod summary;
mod workspace;

pub use crate::tensor::InputDType;
pub use adapt::adapt;
pub use config::{
    config_json, first_difference, restore_json, restore_text, state_json, ConfigArg, NodeSpec,
};
pub use input_batch::{InputBatch, Padding};
pub use input_sizes::check_input_sizes;
pub use model_trait::Model;
pub use network::{InputSpec, LayerInfo, Network, OutputSpec, MAX_INPUTS, MAX_OUTPUTS};
pub use predict::{predict_samples, DEFAULT_BATCH_SIZE};
pub use run_input::check_run_inputs;
pub use sample_types::SampleTypes;
pub use shared_grads::SharedGrads;
pub use summary::{readable_memory_size, summary_table};
pub use workspace::{node_dims, Source, Workspace};

/// A type with no values, for the one impl of the never-satisfied traits that `model!` emits
/// to explain a mistake in rustc's error (such as `fit` on a model that was not compiled).
#[doc(hidden)]
#[derive(Debug)]
pub enum Uninhabited {}
