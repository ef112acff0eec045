//! Runtime of shaped: type-level shapes, tensors, kernels, layers and weight io.
//!
//! Users reach all of this through the `shaped` facade crate and `shaped::prelude`; the
//! `model!` macro expands to code that calls into these modules.

mod buffer;
pub mod data;
pub mod error;
pub mod io;
pub mod kernels;
pub mod layers;
pub mod testing;

pub use error::{Error, Result};
pub mod model;
/// The shape rules, their failures and messages, and the activation names that `model!` and
/// the runtime share (the `shaped-rules` crate).
pub use shaped_rules as rules;
pub mod shape;
pub mod tensor;
#[doc(no_inline)]
pub use typenum;
pub mod train;
