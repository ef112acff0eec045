//! Code generation for a model that passed every check: the struct, its constructor, the
//! straight-line forward code, the `Model` and `Layer` impls, and one const check and one
//! diagnostic trait per layer the macro cannot see into.
//!
//! For a body like
//!
//! ```text
//! input: [64],
//! hidden: Dense(128, activation = relu),
//! Dense(10, activation = softmax),
//! ```
//!
//! it emits `struct Digits { hidden: Dense, dense: Dense, __shaped_workspace: Workspace }`,
//! `Digits::new(seed)`, `Digits::predict(&[[f32; 64]]) -> Result<Vec<[f32; 10]>>`, and
//! `impl Model for Digits` whose `run` calls each layer in turn.
//!
//! A model with custom layers is generic over their types, `struct __ShapedNet<L1, ..>`, and
//! `Net` is an alias of it at the user's types: every impl states `L1: Layer<In1>` once as a
//! bound, so a missing impl is reported once, by the per-layer assertion below, with a message
//! in plain words, instead of at every use of the layer's output type.

mod api;
mod custom;
mod types;

use crate::ast::ModelDef;
use crate::layers::{snake_case, Init};
use crate::plan::{Op, Plan, PlannedLayer, ShapeState};
use api::{input_sample, output_sample, predict_method, uncompiled_methods};
use custom::{check_block, custom_helpers, dims_fns, layer_check};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};
use types::{helper_ident, layer_param, types, Types};

