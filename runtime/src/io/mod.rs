//! Reading and writing weights.
//!
//! - [`npy`]: NumPy `.npy` arrays (read any common dtype as `f32`; write `f32`).
//! - [`npz`]: NumPy `.npz` archives, the format of the Keras reference fixtures.
//! - [`safetensors`]: shaped's weight files, written atomically (`atomic_write.rs`).

mod atomic_write;
pub mod keras;
pub mod npy;
pub mod npz;
pub mod safetensors;

pub use npy::NpyArray;
pub use npz::Npz;

pub(crate) use atomic_write::write_atomically;
