//! Code generation for a model that passed every check: the struct, its constructor, the
//! straight-line forward code, the `Model` and `Layer` impls, and one const check and one
//! diagnostic trait per layer the macro cannot see into.
//!
//! For a body like
//!
//! ```ignore
//! input: [64],
//! hidden: Dense(128, activation = relu),
//! Dense(10, activation = softmax),
//! ```
//!
//! it emits `struct Digits { hidden: Dense, dense: Dense, __shaped_workspace: Workspace }`,
//! `Digits::new(seed)`, `Digits::predict(&[[f32; 64]]) -> Result<Vec<[f32; 10]>>`, and
//! `impl Model for Digits` whose `run` calls each layer in turn.

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

/// The name of the diagnostic trait of a custom layer: `__ShapedNetLayer2`.
fn layer_trait(model: &Ident, number: usize) -> Ident {
    format_ident!("__Shaped{}Layer{}", model, number)
}

/// Where errors about a layer point: its name for built-ins, its expression for custom layers.
fn layer_span(layer: &PlannedLayer) -> Span {
    match &layer.decl.body {
        LayerBody::Builtin { ident, .. } => ident.span(),
        LayerBody::Custom { ty, .. } => ty.span(),
    }
}

/// The shape type flowing out of each layer, as tokens (literal when the macro knows it,
/// otherwise computed by the type system from the previous shape).
fn output_types(def: &ModelDef, plan: &Plan) -> Vec<TokenStream> {
    let mut prev = shape_ty(&plan.input);
    let mut out = Vec::new();
    for layer in &plan.layers {
        let ty = match &layer.output {
            ShapeState::Known(dims) => shape_ty(dims),
            _ => match &layer.op {
                Op::Custom { ty, .. } => {
                    let tr = layer_trait(&def.name, layer.decl.number);
                    quote_spanned!(layer_span(layer)=> <#ty as #tr>::Out)
                }
                Op::Dense { units, .. } => {
                    let u = uint_tokens(*units);
                    quote!(::shaped::shape::WithLast<#prev, #u>)
                }
                Op::Flatten => quote!(::shaped::shape::Flattened<#prev>),
                Op::Reshape { target } => {
                    let known: usize = target.iter().flatten().product();
                    let known_ty = uint_tokens(known);
                    let parts = target.iter().map(|d| match d {
                        Some(n) => uint_tokens(*n),
                        None => quote!(<<#prev as ::shaped::shape::Numel>::Output as ::shaped::shape::DimDiv<#known_ty>>::Output),
                    });
                    quote!((#(#parts,)*))
                }
                Op::Activation { .. } | Op::Dropout { .. } => prev.clone(),
            },
        };
        out.push(ty.clone());
        prev = ty;
    }
    out
}

/// Generates everything for a model that passed the checks.
pub fn expand(def: &ModelDef, plan: &Plan) -> TokenStream {
    let ModelDef {
        attrs, vis, name, ..
    } = def;
    let in_ty = shape_ty(&plan.input);
    let outs = output_types(def, plan);
    let ins: Vec<TokenStream> = std::iter::once(in_ty.clone())
        .chain(outs.iter().cloned())
        .collect();
    let out_ty = outs.last().expect("at least one layer").clone();
    let model_name = snake_case(&name.to_string());
    let struct_name = name.to_string();
    let n_layers = plan.layers.len();

    let fields: Vec<Ident> = plan
        .layers
        .iter()
        .map(|l| Ident::new(&l.name, layer_span(l)))
        .collect();
    let field_tys = plan.layers.iter().map(|l| stage_type(def, l));
    let inits = plan
        .layers
        .iter()
        .zip(&ins)
        .enumerate()
        .map(|(i, (l, in_t))| stage_init(def, l, i, in_t));
    let traits = plan
        .layers
        .iter()
        .zip(&ins)
        .filter_map(|(l, in_t)| diagnostic_trait(def, l, in_t));
    let checks = plan
        .layers
        .iter()
        .zip(&ins)
        .filter_map(|(l, in_t)| const_check(def, l, in_t));
    let names: Vec<&String> = plan.layers.iter().map(|l| &l.name).collect();
    let indices = 0..n_layers;
    let last = n_layers - 1;

    let predict = match (plan.dtype, sample_array(&plan.input), plan.output()) {
        (DType::F32, Some(x), ShapeState::Known(out)) => sample_array(out).map(|y| {
            let doc_in = fmt_dims(&plan.input);
            let doc_out = fmt_dims(out);
            quote! {
                /// Predicts one output per sample, in batches of 32 (Keras's default).
                ///
                #[doc = concat!("Input: one ", #doc_in, " sample per element; output: one ", #doc_out, " prediction per sample.")]
                #vis fn predict(&mut self, x: &[#x]) -> ::shaped::Result<::std::vec::Vec<#y>> {
                    ::shaped::model::predict_samples(self, x, ::shaped::model::DEFAULT_BATCH_SIZE)
                }
            }
        }),
        _ => None,
    };

    quote! {
        #(#attrs)*
        #vis struct #name {
            #(#fields: #field_tys,)*
            __shaped_workspace: ::shaped::model::Workspace,
        }

        #(#traits)*

        impl #name {
            /// Creates the model with Keras's default initialisers (glorot-uniform kernels, zero
            /// biases), drawn from `seed`: the same seed gives the same weights.
            #vis fn new(seed: u64) -> Self {
                #name {
                    #(#fields: #inits,)*
                    __shaped_workspace: ::shaped::model::Workspace::new(#n_layers),
                }
            }

            #predict
        }

        const _: () = {
            #(#checks)*

            impl ::shaped::model::Model for #name {
                type In = #in_ty;
                type Out = #out_ty;
                const NAME: &'static str = #model_name;

                fn run(&mut self, x: &[f32], dims: ::shaped::shape::Dims, batch: usize, mode: ::shaped::layers::Mode)
                    -> ::shaped::Result<(&[f32], ::shaped::shape::Dims)>
                {
                    if !dims.fits(<#in_ty as ::shaped::shape::Shape>::DIMS) {
                        return ::core::result::Result::Err(::shaped::Error::shape(
                            ::std::format!("input of model `{}`", #model_name),
                            ::shaped::shape::Dims::keras_pattern(<#in_ty as ::shaped::shape::Shape>::DIMS),
                            dims.with_batch_none(),
                        ));
                    }
                    let d = dims;
                    #(let d = self.__shaped_workspace.run(#indices, &mut self.#fields, x, d, batch, mode)?;)*
                    ::core::result::Result::Ok((self.__shaped_workspace.output(#last), d))
                }

                fn layers(&self) -> ::std::vec::Vec<::shaped::model::LayerInfo> {
                    ::std::vec![#(::shaped::model::LayerInfo {
                        name: ::std::string::String::from(#names),
                        kind: ::shaped::model::Stage::kind(&self.#fields),
                        output: <#outs as ::shaped::shape::Shape>::DIMS.to_vec(),
                        params: ::shaped::model::Stage::param_count(&self.#fields),
                    }),*]
                }

                fn visit_params(&self, visit: &mut dyn FnMut(::shaped::layers::Param<'_>)) {
                    #(::shaped::model::visit_prefixed(&self.#fields, #names, visit);)*
                }

                fn visit_params_mut(&mut self, visit: &mut dyn FnMut(::shaped::layers::ParamMut<'_>)) {
                    #(::shaped::model::visit_prefixed_mut(&mut self.#fields, #names, visit);)*
                }
            }

            /// A model is a layer: it takes exactly its `input:` shape, checked at compile time.
            impl<__ShapedIn: ::shaped::shape::Shape> ::shaped::layers::Layer<__ShapedIn> for #name {
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
                    let (y, _) = ::shaped::model::Model::run(self, input.data(), input.dims(), input.batch(), mode)?;
                    output.data_mut().copy_from_slice(y);
                    ::core::result::Result::Ok(())
                }

                fn kind(&self) -> ::std::string::String {
                    ::std::string::String::from(#struct_name)
                }

                fn visit_params(&self, visit: &mut dyn FnMut(::shaped::layers::Param<'_>)) {
                    ::shaped::model::Model::visit_params(self, visit)
                }

                fn visit_params_mut(&mut self, visit: &mut dyn FnMut(::shaped::layers::ParamMut<'_>)) {
                    ::shaped::model::Model::visit_params_mut(self, visit)
                }
            }
        };
    }
}

/// The field type holding a layer.
fn stage_type(def: &ModelDef, layer: &PlannedLayer) -> TokenStream {
    match &layer.op {
        Op::Dense { .. } => quote!(::shaped::layers::Dense),
        Op::Activation { .. } => quote!(::shaped::layers::Activation),
        Op::Dropout { .. } => quote!(::shaped::layers::Dropout),
        Op::Flatten => quote!(::shaped::layers::Flatten),
        Op::Reshape { .. } => quote!(::shaped::layers::Reshape),
        Op::Custom { ty, .. } => {
            let tr = layer_trait(&def.name, layer.decl.number);
            quote_spanned!(layer_span(layer)=> <#ty as #tr>::Stage)
        }
    }
}

/// The expression that builds a layer inside `new(seed)`.
fn stage_init(
    def: &ModelDef,
    layer: &PlannedLayer,
    index: usize,
    in_ty: &TokenStream,
) -> TokenStream {
    match &layer.op {
        Op::Dense {
            units,
            activation,
            use_bias,
        } => {
            let act = Ident::new(activation, Span::call_site());
            let in_features = match &layer.input {
                ShapeState::Known(dims) => {
                    let n = dims
                        .last()
                        .copied()
                        .flatten()
                        .expect("checked: known last dim");
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
        Op::Dropout {
            rate,
            seed: explicit,
        } => {
            let rate = *rate as f32;
            let rng = match explicit {
                Some(s) => quote!(::shaped::data::SplitMix64::new(#s)),
                None => quote!(::shaped::layers::init::layer_rng(seed, #index)),
            };
            quote!(::shaped::layers::Dropout::new(#rate, #rng))
        }
        Op::Flatten => quote!(::shaped::layers::Flatten),
        Op::Reshape { target } => {
            let parts = target.iter().map(|d| match d {
                Some(n) => quote!(::core::option::Option::Some(#n)),
                None => quote!(::core::option::Option::None),
            });
            quote!(::shaped::layers::Reshape::new(&[#(#parts),*]))
        }
        Op::Custom { expr, ty, .. } => {
            let tr = layer_trait(&def.name, layer.decl.number);
            let span = layer_span(layer);
            quote_spanned!(span=> <#ty as #tr>::stage(#expr))
        }
    }
}

/// For a custom layer: a trait whose `on_unimplemented` message says, in plain words, that the
/// layer has no `Layer` impl for the shape it is given (instead of typenum's `UInt<…>` chains).
fn diagnostic_trait(
    def: &ModelDef,
    layer: &PlannedLayer,
    in_ty: &TokenStream,
) -> Option<TokenStream> {
    let Op::Custom { .. } = &layer.op else {
        return None;
    };
    let tr = layer_trait(&def.name, layer.decl.number);
    let vis = &def.vis;
    let shown = match &layer.input {
        ShapeState::Known(dims) => fmt_dims(dims),
        _ => "the shape the layer before it outputs".to_string(),
    };
    let ty_name = &layer.display;
    let message = format!(
        "layer #{} `{}` of model `{}` cannot take input {}: `{}` does not implement `Layer` for that shape",
        layer.decl.number, ty_name, def.name, shown, ty_name
    );
    let label = format!("`{ty_name}` has no `Layer` impl for input {shown}");
    let note = format!(
        "implement `shaped::Layer<S>` for `{ty_name}` with `S` the input shape (for [64]: `(shaped::typenum::U64,)`), or generically for every `S: Shape`"
    );
    Some(quote! {
        #[doc(hidden)]
        #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
        #vis trait #tr {
            type Out: ::shaped::shape::Shape;
            const CHECK: ::shaped::shape::Check;
            type Stage: ::shaped::model::Stage;
            fn stage(self) -> Self::Stage where Self: Sized;
        }

        impl<__ShapedL: ::shaped::layers::Layer<#in_ty>> #tr for __ShapedL {
            type Out = <__ShapedL as ::shaped::layers::Layer<#in_ty>>::Out;
            const CHECK: ::shaped::shape::Check = <__ShapedL as ::shaped::layers::Layer<#in_ty>>::CHECK;
            type Stage = ::shaped::model::Opaque<__ShapedL, #in_ty>;
            fn stage(self) -> Self::Stage {
                ::shaped::model::Opaque::new(self)
            }
        }
    })
}

/// A `const _` item that evaluates a layer's shape rule at compile time, for every layer the
/// macro could not check itself: custom layers and nested models, and built-ins after them.
fn const_check(def: &ModelDef, layer: &PlannedLayer, in_ty: &TokenStream) -> Option<TokenStream> {
    let dims = quote!(<#in_ty as ::shaped::shape::Shape>::DIMS);
    let opaque_input = !matches!(layer.input, ShapeState::Known(_));
    let check = match &layer.op {
        Op::Custom { ty, declared, .. } => {
            let tr = layer_trait(&def.name, layer.decl.number);
            let base = quote_spanned!(layer_span(layer)=> <#ty as #tr>::CHECK);
            match declared {
                Some(d) => {
                    let declared_dims = d.iter().map(|d| match d {
                        Some(n) => quote!(::core::option::Option::Some(#n)),
                        None => quote!(::core::option::Option::None),
                    });
                    quote_spanned!(layer_span(layer)=> #base.and(::shaped::shape::Check::declared(
                        <<#ty as #tr>::Out as ::shaped::shape::Shape>::DIMS, &[#(#declared_dims),*])))
                }
                None => base,
            }
        }
        _ if !opaque_input => return None,
        Op::Dense { .. } => quote!(::shaped::shape::Check::known_last(#dims)),
        Op::Flatten => quote!(::shaped::shape::Check::all_static(#dims, "flatten it")),
        Op::Reshape { target } => {
            let known: usize = target.iter().flatten().product();
            let parts = target.iter().map(|d| match d {
                Some(n) => quote!(::core::option::Option::Some(#n)),
                None => quote!(::core::option::Option::None),
            });
            if target.contains(&None) {
                quote!(::shaped::shape::Check::numel_multiple(#dims, #known, &[#(#parts),*]))
            } else {
                quote!(::shaped::shape::Check::numel(#dims, #known, &[#(#parts),*]))
            }
        }
        Op::Activation { .. } | Op::Dropout { .. } => return None,
    };
    let model = def.name.to_string();
    let number = layer.decl.number;
    let display = &layer.display;
    Some(quote_spanned! {layer_span(layer)=>
        const _: () = {
            if let ::core::option::Option::Some(message) = #check.in_model(#model, #number, #display) {
                ::core::panic!("{}", message.as_str())
            }
        };
    })
}
