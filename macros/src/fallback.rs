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

/// The types a correct model of this shape would come with, which code using the model names:
/// `NetInput` for several inputs; `NetOutput`, `NetLabels<..>` and `NetLosses<..>` for several
/// outputs. In place of each, the fallback gives an alias of the erroneous model type, so that
/// naming one (a struct literal, a type annotation) adds no error either.
#[derive(Clone, Copy, Default)]
pub struct Companions {
    /// Whether the model has several inputs.
    pub input: bool,
    /// The number of outputs when there are several, else 0.
    pub outputs: usize,
}

/// The compile errors, and an erroneous type under the model's name (and its companions').
pub fn expand(
    attrs: &[Attribute],
    vis: &Visibility,
    name: &Ident,
    errors: syn::Error,
    companions: Companions,
) -> TokenStream {
    let errors = errors.to_compile_error();
    let stub = format_ident!("__Shaped{}", name);
    // Docs and conditional compilation carry over to the alias; derives and other attributes
    // belong to a struct that no longer exists.
    let kept: Vec<&Attribute> =
        attrs.iter().filter(|a| a.path().is_ident("doc") || a.path().is_ident("cfg")).collect();
    let cfgs = kept.iter().filter(|a| a.path().is_ident("cfg"));
    let input = companions.input.then(|| {
        let input = format_ident!("{}Input", name);
        quote!(#[doc(hidden)] #vis type #input = #name;)
    });
    let outputs = (companions.outputs > 1).then(|| {
        let with = format_ident!("__Shaped{}With", name);
        let (output, labels, losses) =
            (format_ident!("{}Output", name), format_ident!("{}Labels", name), format_ident!("{}Losses", name));
        let params: Vec<Ident> = (0..companions.outputs).map(|j| format_ident!("__ShapedT{}", j)).collect();
        quote! {
            #[doc(hidden)]
            #vis struct #with<__ShapedModel, #(#params = ()),*>(::core::marker::PhantomData<(__ShapedModel, #(#params),*)>);
            #[doc(hidden)]
            #vis type #output = #name;
            #[doc(hidden)]
            #vis type #labels<#(#params = ()),*> = #with<#name, #(#params),*>;
            #[doc(hidden)]
            #vis type #losses<#(#params = ()),*> = #with<#name, #(#params),*>;
        }
    });
    quote! {
        #[doc(hidden)]
        #(#cfgs)*
        #vis struct #stub<const __SHAPED_INVALID: bool>;

        #(#kept)*
        #vis type #name = #stub<{ #errors true }>;

        #input
        #outputs
    }
}
