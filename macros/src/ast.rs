//! The typed form of a `model!` body. Every node keeps the tokens it came from, so errors point
//! at the exact layer; nested layers (`Bidirectional(Lstm(64))`) are parsed here, once.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Ident, Path, Visibility};

/// A whole `model!` invocation.
pub struct ModelDef {
    /// Doc comments and attributes on the struct, passed through.
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    /// The `input:` line, if any (its absence is an error of the check stage).
    pub input: Option<InputDecl>,
    pub layers: Vec<LayerDecl>,
}

/// `input: f32[28, 28, 1]` or `input: [None, 12]`.
pub struct InputDecl {
    pub dtype: DType,
    pub dims: Vec<DimLit>,
    pub span: Span,
}

/// The element type of a model's input.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DType {
    F32,
    U32,
}

/// One dimension as written: an integer literal, `None`, or (in `Reshape`) `-1`.
#[derive(Clone, Copy, Debug)]
pub enum DimLit {
    Static(usize, Span),
    None(Span),
    Infer(Span),
}

/// A layer line: `[name:] body [-> [dims]]`.
pub struct LayerDecl {
    /// 1-based position among the layer lines, as errors number layers.
    pub number: usize,
    /// The explicit `name:` prefix.
    pub name: Option<Ident>,
    pub body: LayerBody,
    /// `-> [dims]`: the output shape a custom layer declares.
    pub declared_out: Option<(Vec<DimLit>, Span)>,
}

/// What a layer line holds.
pub enum LayerBody {
    /// `Dense(128, activation = relu)` or `Flatten`: a built-in layer by name.
    Builtin(LayerCall),
    /// A Rust expression of a user type implementing `Layer`: `Scale::new(2.0)`.
    Custom { expr: Expr, ty: Path },
}

/// A built-in layer as written: its name and arguments, `Dense(128, activation = relu)`.
pub struct LayerCall {
    pub ident: Ident,
    pub args: Vec<Arg>,
}

impl LayerCall {
    /// How messages show the layer: `Dense(128)` (the first argument only), `Flatten`.
    pub fn display(&self) -> String {
        match self.args.first() {
            Some(Arg::Positional(v)) => format!("{}({})", self.ident, compact(&v.expr)),
            Some(Arg::Keyword(..)) => format!("{}(..)", self.ident),
            None => self.ident.to_string(),
        }
    }
}

/// One argument of a built-in layer.
pub enum Arg {
    Positional(ArgValue),
    Keyword(Ident, ArgValue),
}

/// An argument's value: the expression as written, and the layer it names when it is a layer
/// (`Lstm(64)` in `Bidirectional(Lstm(64))`).
pub struct ArgValue {
    pub expr: Expr,
    pub layer: Option<LayerCall>,
}

impl ArgValue {
    /// Where errors about the value point.
    pub fn span(&self) -> Span {
        self.expr.span()
    }
}

/// An expression as compact source text: `[4, 32]`, `0.2`.
pub fn compact(e: &Expr) -> String {
    quote::quote!(#e).to_string().replace(" ,", ",").replace("[ ", "[").replace(" ]", "]").replace("- ", "-")
}