/// Generates everything for a model that passed the checks.
pub fn expand(def: &ModelDef, plan: &Plan) -> TokenStream {
    let ModelDef { attrs, vis, name, .. } = def;
    let Types { ins, shape_bounds, generic_input, earlier } = types(def, plan);
    let in_ty = &ins[0];
    let outs = &ins[1..];
    let out_ty = outs.last().expect("at least one layer");
    let model_name = snake_case(&name.to_string());
    let struct_name = name.to_string();
    let n_layers = plan.layers.len();
    let last = n_layers - 1;

    // The custom layers: generic parameters, the user's types, and their helper traits.
    let customs: Vec<(&PlannedLayer, &syn::Path, &syn::Expr)> = plan
        .layers
        .iter()
        .filter_map(|l| match &l.op {
            Op::Custom { ty, expr, .. } => Some((l, *ty, *expr)),
            _ => None,
        })
        .collect();
    let params: Vec<Ident> = customs.iter().map(|(l, ..)| layer_param(l.decl.number)).collect();
    let concrete: Vec<&syn::Path> = customs.iter().map(|(_, ty, _)| *ty).collect();
    let make_bounds = customs.iter().map(|(l, ..)| {
        let param = layer_param(l.decl.number);
        let make = helper_ident(name, "Make", l.decl.number);
        quote!(#param: #make)
    });
    let all_bounds: Vec<TokenStream> = shape_bounds.iter().cloned().chain(make_bounds).collect();
    let generic = !customs.is_empty();
    let struct_ident = if generic { format_ident!("__Shaped{}", name) } else { name.clone() };
    let where_all = if all_bounds.is_empty() { quote!() } else { quote!(where #(#all_bounds),*) };

    let helpers = customs.iter().map(|(l, ty, expr)| {
        let i = l.decl.number - 1;
        custom_helpers(def, l, ty, expr, generic_input[i].then_some(&earlier[i]), &ins[i])
    });
    let dims_fns = dims_fns(def, plan, &ins, &generic_input, &earlier, &params, &concrete, &shape_bounds);
    let checks: Vec<(Ident, TokenStream)> = plan
        .layers
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let check = layer_check(def, l, i, &ins[i], generic_input[i])?;
            // A custom layer's rule needs only the custom layers up to it and their bounds; giving
            // each check just that prefix keeps the trait solving linear in the model's length.
            // Built-in rules read their input's dims from the const `__shaped_dims_*` chain.
            let (before, bounds_before) = &earlier[i];
            let (n_params, n_bounds) = match &l.op {
                Op::Custom { .. } => (before.len() + 1, bounds_before.len() + 1),
                _ => (0, 0),
            };
            let block = check_block(
                def,
                l,
                check,
                &params[..n_params],
                &concrete[..n_params],
                &shape_bounds[..n_bounds],
            );
            Some((format_ident!("__SHAPED_CHECK_{}", l.decl.number), block))
        })
        .collect();
    let check_params: Vec<&Ident> = checks.iter().map(|(p, _)| p).collect();
    let check_blocks = checks.iter().map(|(_, b)| b);
    // The model's generic parameters: one type per custom layer, then one `bool` per checked
    // layer, which only the alias fills in (see `check_block`).
    let impl_params = quote!(#(#params,)* #(const #check_params: bool),*);
    let self_ty = quote!(#struct_ident<#(#params,)* #(#check_params),*>);

    let fields: Vec<Ident> = plan.layers.iter().map(|l| Ident::new(&l.name, l.span())).collect();
    let field_tys = plan.layers.iter().map(stage_type);
    let inits = plan.layers.iter().enumerate().map(|(i, l)| stage_init(def, l, i, &ins[i]));
    let names: Vec<&String> = plan.layers.iter().map(|l| &l.name).collect();
    let indices = 0..n_layers;
    let predict = predict_method(vis, plan);
    let sample_types = match (input_sample(plan), plan.output()) {
        (Some(x), ShapeState::Known(out)) => output_sample(out).map(|y| {
            quote! {
                impl<#impl_params> ::shaped::model::SampleTypes for #self_ty #where_all {
                    type Input = #x;
                    type Output = #y;
                }
            }
        }),
        // After a custom layer the macro cannot see through, the output's plain type comes
        // from the model's `Out` shape, for the user's layer types.
        (Some(x), _) => Some(quote! {
            impl ::shaped::model::SampleTypes for #name {
                type Input = #x;
                type Output = <::shaped::tensor::SampleOf<
                    { ::shaped::tensor::sample_kind(<<#name as ::shaped::model::Model>::Out as ::shaped::shape::Shape>::DIMS) },
                    { ::shaped::tensor::sample_dim(<<#name as ::shaped::model::Model>::Out as ::shaped::shape::Shape>::DIMS, 0) },
                    { ::shaped::tensor::sample_dim(<<#name as ::shaped::model::Model>::Out as ::shaped::shape::Shape>::DIMS, 1) },
                    { ::shaped::tensor::sample_dim(<<#name as ::shaped::model::Model>::Out as ::shaped::shape::Shape>::DIMS, 2) },
                > as ::shaped::tensor::PickSample>::Sample;
            }
        }),
        _ => None,
    };
    let uncompiled = uncompiled_methods(def);
    let input_ids_below = match plan.layers.first().map(|l| &l.op) {
        Some(Op::Builtin(layer)) => layer.ids_below().map(|limit| {
            quote!(const INPUT_IDS_BELOW: ::core::option::Option<usize> = ::core::option::Option::Some(#limit);)
        }),
        _ => None,
    };
    let last_field = &fields[last];
    // Used as a layer, a model hands on the mask of its own output when that output is a
    // sequence (a time axis first), and no mask otherwise.
    let nested_mask_rule = match plan.output() {
        ShapeState::Known(dims) if dims.first() != Some(&None) => quote!(::shaped::layers::MaskRule::Drop),
        _ => quote!(::shaped::layers::MaskRule::Produce),
    };
    let sources: Vec<TokenStream> = (0..n_layers).map(source_tokens).collect();
    let backward_steps = (0..n_layers).rev().map(|i| {
        let field = &fields[i];
        let pre = if i == last { quote!(dy_is_preactivation) } else { quote!(false) };
        let source = source_tokens(i);
        quote!(self.__shaped_workspace.backward(#i, &mut self.#field, [#source], &[x], batch, #pre, &mut dxs)?;)
    });
    let backward_visit_steps = (0..n_layers).rev().map(|i| {
        let field = &fields[i];
        let source = source_tokens(i);
        let name = &names[i];
        let pre = if i == last { quote!(dy_is_preactivation) } else { quote!(false) };
        quote! {
            self.__shaped_workspace.backward(#i, &mut self.#field, [#source], &[x], batch, #pre, &mut [])?;
            ::shaped::layers::visit_prefixed_mut(&mut self.#field, #name, visit);
        }
    });

    let (struct_attrs, alias) = if generic {
        let docs: Vec<&syn::Attribute> = attrs.iter().filter(|a| a.path().is_ident("doc")).collect();
        let others: Vec<&syn::Attribute> = attrs.iter().filter(|a| !a.path().is_ident("doc")).collect();
        (
            quote!(#[doc(hidden)] #(#others)*),
            quote! {
                #(#docs)*
                #vis type #name = #struct_ident<#(#concrete,)* #(#check_blocks),*>;

                // Naming the alias makes rustc evaluate its checks even where the program
                // never uses the model.
                const _: () = {
                    let _ = ::core::marker::PhantomData::<#name>;
                };

                #(#dims_fns)*
            },
        )
    } else {
        (quote!(#(#attrs)*), quote!())
    };
    let compile_first = uncompiled.trait_def;
    let uncompiled_methods = uncompiled.methods;

    quote! {
        #struct_attrs
        #vis struct #struct_ident<#impl_params> {
            #(#fields: #field_tys,)*
            __shaped_workspace: ::shaped::model::Workspace,
        }

        #alias

        #(#helpers)*

        impl<#impl_params> #self_ty #where_all {
            /// Creates the model with Keras's default initialisers (glorot-uniform kernels, zero
            /// biases), drawn from `seed`: the same seed gives the same weights.
            #vis fn new(seed: u64) -> Self {
                #struct_ident {
                    #(#fields: #inits,)*
                    __shaped_workspace: ::shaped::model::Workspace::new(#n_layers, 1),
                }
            }

            #predict

            #uncompiled_methods
        }

        #compile_first

        #sample_types

        const _: () = {

            impl<#impl_params> ::shaped::model::Model for #self_ty #where_all {
                type In = #in_ty;
                type Out = #out_ty;
                const NAME: &'static str = #model_name;
                #input_ids_below

                fn run_masked(
                    &mut self,
                    x: &[f32],
                    dims: ::shaped::shape::Dims,
                    batch: usize,
                    mask: ::core::option::Option<&[f32]>,
                    mode: ::shaped::layers::Mode,
                ) -> ::shaped::Result<(&[f32], ::shaped::shape::Dims)>
                {
                    if !dims.fits(<#in_ty as ::shaped::shape::Shape>::DIMS) {
                        return ::core::result::Result::Err(::shaped::Error::shape(
                            ::std::format!("input of model `{}`", #model_name),
                            ::shaped::shape::Dims::keras_pattern(<#in_ty as ::shaped::shape::Shape>::DIMS),
                            dims.with_batch_none(),
                        ));
                    }
                    ::shaped::model::check_run_input(#model_name, x, dims, batch, mask)?;
                    self.__shaped_workspace.begin(&[::shaped::layers::Input { data: x, dims, mask }])?;
                    #(self.__shaped_workspace.run(#indices, &mut self.#fields, [#sources], &[x], batch, mode)?;)*
                    ::core::result::Result::Ok((self.__shaped_workspace.output(#last), self.__shaped_workspace.dims(#last)))
                }

                fn backward(&mut self, x: &[f32], batch: usize, dy_is_preactivation: bool, dx: ::core::option::Option<&mut [f32]>)
                    -> ::shaped::Result<()>
                {
                    let mut dxs = [dx];
                    self.__shaped_workspace.begin_backward(&[#last]);
                    #(#backward_steps)*
                    ::core::result::Result::Ok(())
                }

                fn backward_visiting(
                    &mut self,
                    x: &[f32],
                    batch: usize,
                    dy_is_preactivation: bool,
                    visit: &mut dyn FnMut(::shaped::layers::ParamMut<'_>),
                ) -> ::shaped::Result<()> {
                    self.__shaped_workspace.begin_backward(&[#last]);
                    #(#backward_visit_steps)*
                    ::core::result::Result::Ok(())
                }

                fn output_mask(&self) -> ::core::option::Option<&[f32]> {
                    self.__shaped_workspace.output_mask(#last)
                }

                fn output_and_grad(&mut self) -> (&[f32], &mut [f32]) {
                    self.__shaped_workspace.output_and_grad(#last)
                }

                fn output_activation(&self) -> ::core::option::Option<::shaped::layers::Activation> {
                    ::shaped::layers::Stage::output_activation(&self.#last_field)
                }

                fn layers(&self) -> ::std::vec::Vec<::shaped::model::LayerInfo> {
                    ::std::vec![#(::shaped::model::LayerInfo {
                        name: ::std::string::String::from(#names),
                        kind: ::shaped::layers::Stage::kind(&self.#fields),
                        output: <#outs as ::shaped::shape::Shape>::DIMS.to_vec(),
                        params: ::shaped::layers::Stage::param_count(&self.#fields),
                    }),*]
                }

                fn visit_weights(&self, visit: &mut dyn FnMut(::shaped::layers::Param<'_>)) {
                    #(::shaped::layers::visit_prefixed(&self.#fields, #names, visit);)*
                }

                fn visit_weights_mut(&mut self, visit: &mut dyn FnMut(::shaped::layers::ParamMut<'_>)) {
                    #(::shaped::layers::visit_prefixed_mut(&mut self.#fields, #names, visit);)*
                }
            }

            /// A model is a layer: it takes exactly its `input:` shape, checked at compile time.
            impl<__ShapedIn: ::shaped::shape::Shape, #impl_params> ::shaped::layers::Layer<__ShapedIn> for #self_ty #where_all {
                type Out = #out_ty;
                const CHECK: ::shaped::shape::Check = ::shaped::shape::Check::exact(
                    <__ShapedIn as ::shaped::shape::Shape>::DIMS,
                    <#in_ty as ::shaped::shape::Shape>::DIMS,
                );

                fn output_dims(&self, input: ::shaped::shape::Dims) -> ::shaped::Result<::shaped::shape::Dims> {
                    let d = input;
                    #(let d = ::shaped::layers::Stage::output_dims(&self.#fields, &[d])?;)*
                    ::core::result::Result::Ok(d)
                }

                fn forward(
                    &mut self,
                    input: ::shaped::tensor::TensorRef<'_, __ShapedIn>,
                    mut output: ::shaped::tensor::TensorMut<'_, Self::Out>,
                    mode: ::shaped::layers::Mode,
                ) -> ::shaped::Result<()> {
                    let (y, _) = ::shaped::model::Model::run_masked(self, input.data(), input.dims(), input.batch(), input.mask(), mode)?;
                    output.data_mut().copy_from_slice(y);
                    ::core::result::Result::Ok(())
                }

                fn backward(
                    &mut self,
                    input: ::shaped::tensor::TensorRef<'_, __ShapedIn>,
                    _output: ::shaped::tensor::TensorRef<'_, Self::Out>,
                    grad_output: ::shaped::tensor::TensorRef<'_, Self::Out>,
                    grad_input: ::core::option::Option<::shaped::tensor::TensorMut<'_, __ShapedIn>>,
                ) -> ::shaped::Result<()> {
                    let (_, dy) = ::shaped::model::Model::output_and_grad(self);
                    dy.copy_from_slice(grad_output.data());
                    ::shaped::model::Model::backward(self, input.data(), input.batch(), false, grad_input.map(|g| g.into_data()))
                }

                fn mask_rule(&self) -> ::shaped::layers::MaskRule {
                    #nested_mask_rule
                }

                fn produce_mask(
                    &self,
                    _input: ::shaped::tensor::TensorRef<'_, __ShapedIn>,
                    out_mask: &mut [f32],
                ) -> ::shaped::Result<()> {
                    match ::shaped::model::Model::output_mask(self) {
                        ::core::option::Option::Some(mask) if mask.len() == out_mask.len() => out_mask.copy_from_slice(mask),
                        _ => out_mask.fill(1.0),
                    }
                    ::core::result::Result::Ok(())
                }

                fn kind(&self) -> ::std::string::String {
                    ::std::string::String::from(#struct_name)
                }

                fn visit_params(&self, visit: &mut dyn FnMut(::shaped::layers::Param<'_>)) {
                    ::shaped::model::Model::visit_weights(self, visit)
                }

                fn visit_params_mut(&mut self, visit: &mut dyn FnMut(::shaped::layers::ParamMut<'_>)) {
                    ::shaped::model::Model::visit_weights_mut(self, visit)
                }
            }
        };
    }
}

/// The type of the model's field holding a layer.
fn stage_type(layer: &PlannedLayer) -> TokenStream {
    match &layer.op {
        Op::Builtin(builtin) => builtin.stage_type(),
        Op::Custom { .. } => {
            let param = layer_param(layer.decl.number);
            quote!(::shaped::layers::Opaque<#param>)
        }
    }
}

/// The expression that builds layer `index` inside `new(seed)`, given its input type `in_ty`.
fn stage_init(def: &ModelDef, layer: &PlannedLayer, index: usize, in_ty: &TokenStream) -> TokenStream {
    match &layer.op {
        Op::Builtin(builtin) => {
            let input = match &layer.input {
                ShapeState::Known(dims) => Some(dims.as_slice()),
                _ => None,
            };
            builtin.stage_init(&Init { index, input, in_ty })
        }
        Op::Custom { .. } => {
            let param = layer_param(layer.decl.number);
            let make = helper_ident(&def.name, "Make", layer.decl.number);
            quote!(::shaped::layers::Opaque::new::<#in_ty>(<#param as #make>::__shaped_make(seed)))
        }
    }
}

/// What node `i` of a sequential model reads: the model's input for the first, the node
/// before it otherwise.
fn source_tokens(i: usize) -> TokenStream {
    match i.checked_sub(1) {
        None => quote!(::shaped::model::Source::Input(0)),
        Some(before) => quote!(::shaped::model::Source::Node(#before)),
    }
}
