//! What a model with errors expands to: the errors, plus a stub with the same name and public
//! methods, so code that uses the model adds no errors of its own (thiserror's `fallback.rs`).

use crate::ast::ModelDef;
use crate::check::snake_case;
use proc_macro2::TokenStream;
use quote::quote;

/// The compile errors and a stub model that type-checks wherever the real one would.
pub fn expand(def: &ModelDef, errors: syn::Error) -> TokenStream {
    let ModelDef { attrs, vis, name, .. } = def;
    let errors = errors.to_compile_error();
    let model_name = snake_case(&name.to_string());
    quote! {
        #errors

        #(#attrs)*
        #vis struct #name {
            __shaped_unusable: (),
        }

        impl #name {
            /// Stub of a model that failed to compile.
            #vis fn new(_seed: u64) -> Self {
                ::core::unreachable!("the model failed to compile")
            }

            /// Stub of a model that failed to compile.
            #vis fn predict<__ShapedX, __ShapedY>(&mut self, _x: __ShapedX) -> ::shaped::Result<__ShapedY> {
                ::core::unreachable!("the model failed to compile")
            }
        }

        impl ::shaped::model::Model for #name {
            type In = ();
            type Out = ();
            const NAME: &'static str = #model_name;

            fn run_masked(
                &mut self,
                _x: &[f32],
                _dims: ::shaped::shape::Dims,
                _batch: usize,
                _mask: ::core::option::Option<&[f32]>,
                _mode: ::shaped::layers::Mode,
            ) -> ::shaped::Result<(&[f32], ::shaped::shape::Dims)>
            {
                ::core::unreachable!("the model failed to compile")
            }

            fn output_mask(&self) -> ::core::option::Option<&[f32]> {
                ::core::option::Option::None
            }

            fn backward(&mut self, _x: &[f32], _batch: usize, _pre: bool, _dx: ::core::option::Option<&mut [f32]>)
                -> ::shaped::Result<()>
            {
                ::core::unreachable!("the model failed to compile")
            }

            fn backward_visiting(
                &mut self,
                _x: &[f32],
                _batch: usize,
                _pre: bool,
                _visit: &mut dyn FnMut(::shaped::layers::ParamMut<'_>),
            ) -> ::shaped::Result<()> {
                ::core::unreachable!("the model failed to compile")
            }

            fn output_and_grad(&mut self) -> (&[f32], &mut [f32]) {
                ::core::unreachable!("the model failed to compile")
            }

            fn output_activation(&self) -> ::core::option::Option<::shaped::layers::Activation> {
                ::core::option::Option::None
            }

            fn layers(&self) -> ::std::vec::Vec<::shaped::model::LayerInfo> {
                ::std::vec::Vec::new()
            }

            fn visit_weights(&self, _visit: &mut dyn FnMut(::shaped::layers::Param<'_>)) {}

            fn visit_weights_mut(&mut self, _visit: &mut dyn FnMut(::shaped::layers::ParamMut<'_>)) {}
        }
    }
}
