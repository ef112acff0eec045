//! Shapes at three levels: type-level dims ([`Dim`], [`Shape`]), runtime dims ([`Dims`]), and
//! const-evaluated checks ([`Check`]) that the `model!` macro turns into compile errors.
//!
//! The batch axis is never part of a shape type: it is always a runtime value.

mod check;
mod computed;
mod dim;
mod dims;
mod ops;
mod shape_trait;

pub use check::{Check, Message};
pub use computed::{computed_dim, computed_rank, Computed, RUNTIME_AXIS};
pub use dim::{Dim, Dyn};
pub use dims::{Dims, MAX_RANK};
pub use ops::{DimDiv, DimMul, Flattened, Numel, ReplaceLast, WithLast};
pub(crate) use shape_trait::check_dims;
pub use shape_trait::{last_static, Shape};
pub use shaped_rules::numel;
pub use shaped_rules::ConstDims;
