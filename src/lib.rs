//! # shaped
//!
//! Keras-style neural networks whose tensor shapes are checked when your crate compiles.
//!
//! ```
//! use shaped::prelude::*;
//!
//! shaped::model! {
//!     /// Classifies 8x8 digit images.
//!     pub struct Digits {
//!         input: [64],
//!         hidden: Dense(128, activation = relu),
//!         Dropout(0.2),
//!         Dense(10, activation = softmax),
//!     }
//! }
//!
//! let mut model = Digits::new(42);
//! let probs: Vec<[f32; 10]> = model.predict(&[[0.5; 64]; 3]).unwrap();
//! assert!((probs[0].iter().sum::<f32>() - 1.0).abs() < 1e-5);
//! ```
//!
//! ## The `model!` language
//!
//! - `input: [d, ...]` is the per-sample shape (batch axis excluded); each dim is an integer
//!   or `None` (known at run time). A dtype may lead: `input: u32[None]`; `f32` is the default.
//! - A layer line is `Name(positional, key = value, ...)` with Keras's argument names and
//!   defaults, optionally prefixed by `name:`; otherwise layers get Keras's automatic names
//!   (`dense`, `dense_1`, ...).
//! - Built-in layers: `Dense(units, activation, use_bias)`, `Activation(name)`,
//!   `Dropout(rate, seed)`, `Flatten`, `Reshape([..])` (at most one `-1`); for sequences
//!   (`input: [None, features]` or token ids `input: u32[None]`): `Embedding(input_dim,
//!   output_dim, mask_zero)`, `Masking(mask_value)`, `SimpleRnn`, `Lstm`, `Gru` (`units`,
//!   `activation`, `recurrent_activation`, `use_bias`, `unit_forget_bias`, `return_sequences`,
//!   `go_backwards`, `reset_after`), `Bidirectional(Lstm(..), merge_mode = concat)`,
//!   `TimeDistributed(Dense(..))`, `GlobalAvgPool1d`, `GlobalMaxPool1d`. Activations: linear,
//!   relu, sigmoid, tanh, softmax, gelu, elu, selu, softplus, softsign, leaky_relu, swish (alias
//!   silu), written bare (`relu`) or quoted (`"relu"`).
//! - Any other line is a custom layer: a Rust expression of a type implementing [`Layer`]
//!   (`Scale::new(2.0)`, `Scale { factor: 2.0 }`, or a nested model `Encoder::new(seed)`; `seed`
//!   is the model's seed). Its type is read from the expression. It may declare its output,
//!   `Scale::new(2.0) -> [64]`, which keeps the layers after it checked by the macro itself.
//!
//! ## Where mistakes are caught
//!
//! 1. The macro computes every built-in layer's shape and reports mistakes on the layer's line
//!    with both numbers and a fix.
//! 2. A custom layer's [`Layer::CHECK`] (and every built-in after it) is evaluated at compile
//!    time; a failure reads ``model `Net`, layer #2 `Projection` expects 128 input features,
//!    but its input has 64``.
//! 3. A custom layer with no `Layer` impl for its input shape gets a plain-words trait error.
//!
//! Data handed to the generated `predict` and to `fit` is plain Rust values (`&[[f32; 64]]`;
//! `&[Vec<[f32; 12]>]` for sequences, padded per batch and masked), so a wrong feature count is
//! a type error, and labels are checked against the loss
//! ([`train::labels::Labels`]). The runtime-checked entry points
//! ([`model::Model::predict_flat`]) return an `Err` naming both shapes.
//!
//! Training: `Digits::new(42).compile(Adam::default(), CategoricalCrossentropy::default(),
//! [Accuracy])?` returns a [`train::Compiled`] model with Keras's `fit`, `evaluate` and
//! `train_on_batch`.

