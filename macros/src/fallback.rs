//! What a model with errors expands to: the errors, and in place of the model a type that
//! rustc knows is erroneous, so that code using the model (`new`, `compile`, `fit`,
//! `save_weights`, naming it in a signature, nesting it in another model) adds no errors of its
//! own (thiserror's `fallback.rs`, taken one step further).
//!
//! ```text
//! #[doc(hidden)] pub struct __ShapedDigits<const __SHAPED_INVALID: bool>;
//! pub type Digits = __ShapedDigits<{ ::core::compile_error!{"..."} true }>;
//! ```
//!
//! The errors sit in the alias's const argument: rustc reports each at its own span (the
//! offending layer) and then treats the argument, and so the type `Digits`, as an error, which
//! silences every later use of it. A stub with real methods could not: it would have to guess
//! the types of the data handed to `fit`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Attribute, Ident, Visibility};

/// The compile errors, and an erroneous type under the model's name.
pub fn expand(attrs: &[Attribute], vis: &Visibility, name: &Ident, errors: syn::Error) -> TokenStream {
    let errors = errors.to_compile_error();
    let stub = format_ident!("__Shaped{}", name);
    // Docs and conditional compilation carry over to the alias; derives and other attributes
    // belong to a struct that no longer exists.
    let kept: Vec<&Attribute> =
        attrs.iter().filter(|a| a.path().is_ident("doc") || a.path().is_ident("cfg")).collect();
    let cfgs = kept.iter().filter(|a| a.path().is_ident("cfg"));
    quote! {
        #[doc(hidden)]
        #(#cfgs)*
        #vis struct #stub<const __SHAPED_INVALID: bool>;

        #(#kept)*
        #vis type #name = #stub<{ #errors true }>;
    }
}
