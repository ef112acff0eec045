//! Tensors: owned [`Tensor`] and borrowed [`TensorRef`] / [`TensorMut`] views.
//!
//! Storage is contiguous `f32`, row-major, batch first: element `(b, i0, i1, ..)` of a tensor
//! with per-sample dims `[d0, d1, ..]` lives at `((b·d0 + i0)·d1 + i1)…`.

mod dtype;
mod image;
mod input_row;
mod input_sample;
mod output_row;
mod output_sample;
mod owned;
mod sample;
mod sample_of;
mod text;
mod view;

pub use dtype::InputDType;
pub use image::Image;
pub use input_row::{InputField, InputRow};
pub use input_sample::{Element, InputSample, Text};
pub use output_row::OutputRow;
pub use output_sample::{OutputExtent, OutputSample};
pub use owned::Tensor;
pub use sample::Sample;
pub use sample_of::{sample_dim, sample_kind, PickSample, SampleOf, UnsupportedOutputShape};
pub use text::{TextBuffer, TextColumn};
pub use view::{TensorMut, TensorRef};
