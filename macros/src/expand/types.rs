//! The types of a model's shapes: the typenum tuple of every node's output the macro knows, the
//! type-level output of built-ins after a custom layer, and the plain arrays of `fit` and
//! `predict`.

use crate::ast::ModelDef;
use crate::plan::{Op, Plan, ShapeState, Src};
use crate::size::dims_tokens;
use crate::typenum_tokens::uint_tokens;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote, quote_spanned};

/// The per-sample shape type for dims the macro knows: `(U64,)`, `(Dyn, U12)`.
pub fn shape_ty(dims: &[Option<usize>]) -> TokenStream {
    let parts = dims.iter().map(|d| match d {
        Some(n) => uint_tokens(*n),
        None => quote!(::shaped::shape::Dyn),
    });
    quote!((#(#parts,)*))
}

/// `Computed<{ rank }, { dim 0 }, ..>`: the shape type of dims the compiler computes, `dims`
/// being tokens of a `Result<ConstDims, Fail>` (a node's out fn, or an input's dims).
pub fn computed_ty(dims: &TokenStream) -> TokenStream {
    let axes = (0..5usize).map(|i| quote!({ ::shaped::shape::computed_dim(#dims, #i) }));
    quote!(::shaped::shape::Computed<{ ::shaped::shape::computed_rank(#dims) }, #(#axes),*>)
}

/// The plain Rust array of one sample: `[f32; 64]`, `[[f32; 8]; 8]`; `None` if any axis is
/// runtime or the rank is above 3.
pub fn sample_array(dims: &[Option<usize>]) -> Option<TokenStream> {
    if dims.is_empty() || dims.len() > 3 {
        return None;
    }
    let mut ty = quote!(f32);
    for d in dims.iter().rev() {
        let n = (*d)?;
        ty = quote!([#ty; #n]);
    }
    Some(ty)
}

/// Identifiers of the generated helper items for layer `number` of `model`.
pub fn helper_ident(model: &Ident, what: &str, number: usize) -> Ident {
    format_ident!("__Shaped{}{}{}", model, what, number)
}

/// `__shaped_out_Net_3`: the const fn giving the dims out of node `index` of `model`.
pub fn out_fn_ident(model: &Ident, index: usize) -> Ident {
    format_ident!("__shaped_out_{}_{}", model, index)
}

/// The generic parameter standing for custom layer `number`'s type.
pub fn layer_param(number: usize) -> Ident {
    format_ident!("__ShapedL{}", number)
}

/// The shape types flowing into and out of every node, and the bounds the generic code needs
/// for them.
pub struct Types {
    /// The type of each model input.
    pub inputs: Vec<TokenStream>,
    /// `ins[i]`: the type of node i's first (for most layers, only) input.
    pub ins: Vec<TokenStream>,
    /// `outs[i]`: node i's output type.
    pub outs: Vec<TokenStream>,
    /// Bounds in terms of the generic layer parameters: each custom layer's diagnostic trait,
    /// and the type-level shape operations of built-ins after a custom layer.
    pub shape_bounds: Vec<TokenStream>,
    /// Whether each node's input type depends on a custom layer's (generic) output.
    pub generic_input: Vec<bool>,
    /// Whether each node's output type depends on a custom layer's (generic) output.
    pub generic_output: Vec<bool>,
    /// For each node: the custom-layer parameters before it and the bounds they carry, which
    /// a custom layer's diagnostic trait is generic over when its input depends on them.
    pub earlier: Vec<(Vec<Ident>, Vec<TokenStream>)>,
}

impl Types {
    /// The type of `src`.
    pub fn of(&self, src: Src) -> &TokenStream {
        match src {
            Src::Input(k) => &self.inputs[k],
            Src::Node(i) => &self.outs[i],
        }
    }
}

/// The shape types of `plan`'s nodes, and the bounds they need.
pub fn types(def: &ModelDef, plan: &Plan) -> Types {
    let inputs: Vec<TokenStream> = plan
        .inputs
        .iter()
        .map(|i| match i.dims() {
            Some(dims) => shape_ty(&dims),
            None => {
                let dims = dims_tokens(&i.sizes);
                computed_ty(&quote!(::core::result::Result::<_, ::shaped::rules::Fail>::Ok(::shaped::rules::ConstDims::new(#dims))))
            }
        })
        .collect();
    let mut t = Types {
        inputs,
        ins: Vec::new(),
        outs: Vec::new(),
        shape_bounds: Vec::new(),
        generic_input: Vec::new(),
        generic_output: Vec::new(),
        earlier: Vec::new(),
    };
    let mut params_so_far: Vec<Ident> = Vec::new();
    for layer in &plan.layers {
        let src = layer.sources[0];
        let prev = t.of(src).clone();
        let prev_generic = match src {
            Src::Input(_) => false,
            Src::Node(j) => t.generic_output[j],
        };
        t.generic_input.push(prev_generic);
        t.earlier.push((params_so_far.clone(), t.shape_bounds.clone()));
        let number = layer.decl.number;
        let (ty, generic) = match (&layer.output, &layer.op) {
            (_, Op::Custom { .. }) => {
                let param = layer_param(number);
                let tr = helper_ident(&def.name, "Layer", number);
                let span = layer.span();
                t.shape_bounds.push(if prev_generic {
                    quote_spanned!(span=> #param: #tr<#(#params_so_far),*>)
                } else {
                    quote_spanned!(span=> #param: #tr)
                });
                params_so_far.push(param.clone());
                match &layer.output {
                    ShapeState::Known(dims) => (shape_ty(dims), false),
                    _ => (quote!(<#param as ::shaped::layers::Layer<#prev>>::Out), true),
                }
            }
            (_, Op::Shared { owner }) => (t.outs[*owner].clone(), t.generic_output[*owner]),
            (ShapeState::Known(dims), _) => (shape_ty(dims), false),
            (ShapeState::Const, _) => {
                let f = out_fn_ident(&def.name, t.outs.len());
                (computed_ty(&quote!(#f())), false)
            }
            (_, Op::Builtin(layer)) => {
                let follow = layer
                    .follow(&prev)
                    .expect("the check stage refuses layers that cannot follow a custom layer");
                t.shape_bounds.extend(follow.bounds);
                (follow.ty, true)
            }
        };
        t.ins.push(prev);
        t.outs.push(ty);
        t.generic_output.push(generic);
    }
    t
}
