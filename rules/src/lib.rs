//! What shaped knows about its built-in layers that every tier needs: each layer's shape rule as
//! one `const fn` over `&[Option<usize>]` ([`dense`], [`flatten`], ...), the merges' rules over
//! several inputs ([`concatenate`], [`elementwise`], [`dot`]), the windowed layers' over
//! spatial axes ([`conv`], [`pool`], [`Window`], [`Padding`]), the reasons a rule rejects its input with
//! their messages ([`Fail`]), const-built messages ([`Message`]), const dims ([`ConstDims`]),
//! the Keras activation names ([`Activation`]) and the elementwise merges ([`ElementwiseOp`]).
//!
//! The `model!` macro evaluates the rules while it expands a model (tier 1: errors on the
//! layer's line); the runtime evaluates the same functions in const checks after a custom layer
//! (tier 2) and in each layer's `output_dims` at run time (tier 3). One function per rule, so the
//! tiers cannot disagree.
//!
//! Also the "did you mean" suggestions both make ([`nearest`]).
//!
//! `no_std` (with `alloc`, for the suggestions), no dependencies: the macro crate and the
//! runtime both depend on it.

#![no_std]

extern crate alloc;

mod activation;
mod dims;
mod elementwise_op;
mod fail;
mod layer_rules;
mod merge_rules;
mod message;
mod spatial_rules;
mod suggest;

pub use activation::Activation;
pub use dims::{numel, ConstDims, MAX_RANK};
pub use elementwise_op::ElementwiseOp;
pub use fail::Fail;
pub use layer_rules::*;
pub use merge_rules::*;
pub use message::Message;
pub use spatial_rules::*;
pub use suggest::{edit_distance, nearest, nearest_within};

/// The most inputs a model may declare: the training loop lays a batch's inputs out in an
/// array of this size, so a step allocates nothing.
pub const MAX_INPUTS: usize = 16;

/// The most outputs a model may declare.
pub const MAX_OUTPUTS: usize = 16;
