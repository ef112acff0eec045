//! Built-in layers, one file per family, and the [`Layer`] trait for custom ones.
//!
//! Built-in layers work on flat `f32` buffers with `usize` dims (their kernels are compiled once
//! for every shape); the `model!` macro checks their shapes and calls them through [`Stage`].

pub mod activation;
mod activation_stage;
pub mod adapt;
pub mod conv;
pub mod dense;
pub mod dropout;
pub mod embedding;
pub mod global_pool_2d;
pub mod init;
pub mod lambda;
pub mod layer;
pub mod masking;
pub mod merge;
pub mod norm;
mod opaque;
pub mod pooling;
pub mod preprocessing;
pub mod recurrent;
pub mod reshape;
pub mod resize_2d;
mod shape_rule;
pub mod spatial_mask;
pub mod stage;
pub mod time_distributed;
pub mod window_pool;

pub use activation::{Activation, ActivationFn};
pub use adapt::{Adapt, AdaptPhase};
pub use conv::{Conv, ConvOptions, ConvTranspose, DepthwiseConv, SeparableConv};
pub use dense::Dense;
pub use dropout::Dropout;
pub use embedding::Embedding;
pub use global_pool_2d::GlobalPool2d;
pub use lambda::{Dual, Lambda, Real};
pub use layer::{default_output_dims, short_type_name, Layer, Mode, Param, ParamMut};
pub use masking::Masking;
pub use merge::{Concatenate, Dot, Elementwise, ElementwiseOp};
pub use norm::{BatchNorm, BatchNormOptions, LayerNorm};
pub use opaque::Opaque;
pub use pooling::{GlobalAvgPool1d, GlobalMaxPool1d};
pub use preprocessing::{
    CategoryEncoding, Discretization, EncodingMode, Hashing, HashingMask, IntegerLookup, Lookup,
    LookupOptions, LookupToken, MissingIndicator, Normalization, Salt, StringLookup, VocabularyToken,
};
pub use recurrent::{Bidirectional, Gru, Lstm, MergeMode, RnnOptions, SimpleRnn};
pub use reshape::{Flatten, Reshape};
pub use resize_2d::{Cropping2d, UpSampling2d, ZeroPadding2d};
pub use stage::{visit_prefixed, visit_prefixed_mut, Backward, Forward, Input, MaskRule, Masked, Stage};
pub use time_distributed::TimeDistributed;
pub use window_pool::WindowPool;
