//! [`Size`]: a size or a dimension as written in a model: an integer the macro reads, or a const
//! expression (`HIDDEN`, `2 * HIDDEN`, `N_CLASSES`) that only the compiler evaluates. The shapes
//! that depend on an expression are checked by the const tier instead of the macro, with the
//! same messages.

use crate::ast::compact;
use proc_macro2::TokenStream;
use quote::quote;
use syn::Expr;

/// A size: a literal, or a const expression.
#[derive(Clone)]
pub enum Size {
    Lit(usize),
    Expr(Box<Expr>),
}

impl Size {
    /// The value, when the macro can read it.
    pub fn known(&self) -> Option<usize> {
        match self {
            Size::Lit(n) => Some(*n),
            Size::Expr(_) => None,
        }
    }

    /// The size as a `usize` expression in generated code: `64`, `(HIDDEN)`.
    pub fn tokens(&self) -> TokenStream {
        match self {
            Size::Lit(n) => quote!(#n),
            Size::Expr(e) => quote!((#e)),
        }
    }
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Size::Lit(n) => write!(f, "{n}"),
            Size::Expr(e) => f.write_str(&compact(e)),
        }
    }
}

/// Dims as a `&[Option<usize>]` expression: `&[Some(64), None]`, `&[Some((FEATURES))]`.
pub fn dims_tokens(dims: &[Option<Size>]) -> TokenStream {
    let parts = dims.iter().map(|d| match d {
        Some(s) => {
            let t = s.tokens();
            quote!(::core::option::Option::Some(#t))
        }
        None => quote!(::core::option::Option::None),
    });
    quote!(&[#(#parts),*])
}

/// Dims the macro reads in full, if every size is a literal.
pub fn known_dims(dims: &[Option<Size>]) -> Option<Vec<Option<usize>>> {
    dims.iter().map(|d| d.as_ref().map_or(Some(None), |s| s.known().map(Some))).collect()
}
