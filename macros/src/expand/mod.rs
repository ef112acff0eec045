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
mod config;
mod custom;
mod types;

use crate::ast::ModelDef;
use crate::layers::{snake_case, Init};
use crate::plan::{Op, Plan, PlannedLayer, ShapeState, Src};
use api::{adapt_method, io, predict_method, uncompiled_methods};
use custom::{check_block, custom_helpers, dims_fns, layer_check};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};
use types::{helper_ident, layer_param, types};

/// Generates everything for a model that passed the checks.
pub fn expand(def: &ModelDef, plan: &Plan) -> TokenStream {
    let ModelDef { attrs, vis, name, .. } = def;
    let t = types(def, plan);
    let model_name = snake_case(&name.to_string());
    let struct_name = name.to_string();
    let n_nodes = plan.layers.len();
    let n_inputs = plan.inputs.len();

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
    let all_bounds: Vec<TokenStream> = t.shape_bounds.iter().cloned().chain(make_bounds).collect();
    let where_all = if all_bounds.is_empty() { quote!() } else { quote!(where #(#all_bounds),*) };

    let helpers = customs.iter().map(|(l, ty, expr)| {
        let i = l.decl.number - 1;
        custom_helpers(def, l, ty, expr, t.generic_input[i].then_some(&t.earlier[i]), &t.ins[i])
    });
    let dims_fns = dims_fns(def, plan, &t, &params, &concrete);
    let checks: Vec<(Ident, TokenStream)> = plan
        .layers
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let check = layer_check(def, plan, l, &t.ins[i], t.generic_input[i])?;
            // A custom layer's rule needs only the custom layers up to it and their bounds; giving
            // each check just that prefix keeps the trait solving linear in the model's length.
            // Built-in rules read their input's dims from the const `__shaped_out_*` fns.
            let (before, bounds_before) = &t.earlier[i];
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
                &t.shape_bounds[..n_bounds],
            );
            Some((format_ident!("__SHAPED_CHECK_{}", l.decl.number), block))
        })
        .collect();
    // A model with custom layers or const checks is a generic struct under an alias that fills
    // in the user's types and the checks.
    let generic = !customs.is_empty() || !checks.is_empty();
    let struct_ident = if generic { format_ident!("__Shaped{}", name) } else { name.clone() };
    let check_params: Vec<&Ident> = checks.iter().map(|(p, _)| p).collect();
    let check_blocks = checks.iter().map(|(_, b)| b);
    // The model's generic parameters: one type per custom layer, then one `bool` per checked
    // layer, which only the alias fills in (see `check_block`).
    let impl_params = quote!(#(#params,)* #(const #check_params: bool),*);
    let self_ty = quote!(#struct_ident<#(#params,)* #(#check_params),*>);

    // One field per layer; a node applying another node's layer runs that node's field.
    let fields: Vec<Ident> = plan.layers.iter().map(|l| Ident::new(&l.name, l.span())).collect();
    let owners: Vec<usize> = (0..n_nodes).map(|i| plan.owner(i)).collect();
    let owned: Vec<usize> = (0..n_nodes).filter(|&i| owners[i] == i).collect();
    let owned_fields: Vec<&Ident> = owned.iter().map(|&i| &fields[i]).collect();
    let owned_names: Vec<&String> = owned.iter().map(|&i| &plan.layers[i].name).collect();
    let field_tys = owned.iter().map(|&i| stage_type(&plan.layers[i]));
    let inits = owned.iter().map(|&i| stage_init(def, &plan.layers[i], i, &t.ins[i]));
    // Layers applied more than once keep the gradients of their later uses while the earlier
    // ones run backward.
    let applications: Vec<Vec<usize>> =
        (0..n_nodes).map(|o| (0..n_nodes).filter(|&i| owners[i] == o).collect()).collect();
    let shared: Vec<usize> = owned.iter().copied().filter(|&o| applications[o].len() > 1).collect();
    let shared_fields: Vec<Ident> =
        shared.iter().map(|&o| format_ident!("__shaped_shared_{}", fields[o])).collect();

    let io = io(def, plan, &t);
    let predict = predict_method(vis, plan, &io);
    let adapt = adapt_method(vis, &io);
    let compile_with_losses = &io.compile;
    let io_items = &io.items;
    let single_io = plan.single_io();
    let sample_types = match (&io.input, &io.output) {
        (Some(x), Some(y)) => Some(quote! {
            impl<#impl_params> ::shaped::model::SampleTypes for #self_ty #where_all {
                type Input = #x;
                type Output = #y;
            }
        }),
        // After a custom layer the macro cannot see through, the output's plain type comes
        // from the model's `Out` shape, for the user's layer types.
        (Some(x), None) if single_io => Some(quote! {
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

    // The declared inputs and outputs.
    let input_specs = plan.inputs.iter().enumerate().map(|(k, input)| {
        let name = &input.name;
        let dims = &t.inputs[k];
        let dtype = match input.dtype {
            crate::ast::DType::F32 | crate::ast::DType::OptionalF32 => quote!(F32),
            crate::ast::DType::U32 => quote!(U32),
            crate::ast::DType::Text | crate::ast::DType::OptionalText => quote!(Text),
        };
        let dtype = quote!(::shaped::tensor::InputDType::#dtype);
        let ids_below = plan
            .layers
            .iter()
            .find_map(|l| match (&l.op, l.sources.first()) {
                (Op::Builtin(b), Some(Src::Input(j))) if *j == k => b.ids_below(),
                _ => None,
            })
            .map_or(quote!(::core::option::Option::None), |n| {
                let n = n.tokens();
                quote!(::core::option::Option::Some(#n))
            });
        quote! {
            ::shaped::model::InputSpec {
                name: #name,
                dims: <#dims as ::shaped::shape::Shape>::DIMS,
                dtype: #dtype,
                ids_below: #ids_below,
            }
        }
    });
    let output_nodes: Vec<usize> = plan.outputs.clone();
    let output_specs = output_nodes.iter().map(|&o| {
        let name = &plan.layers[o].name;
        let dims = &t.outs[o];
        // A sequence output has the steps of the input its time axis comes from: the input
        // reached by following first sources back.
        let steps_from = match steps_input(plan, o) {
            Some(k) => quote!(::core::option::Option::Some(#k)),
            None => quote!(::core::option::Option::None),
        };
        quote! {
            ::shaped::model::OutputSpec {
                name: #name,
                dims: <#dims as ::shaped::shape::Shape>::DIMS,
                steps_from: #steps_from,
            }
        }
    });
    let js: Vec<usize> = (0..output_nodes.len()).collect();
    let output_fields: Vec<&Ident> = output_nodes.iter().map(|&o| &fields[owners[o]]).collect();
    // An output that other layers also read gets the sum of the loss's gradient and theirs,
    // which must both be gradients of the output itself: its loss does not fuse with the
    // layer's activation.
    let fusable: Vec<bool> = output_nodes
        .iter()
        .map(|&o| !plan.layers.iter().any(|l| l.sources.contains(&Src::Node(o))))
        .collect();
    let activation_arms = js.iter().map(|&j| {
        let field = output_fields[j];
        if fusable[j] {
            quote!(#j => ::shaped::layers::Stage::output_activation(&self.#field),)
        } else {
            quote!(#j => ::core::option::Option::None,)
        }
    });

    let sources: Vec<TokenStream> = plan.layers.iter().map(|l| source_tokens(&l.sources)).collect();
    let run_steps = (0..n_nodes).map(|i| {
        let field = &fields[owners[i]];
        let src = &sources[i];
        quote!(self.__shaped_workspace.run(#i, &mut self.#field, #src, inputs, batch, mode)?;)
    });
    // Adapting node `target`: the nodes before it run on the batch, then it takes its input in.
    let adapt_runs = (0..n_nodes).map(|i| {
        let field = &fields[owners[i]];
        let src = &sources[i];
        quote!(if #i < target { self.__shaped_workspace.run(#i, &mut self.#field, #src, inputs, batch, ::shaped::layers::Mode::Inference)?; })
    });
    let adapt_arms = (0..n_nodes).filter(|&i| owners[i] == i).map(|i| {
        let field = &fields[i];
        let src = &sources[i];
        quote!(#i => self.__shaped_workspace.adapt(&mut self.#field, #src, inputs, batch, phase),)
    });
    let dims_steps = (0..n_nodes).map(|i| {
        let field = &fields[owners[i]];
        let src = &sources[i];
        let name = &plan.layers[i].name;
        quote!(dims[#i] = ::shaped::model::node_dims(&self.#field, #name, #src, inputs, &dims)?;)
    });
    // Backward, last node first. A layer applied several times runs backward once per use,
    // each time just after a forward pass of that use (it keeps what its backward needs from
    // its last forward); the weight gradients of the uses add up.
    let backward_steps = |visiting: bool| -> Vec<TokenStream> {
        (0..n_nodes)
            .rev()
            .map(|i| {
                let owner = owners[i];
                let field = &fields[owner];
                let src = &sources[i];
                let pre = match output_nodes.iter().position(|&o| o == i) {
                    Some(j) => quote!(preactivation.get(#j).copied().unwrap_or(false)),
                    None => quote!(false),
                };
                let uses = &applications[owner];
                let last_use = uses.last() == Some(&i);
                let rerun = if uses.len() > 1 && !last_use {
                    quote!(self.__shaped_workspace.run(#i, &mut self.#field, #src, inputs, batch, ::shaped::layers::Mode::Training)?;)
                } else {
                    quote!()
                };
                let grads = if visiting { quote!(&mut []) } else { quote!(grad_inputs) };
                let backward = quote!(self.__shaped_workspace.backward(#i, &mut self.#field, #src, inputs, batch, #pre, #grads)?;);
                let after = if uses.len() > 1 {
                    let acc = format_ident!("__shaped_shared_{}", fields[owner]);
                    if i == owner {
                        quote!(self.#acc.add_into(&mut self.#field);)
                    } else {
                        quote!(self.#acc.stash(&self.#field);)
                    }
                } else {
                    quote!()
                };
                let visit = if visiting && i == owner {
                    let lname = &plan.layers[owner].name;
                    quote!(::shaped::layers::visit_prefixed_mut(&mut self.#field, #lname, visit);)
                } else {
                    quote!()
                };
                quote! { #rerun #backward #after #visit }
            })
            .collect()
    };
    let backward_plain = backward_steps(false);
    let backward_visiting = backward_steps(true);

    // The summary: each layer once, with what each of its uses reads (Keras's "Connected to"),
    // a later use of a layer named `layer[1][0]`.
    let use_index = |i: usize| applications[owners[i]].iter().position(|&u| u == i).unwrap_or(0);
    let connected: Vec<Vec<String>> = owned
        .iter()
        .map(|&o| {
            if !plan.graph {
                return Vec::new();
            }
            applications[o]
                .iter()
                .flat_map(|&u| plan.layers[u].sources.iter())
                .map(|src| match *src {
                    Src::Input(k) => format!("{}[0][0]", plan.inputs[k].name),
                    Src::Node(j) => format!("{}[{}][0]", plan.layers[owners[j]].name, use_index(j)),
                })
                .collect()
        })
        .collect();
    let owned_outs: Vec<&TokenStream> = owned.iter().map(|&i| &t.outs[i]).collect();

    let model_impl = single_io.then(|| {
        let in_ty = &t.inputs[0];
        let out_ty = &t.outs[output_nodes[0]];
        quote! {
            impl<#impl_params> ::shaped::model::Model for #self_ty #where_all {
                type In = #in_ty;
                type Out = #out_ty;
            }
        }
    });
    let layer_impl = single_io.then(|| {
        let in_ty = &t.inputs[0];
        let out_node = output_nodes[0];
        let out_ty = &t.outs[out_node];
        // Used as a layer, a model hands on the mask of its own output when that output is a
        // sequence (a time axis first), and no mask otherwise.
        let nested_mask_rule = match &plan.layers[out_node].output {
            ShapeState::Known(dims) if dims.first() != Some(&None) => quote!(::shaped::layers::MaskRule::Drop),
            _ => quote!(::shaped::layers::MaskRule::Produce),
        };
        let dim_vars: Vec<Ident> = (0..n_nodes).map(|i| format_ident!("__shaped_d{}", i)).collect();
        let dims_steps = (0..n_nodes).map(|i| {
            let field = &fields[owners[i]];
            let var = &dim_vars[i];
            let ins = plan.layers[i].sources.iter().map(|src| match *src {
                Src::Input(_) => quote!(input),
                Src::Node(j) => {
                    let v = &dim_vars[j];
                    quote!(#v)
                }
            });
            quote!(let #var = ::shaped::layers::Stage::output_dims(&self.#field, &[#(#ins),*])?;)
        });
        let out_var = &dim_vars[out_node];
        quote! {
            /// A model is a layer: it takes exactly its `input:` shape, checked at compile time.
            impl<__ShapedIn: ::shaped::shape::Shape, #impl_params> ::shaped::layers::Layer<__ShapedIn> for #self_ty #where_all {
                type Out = #out_ty;
                const CHECK: ::shaped::shape::Check = ::shaped::shape::Check::exact(
                    <__ShapedIn as ::shaped::shape::Shape>::DIMS,
                    <#in_ty as ::shaped::shape::Shape>::DIMS,
                );

                #[allow(clippy::let_and_return)]
                fn output_dims(&self, input: ::shaped::shape::Dims) -> ::shaped::Result<::shaped::shape::Dims> {
                    #(#dims_steps)*
                    ::core::result::Result::Ok(#out_var)
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
                    ::shaped::model::Model::backward(
                        self,
                        input.data(),
                        input.dims(),
                        input.batch(),
                        input.mask(),
                        false,
                        grad_input.map(|g| g.into_data()),
                    )
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
                    ::shaped::model::Network::visit_weights(self, visit)
                }

                fn visit_params_mut(&mut self, visit: &mut dyn FnMut(::shaped::layers::ParamMut<'_>)) {
                    ::shaped::model::Network::visit_weights_mut(self, visit)
                }

                /// A nested model's configuration is its own, nested.
                fn config(&self) -> ::core::option::Option<::std::string::String> {
                    ::core::option::Option::Some(::shaped::model::config_json(self).to_string())
                }

                fn load_config(&mut self, config: &str) -> ::shaped::Result<()> {
                    ::shaped::model::restore_text(self, ::core::option::Option::Some(config), ::core::option::Option::None)
                }

                fn state(&self) -> ::core::option::Option<::std::string::String> {
                    ::shaped::model::state_json(self).map(|state| state.to_string())
                }

                fn load_state(&mut self, state: &str) -> ::shaped::Result<()> {
                    ::shaped::model::restore_text(self, ::core::option::Option::None, ::core::option::Option::Some(state))
                }
            }
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
            },
        )
    } else {
        (quote!(#(#attrs)*), quote!())
    };
    let compile_first = uncompiled.trait_def;
    let uncompiled_methods = uncompiled.methods;
    let output_node_consts = &output_nodes;
    let nodes = config::nodes(plan);

    quote! {
        #struct_attrs
        #vis struct #struct_ident<#impl_params> {
            #(#owned_fields: #field_tys,)*
            #(#shared_fields: ::shaped::model::SharedGrads,)*
            __shaped_workspace: ::shaped::model::Workspace,
        }

        #alias

        #(#dims_fns)*

        #(#helpers)*

        #io_items

        impl<#impl_params> #self_ty #where_all {
            /// Creates the model with Keras's default initialisers (glorot-uniform kernels, zero
            /// biases), drawn from `seed`: the same seed gives the same weights.
            #vis fn new(seed: u64) -> Self {
                #struct_ident {
                    #(#owned_fields: #inits,)*
                    #(#shared_fields: ::core::default::Default::default(),)*
                    __shaped_workspace: ::shaped::model::Workspace::new(#n_nodes, #n_inputs),
                }
            }

            #predict
            #adapt

            #compile_with_losses

            #uncompiled_methods
        }

        #compile_first

        #sample_types

        const _: () = {
            impl<#impl_params> ::shaped::model::Network for #self_ty #where_all {
                const NAME: &'static str = #model_name;
                const INPUTS: &'static [::shaped::model::InputSpec] = &[#(#input_specs),*];
                const OUTPUTS: &'static [::shaped::model::OutputSpec] = &[#(#output_specs),*];
                const NODES: &'static [::shaped::model::NodeSpec] = #nodes;

                fn run_inputs(
                    &mut self,
                    inputs: &[::shaped::layers::Input<'_>],
                    batch: usize,
                    mode: ::shaped::layers::Mode,
                ) -> ::shaped::Result<()> {
                    ::shaped::model::check_run_inputs(#model_name, <Self as ::shaped::model::Network>::INPUTS, inputs, batch)?;
                    self.__shaped_workspace.begin(inputs)?;
                    #(#run_steps)*
                    ::core::result::Result::Ok(())
                }

                fn adapt_node(
                    &mut self,
                    target: usize,
                    inputs: &[::shaped::layers::Input<'_>],
                    batch: usize,
                    phase: ::shaped::layers::AdaptPhase,
                ) -> ::shaped::Result<bool> {
                    if phase == ::shaped::layers::AdaptPhase::Update {
                        ::shaped::model::check_run_inputs(#model_name, <Self as ::shaped::model::Network>::INPUTS, inputs, batch)?;
                        self.__shaped_workspace.begin(inputs)?;
                        #(#adapt_runs)*
                    }
                    match target {
                        #(#adapt_arms)*
                        _ => ::core::result::Result::Ok(false),
                    }
                }

                fn check_dims(&self, inputs: &[::shaped::shape::Dims]) -> ::shaped::Result<()> {
                    let mut dims = [::shaped::shape::Dims::default(); #n_nodes];
                    #(#dims_steps)*
                    let _ = &mut dims;
                    ::core::result::Result::Ok(())
                }

                fn output_at(&self, j: usize) -> (&[f32], ::shaped::shape::Dims) {
                    let node = [#(#output_node_consts),*][j];
                    (self.__shaped_workspace.output(node), self.__shaped_workspace.dims(node))
                }

                fn output_mask_at(&self, j: usize) -> ::core::option::Option<&[f32]> {
                    self.__shaped_workspace.output_mask([#(#output_node_consts),*][j])
                }

                fn output_and_grad_at(&mut self, j: usize) -> (&[f32], &mut [f32]) {
                    self.__shaped_workspace.output_and_grad([#(#output_node_consts),*][j])
                }

                fn output_activation_at(&self, j: usize) -> ::core::option::Option<::shaped::layers::Activation> {
                    match j {
                        #(#activation_arms)*
                        _ => ::core::option::Option::None,
                    }
                }

                fn backward_inputs(
                    &mut self,
                    inputs: &[::shaped::layers::Input<'_>],
                    batch: usize,
                    preactivation: &[bool],
                    grad_inputs: &mut [::core::option::Option<&mut [f32]>],
                ) -> ::shaped::Result<()> {
                    self.__shaped_workspace.begin_backward(&[#(#output_node_consts),*]);
                    #(#backward_plain)*
                    ::core::result::Result::Ok(())
                }

                fn backward_visiting_inputs(
                    &mut self,
                    inputs: &[::shaped::layers::Input<'_>],
                    batch: usize,
                    preactivation: &[bool],
                    visit: &mut dyn FnMut(::shaped::layers::ParamMut<'_>),
                ) -> ::shaped::Result<()> {
                    self.__shaped_workspace.begin_backward(&[#(#output_node_consts),*]);
                    #(#backward_visiting)*
                    ::core::result::Result::Ok(())
                }

                fn layers(&self) -> ::std::vec::Vec<::shaped::model::LayerInfo> {
                    ::std::vec![#(::shaped::model::LayerInfo {
                        name: ::std::string::String::from(#owned_names),
                        kind: ::shaped::layers::Stage::kind(&self.#owned_fields),
                        output: <#owned_outs as ::shaped::shape::Shape>::DIMS.to_vec(),
                        params: ::shaped::layers::Stage::param_count(&self.#owned_fields),
                        non_trainable: ::shaped::layers::Stage::non_trainable_count(&self.#owned_fields),
                        inputs: ::std::vec![#(::std::string::String::from(#connected)),*],
                    }),*]
                }

                fn visit_weights(&self, visit: &mut dyn FnMut(::shaped::layers::Param<'_>)) {
                    #(::shaped::layers::visit_prefixed(&self.#owned_fields, #owned_names, visit);)*
                }

                fn visit_weights_mut(&mut self, visit: &mut dyn FnMut(::shaped::layers::ParamMut<'_>)) {
                    #(::shaped::layers::visit_prefixed_mut(&mut self.#owned_fields, #owned_names, visit);)*
                }

                fn visit_stages(&self, visit: &mut dyn FnMut(&str, &dyn ::shaped::layers::Stage)) {
                    #(visit(#owned_names, &self.#owned_fields);)*
                }

                fn visit_stages_mut(&mut self, visit: &mut dyn FnMut(&str, &mut dyn ::shaped::layers::Stage)) {
                    #(visit(#owned_names, &mut self.#owned_fields);)*
                }
            }

            #model_impl

            #layer_impl
        };
    }
}

/// The type of the model's field holding a layer.
fn stage_type(layer: &PlannedLayer) -> TokenStream {
    match &layer.op {
        Op::Builtin(builtin) => builtin.stage_type(),
        Op::Custom { .. } | Op::Shared { .. } => {
            let param = layer_param(layer.decl.number);
            quote!(::shaped::layers::Opaque<#param>)
        }
    }
}

/// The expression that builds node `index`'s layer inside `new(seed)`, given its input type
/// `in_ty`.
fn stage_init(def: &ModelDef, layer: &PlannedLayer, index: usize, in_ty: &TokenStream) -> TokenStream {
    match &layer.op {
        Op::Builtin(builtin) => {
            let input = match &layer.input {
                ShapeState::Known(dims) => Some(dims.as_slice()),
                _ => None,
            };
            let values = &layer.in_values;
            builtin.stage_init(&Init { index, input, in_ty, values })
        }
        Op::Custom { .. } | Op::Shared { .. } => {
            let param = layer_param(layer.decl.number);
            let make = helper_ident(&def.name, "Make", layer.decl.number);
            quote!(::shaped::layers::Opaque::new::<#in_ty>(<#param as #make>::__shaped_make(seed)))
        }
    }
}

/// For a node whose output is a sequence (a runtime first axis, or an unknown shape): the input
/// its steps come from, found by following first sources back to an input whose first axis is
/// a runtime one.
fn steps_input(plan: &Plan, node: usize) -> Option<usize> {
    if let ShapeState::Known(dims) = &plan.layers[node].output {
        if dims.first() != Some(&None) {
            return None;
        }
    }
    let mut src = plan.layers[node].sources[0];
    loop {
        match src {
            Src::Input(k) => return plan.inputs[k].ragged().then_some(k),
            Src::Node(j) => src = plan.layers[j].sources[0],
        }
    }
}

/// What a node reads, as `[Source; N]` tokens.
fn source_tokens(sources: &[Src]) -> TokenStream {
    let parts = sources.iter().map(|src| match *src {
        Src::Input(k) => quote!(::shaped::model::Source::Input(#k)),
        Src::Node(j) => quote!(::shaped::model::Source::Node(#j)),
    });
    quote!([#(#parts),*])
}
