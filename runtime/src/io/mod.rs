//! Reading and writing weights.
//!
//! - [`npy`]: NumPy `.npy` arrays (read any common dtype as `f32`; write `f32`).
//! - [`npz`]: NumPy `.npz` archives, the format of the Keras reference fixtures.
//! - [`safetensors`]: shaped's weight files, written atomically (`atomic_write.rs`).
//! - [`WeightFiles`]: `save_weights`, `load_weights` and `load_keras_npz` on every model.
//! - [`ModelFiles`]: `save_model` and `load_model` (configuration, weights and layer state in
//!   one file) on every model; a compiled model's `save` and `load` add the optimizer's state
//!   ([`OptimizerState`], plain data: `io` does not depend on `train`).

mod atomic_write;
pub mod keras;
pub mod model_file;
pub mod npy;
pub mod npz;
pub mod optimizer_state;
pub mod safetensors;
mod weight_files;

pub use model_file::ModelFiles;
pub use npy::NpyArray;
pub use npz::Npz;
pub use optimizer_state::{OptimizerState, ParamState};
pub use weight_files::WeightFiles;

pub(crate) use atomic_write::write_atomically;