/// # Grammar
///
/// ```text
/// model!   { attributes  visibility  struct Name {  input,  layer,  layer,  ...  } }
/// input    = input: dtype? [dim, dim, ...]         dtype: f32 (default) or u32 (token ids)
/// dim      = a positive integer, or None (a size known at run time: a sequence's length)
/// layer    = (name:)? Builtin                      Flatten, GlobalAvgPool1d
///          | (name:)? Builtin(value, ..., key = value, ...)   Keras's arguments and defaults
///          | (name:)? expression (-> [dim, ...])?  a custom layer or a nested model, with its
///                                                  output shape declared optionally
/// ```
///
/// A built-in's positional arguments come in Keras's order (`Dense(units, activation,
/// use_bias)`); activations are written bare (`relu`) or quoted (`"relu"`). The expression of a
/// custom layer is any Rust expression whose type implements [`Layer`] (`Scale::new(2.0)`,
/// `Scale { factor: 2.0 }`); `seed` in it is the model's seed. Unnamed layers get Keras's
/// names: `dense`, `dense_1`, ...
///
/// The macro generates the struct, `new(seed)`, `predict` on plain arrays, and the
/// [`model::Model`] and [`Layer`] impls (a model is a layer of another model).
///
/// # Example
///
/// ```
/// use shaped::prelude::*;
///
/// shaped::model! {
///     /// A reusable encoder: 64 features to 16.
///     pub struct Encoder {
///         input: [64],
///         Dense(16, activation = relu),
///     }
/// }
///
/// shaped::model! {
///     /// Classifies 8x8 digits.
///     pub struct Digits {
///         input: [8, 8],                          // per sample; the batch axis is implicit
///         Flatten,
///         encoder: Encoder::new(seed),            // a nested model, seeded from this one's seed
///         Dropout(0.2),
///         Dense(10, activation = softmax),        // named `dense` automatically
///     }
/// }
///
/// let mut model = Digits::new(42);
/// let probs: Vec<[f32; 10]> = model.predict(&[[[0.5; 8]; 8]; 3])?;
/// assert_eq!(probs.len(), 3);
/// assert!(model.summary_string().contains("encoder (Encoder)"));
/// # Ok::<(), shaped::Error>(())
/// ```
#[doc(inline)]
pub use shaped_macros::model;

/// # Example
///
/// A custom layer for one shape names its input with `dim!` (`(shaped::dim!(64),)` is the shape
/// `[64]`); any size works, where typenum's named aliases stop at 1024:
///
/// ```
/// type Wide = (shaped::dim!(50_000),);
/// assert_eq!(<Wide as shaped::shape::Shape>::DIMS, &[Some(50_000)]);
/// ```
#[doc(inline)]
pub use shaped_macros::dim;
#[doc(no_inline)]
pub use shaped_runtime::typenum;
pub use shaped_runtime::{data, error, io, kernels, layers, model, rules, shape, tensor, testing, train};
pub use shaped_runtime::{Error, Result};

pub use layers::Layer;

/// Everything a model definition, its training and its use need: `use shaped::prelude::*;`.
pub mod prelude {
    pub use crate::io::{ModelFiles, WeightFiles};
    pub use crate::layers::{Layer, Mode};
    pub use crate::model::{Model, Network, SampleTypes};
    // The traits' methods (`summary`, `predict_flat`, `compile`, `save_weights`, ...) stay in
    // scope even where a model is itself named `Model` or `Network`, which shadows the names
    // imported above.
    pub use crate::io::{ModelFiles as _, WeightFiles as _};
    pub use crate::model::{Model as _, Network as _};
    pub use crate::shape::{Check, Dim, Dims, Dyn, Shape};
    pub use crate::tensor::{Tensor, TensorMut, TensorRef};
    pub use crate::train::callbacks::{EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, TerminateOnNaN};
    pub use crate::train::loss::{
        BinaryCrossentropy, CategoricalCrossentropy, Huber, Loss, MeanAbsoluteError, MeanSquaredError,
        SparseCategoricalCrossentropy,
    };
    pub use crate::train::metrics::Metric::{
        self, Accuracy, BinaryAccuracy, CategoricalAccuracy, MeanAbsoluteError as Mae,
        MeanSquaredError as Mse, SparseCategoricalAccuracy,
    };
    pub use crate::train::optim::{
        Adam, AdamW, ExponentialDecay, IntoOptimizer, LearningRate, Optimizer, RmsProp, Sgd,
    };
    pub use crate::train::Compile as _;
    pub use crate::train::{
        Callback, Compile, Compiled, FitOptions, History, Logs, OutputLoss, TrainingContext, Verbose,
    };
    pub use crate::{dim, model};
}

/// The README's Rust examples, compiled and run as doctests (from the repository's root, where
/// `data/` is), so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
