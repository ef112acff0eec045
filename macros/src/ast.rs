//! The typed form of a `model!` body. Every node keeps the tokens it came from, so errors point
//! at the exact layer; nested layers (`Bidirectional(Lstm(64))`) are parsed here, once.
//!
//! A body is a sequential model (one `input:` line, each layer reading the line before) or a
//! graph (Keras's functional API): named inputs (`input user: u32[1],`), each layer applied to
//! the nodes it reads (`Dense(64)(features)`, `Concatenate()(a, b)`), a node's layer applied
//! again with the same weights (`right: left(b)`), and the results marked `output`.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Ident, Path, Visibility};

/// A whole `model!` invocation.
pub struct ModelDef {
    /// Doc comments and attributes on the struct, passed through.
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    /// The input lines (none is an error of the check stage).
    pub inputs: Vec<InputDecl>,
    pub layers: Vec<LayerDecl>,
}

/// `input: f32[28, 28, 1]`, `input: [None, 12]`, or a named input of a graph,
/// `input user: u32[1]`.
pub struct InputDecl {
    /// The name of a graph's input; `None` for the one `input:` line of a sequential model.
    pub name: Option<Ident>,
    pub dtype: DType,
    pub dims: Vec<DimLit>,
    pub span: Span,
}

/// The element type of a model's input.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DType {
    F32,
    U32,
    /// `String`: one string per sample.
    Text,
    /// `Option<f32>`: a number that may be missing.
    OptionalF32,
    /// `Option<String>`: a string that may be missing.
    OptionalText,
}

impl DType {
    /// The prefix as written before the dims: `` (f32, the default), `u32`, `String`,
    /// `Option<f32>`, `Option<String>`.
    pub fn written(self) -> &'static str {
        match self {
            DType::F32 => "",
            DType::U32 => "u32",
            DType::Text => "String",
            DType::OptionalF32 => "Option<f32>",
            DType::OptionalText => "Option<String>",
        }
    }

    /// Whether the input holds strings.
    pub fn is_text(self) -> bool {
        matches!(self, DType::Text | DType::OptionalText)
    }

    /// Whether a sample's value may be missing.
    pub fn is_optional(self) -> bool {
        matches!(self, DType::OptionalF32 | DType::OptionalText)
    }
}

/// One dimension as written: an integer literal, `None`, (in `Reshape`) `-1`, or a const
/// expression (`FEATURES`, `2 * HIDDEN`).
#[derive(Clone)]
pub enum DimLit {
    Static(usize, Span),
    None(Span),
    Infer(Span),
    Expr(Box<Expr>),
}

/// A layer line: `[output] [name:] body[(sources)] [-> [dims]]`.
pub struct LayerDecl {
    /// 1-based position among the layer lines, as errors number layers.
    pub number: usize,
    /// The explicit `name:` prefix.
    pub name: Option<Ident>,
    pub body: LayerBody,
    /// `-> [dims]`: the output shape a custom layer declares.
    pub declared_out: Option<(Vec<DimLit>, Span)>,
    /// `(a, b)` after the layer: the inputs and nodes it reads, in a graph; `None` in a
    /// sequential model, where a layer reads the line before.
    pub sources: Option<Sources>,
    /// The `output` keyword, marking the node as one of the model's outputs.
    pub output: Option<Span>,
}

/// The nodes a layer reads, as written: `(user_vec, item_vec)`.
pub struct Sources {
    pub names: Vec<Ident>,
    pub span: Span,
}

/// What a layer line holds.
pub enum LayerBody {
    /// `Dense(128, activation = relu)` or `Flatten`: a built-in layer by name.
    Builtin(LayerCall),
    /// A Rust expression of a user type implementing `Layer`: `Scale::new(2.0)`.
    Custom { expr: Expr, ty: Path },
    /// `left` in `right: left(b)`: the layer of node `left`, applied again with its weights.
    Shared(Ident),
}

/// A built-in layer as written: its name and arguments, `Dense(128, activation = relu)`.
pub struct LayerCall {
    pub ident: Ident,
    pub args: Vec<Arg>,
}

impl LayerCall {
    /// How messages show the layer: its positional arguments, `Dense(128)`, `Conv2d(16, 3)`;
    /// `Lstm(..)` when it has keyword arguments only; `Flatten`.
    pub fn display(&self) -> String {
        let positional: Vec<String> = self
            .args
            .iter()
            .map_while(|a| match a {
                Arg::Positional(v) => Some(compact(&v.expr)),
                Arg::Keyword(..) => None,
            })
            .collect();
        // A layer of keyword arguments only (`StringLookup(max_tokens = 8)`) shows them all.
        let keywords = || -> Vec<String> {
            self.args
                .iter()
                .filter_map(|a| match a {
                    Arg::Keyword(name, v) => Some(format!("{name} = {}", compact(&v.expr))),
                    Arg::Positional(_) => None,
                })
                .collect()
        };
        match (positional.is_empty(), self.args.is_empty()) {
            (false, _) => format!("{}({})", self.ident, positional.join(", ")),
            (true, false) => format!("{}({})", self.ident, keywords().join(", ")),
            (true, true) => self.ident.to_string(),
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
