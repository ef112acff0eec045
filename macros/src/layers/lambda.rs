//! `Lambda(|x| expression)`: an element-wise function of the user's, the output the input's
//! shape, differentiated automatically (forward-mode dual numbers) so that no backward is
//! written.
//!
//! ```text
//! input: [64],
//! Lambda(|x| x * x.sigmoid()),      [64] → [64]
//! ```
//!
//! The closure becomes a function generic over `shaped::layers::Real`: its literals and named
//! constants turn into `Real::cst(..)`, its operators and methods are `Real`'s, and the layer is
//! built from the function's `f32` and `Dual` instances.

use crate::args::Args;
use crate::ast::compact;
use crate::ctxt::Ctxt;
use crate::layers::core::keeps_shape;
use crate::layers::{At, Builtin, ConfigValue, Follow, Init, LayerDef};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use shaped_rules::{ConstDims, Fail};
use syn::spanned::Spanned;
use syn::{Expr, Ident, Pat};

pub const LAMBDA: LayerDef = LayerDef {
    name: "Lambda",
    auto_name: "lambda",
    params: &["function"],
    build: |cx, args| Some(Box::new(Lambda::read(cx, args)?)),
};

/// The methods of `shaped::layers::Real` a function may call (with their argument counts).
const METHODS: &[(&str, usize)] = &[
    ("exp", 0),
    ("ln", 0),
    ("sqrt", 0),
    ("tanh", 0),
    ("sigmoid", 0),
    ("sin", 0),
    ("cos", 0),
    ("abs", 0),
    ("recip", 0),
    ("powi", 1),
    ("powf", 1),
    ("max", 1),
    ("min", 1),
];

/// What a `Lambda`'s function may be made of, for the error that names what it may not.
const ALLOWED: &str = "arithmetic (`+ - * /`, unary `-`), number literals, `f32` constants and the methods exp, ln, sqrt, tanh, sigmoid, sin, cos, abs, recip, powi, powf, max, min";

/// `Lambda(|x| body)`, the body written generic over `Real`.
struct Lambda {
    param: Ident,
    body: TokenStream,
    /// The closure as written (compact), the layer's configuration.
    source: String,
}

impl Lambda {
    fn read(cx: &Ctxt, args: &Args<'_>) -> Option<Lambda> {
        let value = args.required(
            cx,
            "function",
            "`Lambda` needs the function to apply to each value: `Lambda(|x| x * x.tanh())`",
        )?;
        let Expr::Closure(closure) = &value.expr else {
            let text = compact(&value.expr);
            let hint = match shaped_rules::Activation::from_name(&text) {
                Some(_) => format!("; `{text}` is an activation: write `Activation({text})`"),
                None => String::new(),
            };
            cx.error(
                value.span(),
                format!("`Lambda` takes a closure of one value, like `Lambda(|x| x * x.tanh())`, but got `{text}`{hint}"),
            );
            return None;
        };
        let param = match closure.inputs.iter().collect::<Vec<_>>().as_slice() {
            [Pat::Ident(p)] => p.ident.clone(),
            [Pat::Type(t)] => match &*t.pat {
                Pat::Ident(p) => p.ident.clone(),
                other => return bad_param(cx, other.span()),
            },
            _ => return bad_param(cx, closure.inputs.span()),
        };
        let body = generic_body(cx, &closure.body, &param)?;
        Some(Lambda { param, body, source: compact(&value.expr) })
    }
}

/// The error for a closure that does not take exactly one value by name.
fn bad_param(cx: &Ctxt, span: Span) -> Option<Lambda> {
    cx.error(span, "`Lambda`'s closure takes one value, named: `|x| x * x.tanh()`");
    None
}

/// `e` with its literals and named constants as `Real::cst(..)` and every other piece checked
/// against [`ALLOWED`]; `None` after an error recorded in `cx`.
fn generic_body(cx: &Ctxt, e: &Expr, param: &Ident) -> Option<TokenStream> {
    let cst = |e: &Expr| {
        let span = e.span();
        quote_spanned!(span=> <__ShapedT as ::shaped::layers::Real>::cst((#e) as f32))
    };
    match e {
        Expr::Lit(syn::ExprLit { lit: syn::Lit::Float(_) | syn::Lit::Int(_), .. }) => Some(cst(e)),
        Expr::Path(p) if p.path.is_ident(param) => Some(quote!(#p)),
        Expr::Path(p) if p.qself.is_none() => Some(cst(e)),
        Expr::Paren(p) => {
            let inner = generic_body(cx, &p.expr, param)?;
            Some(quote!((#inner)))
        }
        Expr::Group(g) => generic_body(cx, &g.expr, param),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => {
            let inner = generic_body(cx, &u.expr, param)?;
            Some(quote!(-(#inner)))
        }
        Expr::Binary(b)
            if matches!(
                b.op,
                syn::BinOp::Add(_) | syn::BinOp::Sub(_) | syn::BinOp::Mul(_) | syn::BinOp::Div(_)
            ) =>
        {
            let left = generic_body(cx, &b.left, param)?;
            let right = generic_body(cx, &b.right, param)?;
            let op = &b.op;
            Some(quote!((#left #op #right)))
        }
        Expr::MethodCall(m) => {
            let name = m.method.to_string();
            let Some(&(_, arity)) = METHODS.iter().find(|(n, _)| *n == name) else {
                cx.error(
                    m.method.span(),
                    format!("`Lambda` cannot differentiate `.{name}()`; its function may use {ALLOWED}"),
                );
                return None;
            };
            if m.args.len() != arity {
                cx.error(
                    m.span(),
                    format!(
                        "`.{name}()` takes {arity} argument{} in a `Lambda`",
                        if arity == 1 { "" } else { "s" }
                    ),
                );
                return None;
            }
            let receiver = generic_body(cx, &m.receiver, param)?;
            let method = &m.method;
            let args = if name == "powi" {
                // The exponent stays an integer.
                let n = &m.args[0];
                quote!((#n) as i32)
            } else {
                let args: Option<Vec<TokenStream>> =
                    m.args.iter().map(|a| generic_body(cx, a, param)).collect();
                let args = args?;
                quote!(#(#args),*)
            };
            Some(quote!(::shaped::layers::Real::#method(#receiver, #args)))
        }
        other => {
            cx.error(
                other.span(),
                format!(
                    "`Lambda`'s function is one expression of its value, built from {ALLOWED}; `{}` is not",
                    compact(other)
                ),
            );
            None
        }
    }
}

impl Builtin for Lambda {
    fn config(&self) -> Vec<(&'static str, ConfigValue)> {
        vec![("function", ConfigValue::str(&self.source))]
    }

    keeps_shape!();

    fn stage_type(&self) -> TokenStream {
        quote!(::shaped::layers::Lambda)
    }

    fn stage_init(&self, _at: &Init<'_>) -> TokenStream {
        let (param, body) = (&self.param, &self.body);
        quote!({
            #[allow(unused_parens, clippy::all)]
            fn __shaped_lambda<__ShapedT: ::shaped::layers::Real>(#param: __ShapedT) -> __ShapedT {
                #body
            }
            ::shaped::layers::Lambda::new(__shaped_lambda::<f32>, __shaped_lambda::<::shaped::layers::Dual>)
        })
    }
}
