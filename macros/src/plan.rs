//! [`Plan`]: a model that passed every check, as a graph: its inputs, each layer (node) with
//! the nodes it reads and the shapes flowing into and out of it as far as the macro knows
//! them, and the nodes that are outputs. A sequential model is the chain where node `i` reads
//! node `i − 1` and the last node is the one output.

use crate::ast::{DType, InputDecl, LayerBody, LayerDecl};
use crate::layers::Builtin;
use crate::size::{known_dims, Size};
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
    /// Depends on a const expression (`input: [FEATURES]`, `Dense(HIDDEN)`): the const checks
    /// compute it with the shared rules, and its type is a `Computed` shape.
    Const,
    /// Not computable because of an earlier error (no further shape errors are reported).
    Broken,
}

/// What a layer is.
pub enum Op<'a> {
    /// A built-in layer with its arguments read.
    Builtin(Box<dyn Builtin>),
    /// A custom layer or nested model: the user's expression, its type, and the output it
    /// declares with `-> [..]`.
    Custom { expr: &'a Expr, ty: &'a Path, declared: Option<Vec<Option<Size>>> },
    /// The layer of node `owner` applied again, with the same weights.
    Shared { owner: usize },
}

/// Where a node reads from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Src {
    /// The model's input `k`.
    Input(usize),
    /// Node `i`'s output.
    Node(usize),
}

/// One input of the model.
pub struct PlannedInput<'a> {
    pub decl: &'a InputDecl,
    /// Its name: `user`, or `input` for a sequential model's one input line.
    pub name: String,
    /// Its dims as written (`None` for a runtime axis).
    pub sizes: Vec<Option<Size>>,
    pub dtype: DType,
}

impl PlannedInput<'_> {
    /// The dims, when every one is a literal.
    pub fn dims(&self) -> Option<Vec<Option<usize>>> {
        known_dims(&self.sizes)
    }

    /// Its shape as the macro knows it: known, or const when a dim is a const expression.
    pub fn state(&self) -> ShapeState {
        match self.dims() {
            Some(dims) => ShapeState::Known(dims),
            None => ShapeState::Const,
        }
    }

    /// Whether its first axis is a runtime one (a ragged sequence).
    pub fn ragged(&self) -> bool {
        matches!(self.sizes.first(), Some(None))
    }
}

/// One layer, ready to expand.
pub struct PlannedLayer<'a> {
    pub decl: &'a LayerDecl,
    /// The field and Keras name: `hidden`, or automatic `dense_1`.
    pub name: String,
    /// How errors and summaries show the layer: `Dense(128)`, `Projection`.
    pub display: String,
    pub op: Op<'a>,
    /// What it reads, in order.
    pub sources: Vec<Src>,
    /// The shape of its first source (its only one, for a layer that is not a merge).
    pub input: ShapeState,
    pub output: ShapeState,
    /// What each source carries (floats, ids, strings, values that may be missing).
    pub in_values: Vec<crate::layers::Values>,
}

impl PlannedLayer<'_> {
    /// Where errors about the layer point: its name for built-ins, its type for custom layers.
    pub fn span(&self) -> Span {
        match &self.decl.body {
            LayerBody::Builtin(call) => call.ident.span(),
            LayerBody::Custom { ty, .. } => ty.span(),
            LayerBody::Shared(name) => name.span(),
        }
    }
}

/// A model that passed every check.
pub struct Plan<'a> {
    pub inputs: Vec<PlannedInput<'a>>,
    /// The nodes in declaration order, which is an order in which each reads only earlier ones.
    pub layers: Vec<PlannedLayer<'a>>,
    /// The nodes that are the model's outputs, in declaration order.
    pub outputs: Vec<usize>,
    /// Whether the model was written as a graph (named inputs, layers applied to names), which
    /// gives it Keras's functional summary.
    pub graph: bool,
}

impl Plan<'_> {
    /// Whether the model has one input and one output (a [`Model`]: typed `In` and `Out`, a
    /// layer inside other models).
    ///
    /// [`Model`]: https://docs.rs/shaped/latest/shaped/model/trait.Model.html
    pub fn single_io(&self) -> bool {
        self.inputs.len() == 1 && self.outputs.len() == 1
    }

    /// The node that owns the weights node `i` runs: itself, or the node whose layer it applies.
    pub fn owner(&self, i: usize) -> usize {
        match self.layers[i].op {
            Op::Shared { owner } => owner,
            _ => i,
        }
    }
}
