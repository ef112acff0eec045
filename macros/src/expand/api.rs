//! The model's typed entry points beyond its layers: `predict` on plain arrays, the plain types
//! of one input and one output sample, and the methods that explain `fit` on a model that was
//! not compiled.

use crate::ast::{DType, ModelDef};
use crate::expand::types::sample_array;
use crate::layers::fmt_dims;
use crate::plan::{Plan, ShapeState};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// What [`uncompiled_methods`] generates.
pub struct Uncompiled {
    /// The never-implemented trait whose message explains the mistake.
    pub trait_def: TokenStream,
    /// `fit`, `evaluate` and `train_on_batch` of the uncompiled model, bound by that trait.
    pub methods: TokenStream,
}

/// The Keras habit `model.compile(..)` as a statement, then `model.fit(..)`: `compile` returns
/// the trainable model, so the model itself has no `fit`. These methods exist only to say so
/// in rustc's error, in the model's own name; their bound is never met, so no program that
/// compiles can call them.
pub fn uncompiled_methods(def: &ModelDef) -> Uncompiled {
    let ModelDef { vis, name, .. } = def;
    let tr = format_ident!("__Shaped{}CompileFirst", name);
    let message = format!("`{name}` must be compiled before it can train: `fit`, `evaluate` and `train_on_batch` belong to the model that `compile` returns");
    let label = "this model is not compiled".to_string();
    let note = format!(
        "`compile` takes the model and returns it ready to train; keep what it returns: `let mut model = {name}::new(seed).compile(optimizer, loss, metrics)?;`, then `model.fit(..)`"
    );
    let not_compiled = quote! {
        ::core::result::Result::Err(::shaped::Error::InvalidArgument {
            name: "model",
            detail: ::std::string::String::from("compile the model first"),
        })
    };
    Uncompiled {
        trait_def: quote! {
            #[doc(hidden)]
            #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
            #vis trait #tr {}

            // One impl, for a type no value has, so rustc does not add "this trait has no
            // implementations, consider adding one" to the message.
            #[diagnostic::do_not_recommend]
            impl #tr for ::shaped::model::Uninhabited {}
        },
        methods: quote! {
            #[doc(hidden)]
            #vis fn fit<__ShapedX: #tr, __ShapedY>(
                &mut self,
                _x: &[__ShapedX],
                _y: &[__ShapedY],
                _options: ::shaped::train::FitOptions<'_, __ShapedX, __ShapedY>,
            ) -> ::shaped::Result<::shaped::train::History> {
                #not_compiled
            }

            #[doc(hidden)]
            #vis fn evaluate<__ShapedX: #tr, __ShapedY>(&mut self, _x: &[__ShapedX], _y: &[__ShapedY])
                -> ::shaped::Result<::shaped::train::Logs>
            {
                #not_compiled
            }

            #[doc(hidden)]
            #vis fn train_on_batch<__ShapedX: #tr, __ShapedY>(&mut self, _x: &[__ShapedX], _y: &[__ShapedY])
                -> ::shaped::Result<f32>
            {
                #not_compiled
            }
        },
    }
}

/// `predict` on plain arrays, for models whose input is fully static (rank 1 to 3). When the
/// macro knows the output too, the return type is its array (`Vec<[f32; 10]>`); after a custom
/// layer it cannot see through, the caller names the array and a wrong size is an `Err`.
pub fn predict_method(vis: &syn::Visibility, plan: &Plan) -> Option<TokenStream> {
    let x = input_sample(plan)?;
    let doc_in = match plan.dtype {
        DType::U32 => format!("u32{}", fmt_dims(&plan.input)),
        DType::F32 => fmt_dims(&plan.input),
    };
    let known_out = match plan.output() {
        ShapeState::Known(out) => output_sample(out).map(|y| (y, fmt_dims(out))),
        _ => None,
    };
    Some(match known_out {
        Some((y, doc_out)) => quote! {
            /// Predicts one output per sample, in batches of 32 (Keras's default); sequences are
            /// padded per batch and masked, and a sequence output keeps each sample's own steps.
            ///
            #[doc = concat!("Input: one ", #doc_in, " sample per element; output: one ", #doc_out, " prediction per sample.")]
            #vis fn predict(&mut self, x: &[#x]) -> ::shaped::Result<::std::vec::Vec<#y>> {
                ::shaped::model::predict_samples(self, x, ::shaped::model::DEFAULT_BATCH_SIZE)
            }
        },
        None => quote! {
            /// Predicts one output per sample, in batches of 32 (Keras's default).
            ///
            #[doc = concat!("Input: one ", #doc_in, " sample per element. The output type `Y` must hold the")]
            /// model's output size; a different size is an `Err` naming both.
            #vis fn predict<__ShapedY: ::shaped::tensor::OutputSample>(&mut self, x: &[#x]) -> ::shaped::Result<::std::vec::Vec<__ShapedY>> {
                ::shaped::model::predict_samples(self, x, ::shaped::model::DEFAULT_BATCH_SIZE)
            }
        },
    })
}

/// The Rust type of one input sample: a fixed array for a static input (rank 1 to 3),
/// `Vec<[f32; F]>` for `[None, F]`, `Vec<u32>` for token ids `u32[None]`.
pub fn input_sample(plan: &Plan) -> Option<TokenStream> {
    match (plan.dtype, plan.input.as_slice()) {
        (DType::U32, [None]) => Some(quote!(::std::vec::Vec<u32>)),
        (DType::U32, _) => None,
        (DType::F32, [None, Some(f)]) => Some(quote!(::std::vec::Vec<[f32; #f]>)),
        (DType::F32, dims) => sample_array(dims),
    }
}

/// The Rust type of one output sample: a fixed array, or `Vec<[f32; C]>` for a sequence
/// output `[None, C]`.
pub fn output_sample(dims: &[Option<usize>]) -> Option<TokenStream> {
    match dims {
        [None, Some(c)] => Some(quote!(::std::vec::Vec<[f32; #c]>)),
        _ => sample_array(dims),
    }
}
