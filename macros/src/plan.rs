//! [`Plan`]: a model that passed every check, each layer resolved with the shapes flowing into
//! and out of it as far as the macro knows them.

use crate::ast::{DType, LayerBody, LayerDecl};
use crate::layers::Builtin;
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Expr, Path};

/// A shape as far as the macro knows it.
#[derive(Clone, Debug, PartialEq)]
pub enum ShapeState {
    /// Every axis known to the macro (`None` = a runtime axis).
    Known(Vec<Option<usize>>),
    /// Decided by a custom layer's `Layer` impl; only the type system and const checks know it.
    Opaque,
    /// Not computable because of an earlier error (no further shape errors are reported).
    Broken,
}

/// What a layer is.
pub enum Op<'a> {
    /// A built-in layer with its arguments read.
    Builtin(Box<dyn Builtin>),
    /// A custom layer or nested model: the user's expression, its type, and the output it
    /// declares with `-> [..]`.
    Custom { expr: &'a Expr, ty: &'a Path, declared: Option<Vec<Option<usize>>> },
}

/// One layer, ready to expand.
pub struct PlannedLayer<'a> {
    pub decl: &'a LayerDecl,
    /// The field and Keras name: `hidden`, or automatic `dense_1`.
    pub name: String,
    /// How errors and summaries show the layer: `Dense(128)`, `Projection`.
    pub display: String,
    pub op: Op<'a>,
    pub input: ShapeState,
    pub output: ShapeState,
}

impl PlannedLayer<'_> {
    /// Where errors about the layer point: its name for built-ins, its type for custom layers.
    pub fn span(&self) -> Span {
        match &self.decl.body {
            LayerBody::Builtin(call) => call.ident.span(),
            LayerBody::Custom { ty, .. } => ty.span(),
        }
    }
}

/// A model that passed every check.
pub struct Plan<'a> {
    pub input: Vec<Option<usize>>,
    pub dtype: DType,
    pub layers: Vec<PlannedLayer<'a>>,
}

impl Plan<'_> {
    /// The model's output shape.
    pub fn output(&self) -> &ShapeState {
        &self.layers.last().expect("a plan has at least one layer").output
    }
}
