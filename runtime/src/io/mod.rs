//! Reading and writing weights.
//!
//! - [`npy`]: NumPy `.npy` arrays (read any common dtype as `f32`; write `f32`).
//! - [`npz`]: NumPy `.npz` archives, the format of the Keras reference fixtures.

pub mod keras;
pub mod npy;
pub mod npz;
pub mod safetensors;

pub use npy::NpyArray;
pub use npz::Npz;
