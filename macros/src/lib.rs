//! The `model!` and `dim!` macros of shaped.
//!
//! The pipeline is three stages, each in its own module: `parse` (tokens → `ast`), `check`
//! (the rules that span layers, every error collected in a `ctxt::Ctxt`, giving a `plan`),
//! `expand` (code). Everything about one built-in layer (its arguments, shape rule, messages
//! and code) lives in its module of `layers`, read through `args`; the shape rules themselves
//! are `shaped_rules`'s, shared with the runtime. On any error, `fallback` emits the errors in
//! place of the model, so that user code using the model adds no further errors.

mod args;
mod ast;
mod check;
mod ctxt;
mod expand;
mod fallback;
mod layers;
mod parse;
mod plan;
mod size;
mod typenum_tokens;

use proc_macro::TokenStream;

/// Declares a model: a struct whose layers and shapes are checked at compile time.
///
/// The grammar, with an example, is on the page of `shaped::model!` (the facade re-exports this
/// macro with its documentation).
#[proc_macro]
pub fn model(input: TokenStream) -> TokenStream {
    let head = match syn::parse::<parse::ModelHead>(input) {
        Ok(head) => head,
        Err(err) => return err.to_compile_error().into(),
    };
    let def = match parse::parse_body(head) {
        Ok(def) => def,
        Err(failed) => {
            let (head, err) = *failed;
            return fallback::expand(&head.attrs, &head.vis, &head.name, err, Default::default()).into();
        }
    };
    match check::check(&def) {
        Ok(plan) => expand::expand(&def, &plan).into(),
        Err(err) => {
            let companions = fallback::Companions {
                input: def.inputs.len() > 1,
                outputs: def.layers.iter().filter(|l| l.output.is_some()).count(),
            };
            fallback::expand(&def.attrs, &def.vis, &def.name, err, companions).into()
        }
    }
}

/// A dimension literal as a typenum type: `dim!(50000)` is the type for 50000, usable for any
/// size (typenum's named aliases stop at 1024).
#[proc_macro]
pub fn dim(input: TokenStream) -> TokenStream {
    let lit = match syn::parse::<syn::LitInt>(input) {
        Ok(lit) => lit,
        Err(err) => return err.to_compile_error().into(),
    };
    match lit.base10_parse::<usize>() {
        Ok(n) => typenum_tokens::uint_tokens(n).into(),
        Err(err) => err.to_compile_error().into(),
    }
}
