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

use crate::ast::{DType, LayerBody, ModelDef};
use crate::check::{fmt_dims, snake_case, Op, Plan, PlannedLayer, ShapeState};
use crate::typenum_tokens::uint_tokens;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

/// The per-sample shape type for dims the macro knows: `(U64,)`, `(Dyn, U12)`.
pub fn shape_ty(dims: &[Option<usize>]) -> TokenStream {
    let parts = dims.iter().map(|d| match d {
        Some(n) => uint_tokens(*n),
        None => quote!(::shaped::shape::Dyn),
    });
    quote!((#(#parts,)*))
}

/// The plain Rust array of one sample: `[f32; 64]`, `[[f32; 8]; 8]`; `None` if any axis is
/// runtime or the rank is above 3.
fn sample_array(dims: &[Option<usize>]) -> Option<TokenStream> {
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
fn helper_ident(model: &Ident, what: &str, number: usize) -> Ident {
    format_ident!("__Shaped{}{}{}", model, what, number)
}

/// The generic parameter standing for custom layer `number`'s type.
fn layer_param(number: usize) -> Ident {
    format_ident!("__ShapedL{}", number)
}

/// Where errors about a layer point: its name for built-ins, its type for custom layers.
fn layer_span(layer: &PlannedLayer) -> Span {
    match &layer.decl.body {
        LayerBody::Builtin { ident, .. } => ident.span(),
        LayerBody::Custom { ty, .. } => ty.span(),
    }
}

/// `Some(n)` / `None` tokens for a dims list.
fn option_dims(dims: &[Option<usize>]) -> TokenStream {
    let parts = dims.iter().map(|d| match d {
        Some(n) => quote!(::core::option::Option::Some(#n)),
        None => quote!(::core::option::Option::None),
    });
    quote!(&[#(#parts),*])
}

/// The shape types flowing into and out of every layer, and the bounds the generic code needs
/// for them.
struct Types {
    /// `ins[i]` is layer i's input type; `ins[n]` is the model's output type.
    ins: Vec<TokenStream>,
    /// Bounds in terms of the generic layer parameters: each custom layer's diagnostic trait,
    /// and the type-level shape operations of built-ins after a custom layer.
    shape_bounds: Vec<TokenStream>,
    /// Whether each layer's input type depends on a custom layer's (generic) output.
    generic_input: Vec<bool>,
    /// For each layer: the custom-layer parameters before it and the bounds they carry, which
    /// a custom layer's diagnostic trait is generic over when its input depends on them.
    earlier: Vec<(Vec<Ident>, Vec<TokenStream>)>,
}

fn types(def: &ModelDef, plan: &Plan) -> Types {
    let mut prev = shape_ty(&plan.input);
    let mut prev_generic = false;
    let mut ins = vec![prev.clone()];
    let mut shape_bounds = Vec::new();
    let mut generic_input = Vec::new();
    let mut earlier = Vec::new();
    let mut params_so_far: Vec<Ident> = Vec::new();
    for layer in &plan.layers {
        generic_input.push(prev_generic);
        earlier.push((params_so_far.clone(), shape_bounds.clone()));
        let number = layer.decl.number;
        let (ty, generic) = match (&layer.output, &layer.op) {
            (_, Op::Custom { .. }) => {
                let param = layer_param(number);
                let tr = helper_ident(&def.name, "Layer", number);
                let span = layer_span(layer);
                shape_bounds.push(if prev_generic {
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
            (ShapeState::Known(dims), _) => (shape_ty(dims), false),
            (_, Op::Dense { units, .. }) => {
                let u = uint_tokens(*units);
                shape_bounds.push(quote!(#prev: ::shaped::shape::ReplaceLast<#u>));
                (quote!(::shaped::shape::WithLast<#prev, #u>), true)
            }
            (_, Op::Flatten) => {
                shape_bounds.push(quote!(#prev: ::shaped::shape::Numel));
                (quote!(::shaped::shape::Flattened<#prev>), true)
            }
            (_, Op::Reshape { target }) => {
                let known_ty = uint_tokens(target.iter().flatten().product());
                shape_bounds.push(quote!(#prev: ::shaped::shape::Numel));
                shape_bounds.push(
                    quote!(<#prev as ::shaped::shape::Numel>::Output: ::shaped::shape::DimDiv<#known_ty>),
                );
                let parts = target.iter().map(|d| match d {
                    Some(n) => uint_tokens(*n),
                    None => quote!(<<#prev as ::shaped::shape::Numel>::Output as ::shaped::shape::DimDiv<#known_ty>>::Output),
                });
                (quote!((#(#parts,)*)), true)
            }
            (_, Op::Activation { .. } | Op::Dropout { .. }) => (prev.clone(), prev_generic),
            (
                _,
                Op::Embedding { .. }
                | Op::Masking { .. }
                | Op::Rnn(_)
                | Op::Bidirectional { .. }
                | Op::TimeDistributed { .. }
                | Op::GlobalPool { .. },
            ) => unreachable!("the check stage gives sequence layers a known input and output"),
        };
        ins.push(ty.clone());
        prev = ty;
        prev_generic = generic;
    }
    Types { ins, shape_bounds, generic_input, earlier }
}

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

    let fields: Vec<Ident> = plan.layers.iter().map(|l| Ident::new(&l.name, layer_span(l))).collect();
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
        Some(Op::Embedding { input_dim, .. }) => {
            quote!(const INPUT_IDS_BELOW: ::core::option::Option<usize> = ::core::option::Option::Some(#input_dim);)
        }
        _ => quote!(),
    };
    let last_field = &fields[last];
    // Used as a layer, a model hands on the mask of its own output when that output is a
    // sequence (a time axis first), and no mask otherwise.
    let nested_mask_rule = match plan.output() {
        ShapeState::Known(dims) if dims.first() != Some(&None) => quote!(::shaped::model::MaskRule::Drop),
        _ => quote!(::shaped::model::MaskRule::Produce),
    };
    let backward_steps = (0..n_layers).rev().map(|i| {
        let field = &fields[i];
        let pre = if i == last { quote!(dy_is_preactivation) } else { quote!(false) };
        let dx = if i == 0 { quote!(dx) } else { quote!(::core::option::Option::None) };
        quote!(self.__shaped_workspace.backward(#i, &mut self.#field, x, batch, #pre, #dx)?;)
    });
    let backward_visit_steps = (0..n_layers).rev().map(|i| {
        let field = &fields[i];
        let name = &names[i];
        let pre = if i == last { quote!(dy_is_preactivation) } else { quote!(false) };
        quote! {
            self.__shaped_workspace.backward(#i, &mut self.#field, x, batch, #pre, ::core::option::Option::None)?;
            ::shaped::model::visit_prefixed_mut(&mut self.#field, #name, visit);
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
                    __shaped_workspace: ::shaped::model::Workspace::new(#n_layers),
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
                    self.__shaped_workspace.set_input_mask(mask);
                    let d = dims;
                    #(let d = self.__shaped_workspace.run(#indices, &mut self.#fields, x, d, batch, mode)?;)*
                    ::core::result::Result::Ok((self.__shaped_workspace.output(#last), d))
                }

                fn backward(&mut self, x: &[f32], batch: usize, dy_is_preactivation: bool, dx: ::core::option::Option<&mut [f32]>)
                    -> ::shaped::Result<()>
                {
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
                    ::shaped::model::Stage::output_activation(&self.#last_field)
                }

                fn layers(&self) -> ::std::vec::Vec<::shaped::model::LayerInfo> {
                    ::std::vec![#(::shaped::model::LayerInfo {
                        name: ::std::string::String::from(#names),
                        kind: ::shaped::model::Stage::kind(&self.#fields),
                        output: <#outs as ::shaped::shape::Shape>::DIMS.to_vec(),
                        params: ::shaped::model::Stage::param_count(&self.#fields),
                    }),*]
                }

                fn visit_weights(&self, visit: &mut dyn FnMut(::shaped::layers::Param<'_>)) {
                    #(::shaped::model::visit_prefixed(&self.#fields, #names, visit);)*
                }

                fn visit_weights_mut(&mut self, visit: &mut dyn FnMut(::shaped::layers::ParamMut<'_>)) {
                    #(::shaped::model::visit_prefixed_mut(&mut self.#fields, #names, visit);)*
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
                    #(let d = ::shaped::model::Stage::output_dims(&self.#fields, d)?;)*
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

                fn mask_rule(&self) -> ::shaped::model::MaskRule {
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

/// What [`uncompiled_methods`] generates.
struct Uncompiled {
    /// The never-implemented trait whose message explains the mistake.
    trait_def: TokenStream,
    /// `fit`, `evaluate` and `train_on_batch` of the uncompiled model, bound by that trait.
    methods: TokenStream,
}

/// The Keras habit `model.compile(..)` as a statement, then `model.fit(..)`: `compile` returns
/// the trainable model, so the model itself has no `fit`. These methods exist only to say so
/// in rustc's error, in the model's own name; their bound is never met, so no program that
/// compiles can call them.
fn uncompiled_methods(def: &ModelDef) -> Uncompiled {
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
fn predict_method(vis: &syn::Visibility, plan: &Plan) -> Option<TokenStream> {
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
fn input_sample(plan: &Plan) -> Option<TokenStream> {
    match (plan.dtype, plan.input.as_slice()) {
        (DType::U32, [None]) => Some(quote!(::std::vec::Vec<u32>)),
        (DType::U32, _) => None,
        (DType::F32, [None, Some(f)]) => Some(quote!(::std::vec::Vec<[f32; #f]>)),
        (DType::F32, dims) => sample_array(dims),
    }
}

/// The Rust type of one output sample: a fixed array, or `Vec<[f32; C]>` for a sequence
/// output `[None, C]`.
fn output_sample(dims: &[Option<usize>]) -> Option<TokenStream> {
    match dims {
        [None, Some(c)] => Some(quote!(::std::vec::Vec<[f32; #c]>)),
        _ => sample_array(dims),
    }
}

/// The field type holding a layer.
fn stage_type(layer: &PlannedLayer) -> TokenStream {
    match &layer.op {
        Op::Dense { .. } => quote!(::shaped::layers::Dense),
        Op::Activation { .. } => quote!(::shaped::layers::Activation),
        Op::Dropout { .. } => quote!(::shaped::layers::Dropout),
        Op::Flatten => quote!(::shaped::layers::Flatten),
        Op::Reshape { .. } => quote!(::shaped::layers::Reshape),
        Op::Custom { .. } => {
            let param = layer_param(layer.decl.number);
            quote!(::shaped::model::Opaque<#param>)
        }
        Op::Embedding { .. } => quote!(::shaped::layers::Embedding),
        Op::Masking { .. } => quote!(::shaped::layers::Masking),
        Op::Rnn(rnn) => rnn_type(rnn),
        Op::Bidirectional { inner, .. } => {
            let inner = rnn_type(inner);
            quote!(::shaped::layers::Bidirectional<#inner>)
        }
        Op::TimeDistributed { .. } => quote!(::shaped::layers::TimeDistributed),
        Op::GlobalPool { max: false } => quote!(::shaped::layers::GlobalAvgPool1d),
        Op::GlobalPool { max: true } => quote!(::shaped::layers::GlobalMaxPool1d),
    }
}

/// The runtime type of a recurrent layer.
fn rnn_type(rnn: &crate::check::Rnn) -> TokenStream {
    let ty = Ident::new(rnn.kind, Span::call_site());
    quote!(::shaped::layers::#ty)
}

/// `Lstm::new(in, units, RnnOptions { .. }, rng)` for a recurrent layer with `in` features.
fn rnn_init(
    rnn: &crate::check::Rnn,
    in_features: usize,
    go_backwards: bool,
    rng: TokenStream,
) -> TokenStream {
    let ty = rnn_type(rnn);
    let crate::check::Rnn { units, use_bias, unit_forget_bias, return_sequences, reset_after, .. } = *rnn;
    let act = Ident::new(rnn.activation, Span::call_site());
    let rec = Ident::new(rnn.recurrent_activation, Span::call_site());
    quote! {
        #ty::new(#in_features, #units, ::shaped::layers::RnnOptions {
            return_sequences: #return_sequences,
            go_backwards: #go_backwards,
            activation: ::shaped::layers::Activation::#act,
            recurrent_activation: ::shaped::layers::Activation::#rec,
            use_bias: #use_bias,
            unit_forget_bias: #unit_forget_bias,
            reset_after: #reset_after,
            ..::core::default::Default::default()
        }, #rng)
    }
}

/// The expression that builds a layer inside `new(seed)`.
fn stage_init(def: &ModelDef, layer: &PlannedLayer, index: usize, in_ty: &TokenStream) -> TokenStream {
    match &layer.op {
        Op::Dense { units, activation, use_bias } => {
            let act = Ident::new(activation, Span::call_site());
            let in_features = match &layer.input {
                ShapeState::Known(dims) => {
                    let n = dims.last().copied().flatten().expect("checked: known last dim");
                    quote!(#n)
                }
                _ => quote!(::shaped::shape::last_static(<#in_ty as ::shaped::shape::Shape>::DIMS)),
            };
            quote! {
                ::shaped::layers::Dense::new(#in_features, #units, ::shaped::layers::Activation::#act, #use_bias,
                    &mut ::shaped::layers::init::layer_rng(seed, #index))
            }
        }
        Op::Activation { activation } => {
            let act = Ident::new(activation, Span::call_site());
            quote!(::shaped::layers::Activation::#act)
        }
        Op::Dropout { rate, seed: explicit } => {
            let rate = *rate as f32;
            let rng = match explicit {
                Some(s) => quote!(::shaped::data::SplitMix64::new(#s)),
                None => quote!(::shaped::layers::init::layer_rng(seed, #index)),
            };
            quote!(::shaped::layers::Dropout::new(#rate, #rng))
        }
        Op::Flatten => quote!(::shaped::layers::Flatten),
        Op::Reshape { target } => {
            let dims = option_dims(target);
            quote!(::shaped::layers::Reshape::new(#dims))
        }
        Op::Custom { .. } => {
            let param = layer_param(layer.decl.number);
            let make = helper_ident(&def.name, "Make", layer.decl.number);
            quote!(::shaped::model::Opaque::new::<#in_ty>(<#param as #make>::__shaped_make(seed)))
        }
        Op::Embedding { input_dim, output_dim, mask_zero } => quote! {
            ::shaped::layers::Embedding::new(#input_dim, #output_dim, #mask_zero, &mut ::shaped::layers::init::layer_rng(seed, #index))
        },
        Op::Masking { value } => {
            let value = *value as f32;
            quote!(::shaped::layers::Masking::new(#value))
        }
        Op::Rnn(rnn) => {
            let rng = quote!(&mut ::shaped::layers::init::layer_rng(seed, #index));
            rnn_init(rnn, known_last(layer), rnn.go_backwards, rng)
        }
        Op::Bidirectional { inner, merge } => {
            let forward = rnn_init(inner, known_last(layer), inner.go_backwards, quote!(&mut rng));
            let merge = Ident::new(merge, Span::call_site());
            quote! {{
                let mut rng = ::shaped::layers::init::layer_rng(seed, #index);
                let forward = #forward;
                ::shaped::layers::Bidirectional::new(forward, ::shaped::layers::MergeMode::#merge, &mut rng)
            }}
        }
        Op::TimeDistributed { units, activation, use_bias } => {
            let act = Ident::new(activation, Span::call_site());
            let in_features = known_last(layer);
            quote! {
                ::shaped::layers::TimeDistributed::new(
                    ::std::boxed::Box::new(::shaped::layers::Dense::new(#in_features, #units, ::shaped::layers::Activation::#act,
                        #use_bias, &mut ::shaped::layers::init::layer_rng(seed, #index))),
                    "dense",
                )
            }
        }
        Op::GlobalPool { max: false } => quote!(::shaped::layers::GlobalAvgPool1d::new()),
        Op::GlobalPool { max: true } => quote!(::shaped::layers::GlobalMaxPool1d::masked()),
    }
}

/// The last input dim of a layer whose input the check stage made known and static there.
fn known_last(layer: &PlannedLayer) -> usize {
    match &layer.input {
        ShapeState::Known(dims) => dims.last().copied().flatten().expect("checked: a known last dim"),
        _ => unreachable!("the check stage gives sequence layers a known input"),
    }
}

/// For a custom layer: the trait that states, in plain words, that the layer has no `Layer`
/// impl for the shape it is given (instead of typenum's `UInt<…>` chains), and the trait that
/// builds the layer from the user's expression.
fn custom_helpers(
    def: &ModelDef,
    layer: &PlannedLayer,
    ty: &syn::Path,
    expr: &syn::Expr,
    earlier: Option<&(Vec<Ident>, Vec<TokenStream>)>,
    in_ty: &TokenStream,
) -> TokenStream {
    let number = layer.decl.number;
    let tr = helper_ident(&def.name, "Layer", number);
    let make = helper_ident(&def.name, "Make", number);
    let vis = &def.vis;
    let display = &layer.display;
    let (what, shown, example, hint) = match &layer.input {
        ShapeState::Known(dims) => {
            let shown = fmt_dims(dims);
            let parts: Vec<String> = dims
                .iter()
                .map(|d| match d {
                    Some(n) => format!("shaped::dim!({n})"),
                    None => "shaped::shape::Dyn".to_string(),
                })
                .collect();
            let tuple =
                if parts.len() == 1 { format!("({},)", parts[0]) } else { format!("({})", parts.join(", ")) };
            (
                format!("input {shown}"),
                shown.clone(),
                format!("`Layer<{tuple}>` (the shape {shown})"),
                String::new(),
            )
        }
        _ => {
            let before = number - 1;
            (
                format!("the output of layer #{before}"),
                format!("the output of layer #{before}"),
                "`Layer<S>` with `S` that shape".to_string(),
                format!("; declaring layer #{before}'s output with `-> [..]` shows the shape here"),
            )
        }
    };
    let message = format!(
        "layer #{number} `{display}` of model `{}` cannot take {what}: `{display}` does not implement `Layer` for that shape",
        def.name
    );
    let label = format!("`{display}` has no `Layer` impl for {shown}");
    let note =
        format!("implement {example} for `{display}`, or `Layer<S>` generically for every `S: Shape`{hint}");
    // When the input depends on earlier custom layers, the trait is generic over their types
    // (not over the shape), so rustc names it as `__ShapedNetLayer2<Identity>`, never as a
    // typenum chain.
    let (decl, blanket) = match earlier {
        Some((params, bounds)) => (
            quote!(#vis trait #tr<#(#params),*>: ::shaped::layers::Layer<#in_ty> where #(#bounds),* {}),
            quote!(impl<__ShapedT, #(#params),*> #tr<#(#params),*> for __ShapedT where #(#bounds,)* __ShapedT: ::shaped::layers::Layer<#in_ty> {}),
        ),
        None => (
            quote!(#vis trait #tr: ::shaped::layers::Layer<#in_ty> {}),
            quote!(impl<__ShapedT: ::shaped::layers::Layer<#in_ty>> #tr for __ShapedT {}),
        ),
    };
    quote! {
        #[doc(hidden)]
        #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
        #decl

        #[diagnostic::do_not_recommend]
        #blanket

        #[doc(hidden)]
        #vis trait #make {
            fn __shaped_make(seed: u64) -> Self;
        }

        impl #make for #ty {
            #[allow(unused_variables)]
            fn __shaped_make(seed: u64) -> Self {
                #expr
            }
        }
    }
}

/// `__shaped_dims_Net_3`: the const fn giving the dims that flow into layer `index` of `model`.
fn dims_fn_ident(model: &Ident, index: usize) -> Ident {
    format_ident!("__shaped_dims_{}_{}", model, index)
}

/// `const fn __shaped_dims_{model}_{i}()`: the dims flowing into layer `i` (and out of the model for
/// `i = n`), for every boundary after a custom layer. A custom layer's output dims come from its
/// `Layer::Out` through a generic const fn called with the user's types; each built-in after it
/// transforms the dims in const code, so no check has to re-solve the type chain.
#[allow(clippy::too_many_arguments)]
fn dims_fns(
    def: &ModelDef,
    plan: &Plan,
    ins: &[TokenStream],
    generic_input: &[bool],
    earlier: &[(Vec<Ident>, Vec<TokenStream>)],
    params: &[Ident],
    concrete: &[&syn::Path],
    bounds: &[TokenStream],
) -> Vec<TokenStream> {
    let mut out = Vec::new();
    for (i, layer) in plan.layers.iter().enumerate() {
        // The boundary after layer i is input i + 1; emit it only when a later check reads it.
        let next_generic = generic_input.get(i + 1).copied().unwrap_or(false);
        if !next_generic {
            continue;
        }
        let this = dims_fn_ident(&def.name, i + 1);
        let prev = dims_fn_ident(&def.name, i);
        let body = match (&layer.output, &layer.op) {
            (ShapeState::Known(dims), _) => {
                let d = option_dims(dims);
                quote!(::shaped::shape::ConstDims::new(#d))
            }
            (_, Op::Custom { .. }) => {
                let n = earlier[i].0.len() + 1;
                let nb = earlier[i].1.len() + 1;
                let (ps, cs, bs) = (&params[..n], &concrete[..n], &bounds[..nb]);
                let out_ty = &ins[i + 1];
                // Named like every check's helper, with the same bounds: a missing `Layer` impl
                // is then the same diagnostic everywhere, which rustc reports once.
                quote! {{
                    const fn __shaped_check<#(#ps),*>() -> ::shaped::shape::ConstDims where #(#bs),* {
                        ::shaped::shape::ConstDims::new(<#out_ty as ::shaped::shape::Shape>::DIMS)
                    }
                    __shaped_check::<#(#cs),*>()
                }}
            }
            (_, Op::Dense { units, .. }) => quote!(#prev().with_last(#units)),
            (_, Op::Flatten) => quote!(#prev().flattened()),
            (_, Op::Reshape { target }) => {
                let t = option_dims(target);
                quote!(#prev().reshaped(#t))
            }
            (_, Op::Activation { .. } | Op::Dropout { .. }) => quote!(#prev()),
            (
                _,
                Op::Embedding { .. }
                | Op::Masking { .. }
                | Op::Rnn(_)
                | Op::Bidirectional { .. }
                | Op::TimeDistributed { .. }
                | Op::GlobalPool { .. },
            ) => unreachable!("the check stage gives sequence layers a known input and output"),
        };
        out.push(quote! {
            #[doc(hidden)]
            #[allow(non_snake_case)]
            const fn #this() -> ::shaped::shape::ConstDims { #body }
        });
    }
    out
}

/// The shape rule a layer needs evaluated at compile time: a custom layer's `CHECK` (and its
/// declared output), or a built-in's rule when its input comes from a custom layer.
fn layer_check(
    def: &ModelDef,
    layer: &PlannedLayer,
    index: usize,
    in_ty: &TokenStream,
    generic_input: bool,
) -> Option<TokenStream> {
    let input_fn = dims_fn_ident(&def.name, index);
    let dims = quote!(#input_fn().as_slice());
    Some(match &layer.op {
        Op::Custom { declared, .. } => {
            let param = layer_param(layer.decl.number);
            let layer_ty = quote!(<#param as ::shaped::layers::Layer<#in_ty>>);
            match declared {
                Some(d) => {
                    let d = option_dims(d);
                    quote!(#layer_ty::CHECK.and(::shaped::shape::Check::declared(<#layer_ty::Out as ::shaped::shape::Shape>::DIMS, #d)))
                }
                None => quote!(#layer_ty::CHECK),
            }
        }
        _ if !generic_input => return None,
        Op::Dense { .. } => quote!(::shaped::shape::Check::known_last(#dims)),
        Op::Flatten => quote!(::shaped::shape::Check::all_static(#dims, "flatten it")),
        Op::Reshape { target } => {
            let known: usize = target.iter().flatten().product();
            let t = option_dims(target);
            if target.contains(&None) {
                quote!(::shaped::shape::Check::numel_multiple(#dims, #known, #t))
            } else {
                quote!(::shaped::shape::Check::numel(#dims, #known, #t))
            }
        }
        Op::Activation { .. }
        | Op::Dropout { .. }
        | Op::Embedding { .. }
        | Op::Masking { .. }
        | Op::Rnn(_)
        | Op::Bidirectional { .. }
        | Op::TimeDistributed { .. }
        | Op::GlobalPool { .. } => return None,
    })
}

/// The const argument of the model's alias that evaluates a layer's rule at compile time for
/// the user's layer types: `true`, or a const panic with the layer's message, spanned at its
/// line. The rule is a generic const fn over the custom layers' types, called with the user's
/// types, so a missing `Layer` impl is one error with the layer's message too. Either way the
/// argument, and so the model's type, is an error, which keeps code using the model quiet.
fn check_block(
    def: &ModelDef,
    layer: &PlannedLayer,
    check: TokenStream,
    params: &[Ident],
    concrete: &[&syn::Path],
    bounds: &[TokenStream],
) -> TokenStream {
    let model = def.name.to_string();
    let number = layer.decl.number;
    let display = &layer.display;
    let where_clause = if bounds.is_empty() { quote!() } else { quote!(where #(#bounds),*) };
    let span = layer_span(layer);
    let panic = quote_spanned!(span=> ::core::panic!("{}", message.as_str()));
    quote! {{
        const fn __shaped_check<#(#params),*>() -> ::core::option::Option<::shaped::shape::Message> #where_clause {
            #check.in_model(#model, #number, #display)
        }
        match __shaped_check::<#(#concrete),*>() {
            ::core::option::Option::Some(message) => #panic,
            ::core::option::Option::None => true,
        }
    }}
}
