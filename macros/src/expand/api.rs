//! The model's typed entry points beyond its layers: `predict` on plain arrays, the plain types
//! of one input and one output sample, and the methods that explain `fit` on a model that was
//! not compiled.

use crate::ast::{DType, ModelDef};
use crate::expand::types::{sample_array, Types};
use crate::layers::fmt_dims;
use crate::plan::{Plan, ShapeState};
use crate::size::Size;
use proc_macro2::{Ident, TokenStream};
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

/// The plain Rust types of one sample of every input and output, and the items that give them
/// for a model with several: an input struct (`RecommenderInput`, one field per input), an
/// output struct (`RecommenderOutput`), and for training, a labels struct
/// (`RecommenderLabels<Y0, Y1>`, one label per output) and a losses struct
/// (`RecommenderLosses<L0, L1>`, one `OutputLoss` per output).
pub struct Io {
    /// One sample of every input: a sample type, or the input struct.
    pub input: Option<TokenStream>,
    /// One sample of every output: a sample type, or the output struct; `None` when the macro
    /// does not know an output's shape.
    pub output: Option<TokenStream>,
    /// The structs and their trait impls.
    pub items: TokenStream,
    /// `compile` with one loss per output, for the model's inherent impl.
    pub compile: TokenStream,
}

/// The sample types and structs of `plan`'s inputs and outputs.
pub fn io(def: &ModelDef, plan: &Plan, types: &Types) -> Io {
    let ModelDef { vis, name, .. } = def;
    let inputs: Option<Vec<TokenStream>> =
        plan.inputs.iter().map(|i| input_sample(i.dtype, &i.sizes)).collect();
    let outputs: Option<Vec<TokenStream>> = plan
        .outputs
        .iter()
        .map(|&o| match &plan.layers[o].output {
            ShapeState::Known(dims) => output_sample(dims),
            // A shape from const expressions: the plain type of its computed dims.
            ShapeState::Const => Some(sample_of(&types.outs[o])),
            _ => None,
        })
        .collect();
    let mut items = TokenStream::new();
    let input = match inputs {
        Some(types) if types.len() == 1 => Some(types[0].clone()),
        Some(types) => {
            let st = format_ident!("{}Input", name);
            let fields: Vec<Ident> = plan.inputs.iter().map(|i| format_ident!("{}", i.name)).collect();
            let docs = plan.inputs.iter().map(|i| {
                format!("Input `{}`: {}{} per sample.", i.name, i.dtype.written(), fmt_sizes(&i.sizes))
            });
            let ks = 0..fields.len();
            let count = fields.len();
            let last = fields.last().expect("several inputs");
            let struct_doc = format!(
                "One sample of every input of [`{name}`], as `fit`, `evaluate` and `predict` take it."
            );
            items.extend(quote! {
                #[doc = #struct_doc]
                #[derive(Clone, Debug, PartialEq)]
                #vis struct #st {
                    #(#[doc = #docs] pub #fields: #types,)*
                }

                impl ::shaped::tensor::InputRow for #st {
                    const COUNT: usize = #count;

                    fn field(&self, k: usize) -> &dyn ::shaped::tensor::InputField {
                        match k {
                            #(#ks => &self.#fields,)*
                            _ => &self.#last,
                        }
                    }
                }
            });
            // A table's row when every input is one column (`[1]`): `Table::rows` reads it.
            let columns = plan.inputs.iter().all(|i| matches!(i.sizes.as_slice(), [Some(Size::Lit(1))]));
            if columns {
                let names = plan.inputs.iter().map(|i| i.name.as_str());
                let ks = 0..fields.len();
                items.extend(quote! {
                    impl ::shaped::data::TableRow for #st {
                        const COLUMNS: &'static [&'static str] = &[#(#names),*];

                        fn from_cells(cells: &[&str]) -> ::core::result::Result<Self, (usize, ::std::string::String)> {
                            if cells.len() != #count {
                                return ::core::result::Result::Err((0, ::std::format!("the row has {} cells for {} columns", cells.len(), #count)));
                            }
                            ::core::result::Result::Ok(#st {
                                #(#fields: <#types as ::shaped::data::Cell>::parse(cells[#ks]).map_err(|why| (#ks, why))?,)*
                            })
                        }
                    }
                });
            }
            Some(quote!(#st))
        }
        None => None,
    };
    let mut compile = TokenStream::new();
    let output = match outputs {
        Some(types) if types.len() == 1 => Some(types[0].clone()),
        Some(types) => {
            let names: Vec<Ident> =
                plan.outputs.iter().map(|&o| format_ident!("{}", plan.layers[o].name)).collect();
            let js: Vec<usize> = (0..names.len()).collect();
            let count = names.len();
            let last = names.last().expect("several outputs");
            let out_st = format_ident!("{}Output", name);
            let labels_st = format_ident!("{}Labels", name);
            let losses_st = format_ident!("{}Losses", name);
            let ls: Vec<Ident> = js.iter().map(|j| format_ident!("__ShapedL{}", j)).collect();
            let ys: Vec<Ident> = js.iter().map(|j| format_ident!("__ShapedY{}", j)).collect();
            let out_docs = plan.outputs.iter().map(|&o| match &plan.layers[o].output {
                ShapeState::Known(dims) => format!(
                    "Output `{}` (`{}`): {} per sample.",
                    plan.layers[o].name,
                    plan.layers[o].display,
                    fmt_dims(dims)
                ),
                _ => String::new(),
            });
            let out_docs: Vec<String> = out_docs.collect();
            let (out_doc, labels_doc, losses_doc) = (
                format!("One prediction of every output of [`{name}`], as `predict` returns it."),
                format!("One sample's label for every output of [`{name}`], as `fit`, `evaluate` and `train_on_batch` take them: each field's type is checked against its output's loss (the output's own array for `CategoricalCrossentropy`, `BinaryCrossentropy` and the regression losses, a `u32` class id for `SparseCategoricalCrossentropy`)."),
                format!("The loss, loss weight and metrics of every output of [`{name}`], for its `compile`."),
            );
            items.extend(quote! {
                #[doc = #out_doc]
                #[derive(Clone, Debug, PartialEq)]
                #vis struct #out_st {
                    #(#[doc = #out_docs] pub #names: #types,)*
                }

                impl ::shaped::tensor::OutputRow for #out_st {
                    const COUNT: usize = #count;

                    fn layout(j: usize) -> (usize, bool) {
                        match j {
                            #(#js => (
                                <#types as ::shaped::tensor::OutputSample>::STEP_LEN,
                                <#types as ::shaped::tensor::OutputSample>::SEQUENCE,
                            ),)*
                            _ => (0, false),
                        }
                    }

                    fn from_outputs(outputs: &[&[f32]], extents: &[::shaped::tensor::OutputExtent]) -> Self {
                        #out_st {
                            #(#names: <#types as ::shaped::tensor::OutputSample>::from_padded(outputs[#js], extents[#js]),)*
                        }
                    }
                }

                #[doc = #labels_doc]
                #[derive(Clone, Debug, PartialEq)]
                #vis struct #labels_st<#(#ys),*> {
                    #(#[doc = #out_docs] pub #names: #ys,)*
                }

                impl<#(#ls,)* #(#ys),*> ::shaped::train::LabelRow<#losses_st<#(#ls),*>, #out_st> for #labels_st<#(#ys),*>
                where
                    #(#ys: ::shaped::train::labels::Labels<#ls, #types>,)*
                {
                    const COUNT: usize = #count;

                    fn sparse(j: usize) -> bool {
                        match j {
                            #(#js => <#ys as ::shaped::train::labels::Labels<#ls, #types>>::SPARSE,)*
                            _ => false,
                        }
                    }

                    fn steps(&self, j: usize) -> ::core::option::Option<usize> {
                        match j {
                            #(#js => <#ys as ::shaped::train::labels::Labels<#ls, #types>>::steps(&self.#names),)*
                            _ => ::core::option::Option::None,
                        }
                    }

                    fn write(&self, j: usize, steps: usize, dense: &mut [f32], ids: &mut [u32]) {
                        match j {
                            #(#js => <#ys as ::shaped::train::labels::Labels<#ls, #types>>::write(&self.#names, steps, dense, ids),)*
                            _ => {}
                        }
                    }

                    fn first_non_finite(&self, j: usize) -> ::core::option::Option<(usize, f32)> {
                        match j {
                            #(#js => <#ys as ::shaped::train::labels::Labels<#ls, #types>>::first_non_finite(&self.#names),)*
                            _ => ::core::option::Option::None,
                        }
                    }

                    fn first_id_at_least(&self, j: usize, classes: usize) -> ::core::option::Option<(usize, u32)> {
                        match j {
                            #(#js => <#ys as ::shaped::train::labels::Labels<#ls, #types>>::first_id_at_least(&self.#names, classes),)*
                            _ => ::core::option::Option::None,
                        }
                    }
                }

                #[doc = #losses_doc]
                #vis struct #losses_st<#(#ls),*> {
                    #(#[doc = #out_docs] pub #names: ::shaped::train::OutputLoss<#ls>,)*
                }

                impl<#(#ls: ::shaped::train::loss::Loss),*> ::shaped::train::Heads for #losses_st<#(#ls),*> {
                    const COUNT: usize = #count;

                    fn head(&self, j: usize) -> ::shaped::train::heads::HeadRef<'_> {
                        match j {
                            #(#js => ::shaped::train::heads::HeadRef::from(&self.#names),)*
                            _ => ::shaped::train::heads::HeadRef::from(&self.#last),
                        }
                    }
                }
            });
            let must_use = format!("`compile` takes the model and returns it ready to train; keep what it returns: `let mut model = {name}::new(seed).compile(optimizer, {losses_st} {{ .. }})?;`");
            compile = quote! {
                /// Keras's `compile` for a model with several outputs: one loss (with its weight
                /// in the total loss, and metrics) per output. Returns the model that trains.
                #[must_use = #must_use]
                #vis fn compile<#(#ls: ::shaped::train::loss::Loss),*>(
                    self,
                    optimizer: impl ::shaped::train::optim::IntoOptimizer,
                    losses: #losses_st<#(#ls),*>,
                ) -> ::shaped::Result<::shaped::train::Compiled<Self, ::shaped::train::Multi<#losses_st<#(#ls),*>>>> {
                    ::core::result::Result::Ok(::shaped::train::Compiled::with_losses(
                        self,
                        ::shaped::train::optim::IntoOptimizer::into_optimizer(optimizer)?,
                        losses,
                    ))
                }
            };
            Some(quote!(#out_st))
        }
        None => None,
    };
    Io { input, output, items, compile }
}

/// The plain Rust type of one sample of the shape type `ty`, chosen by the compiler from its
/// dims (`shaped::tensor::SampleOf`): for shapes the macro cannot compute itself.
pub fn sample_of(ty: &TokenStream) -> TokenStream {
    let dims = quote!(<#ty as ::shaped::shape::Shape>::DIMS);
    quote! {
        <::shaped::tensor::SampleOf<
            { ::shaped::tensor::sample_kind(#dims) },
            { ::shaped::tensor::sample_dim(#dims, 0) },
            { ::shaped::tensor::sample_dim(#dims, 1) },
            { ::shaped::tensor::sample_dim(#dims, 2) },
        > as ::shaped::tensor::PickSample>::Sample
    }
}

/// `predict` on plain values, for models whose inputs the macro can type. When the macro knows
/// the output too, the return type is its type (`Vec<[f32; 10]>`, or the output struct); after
/// a custom layer it cannot see through, the caller names the array and a wrong size is an
/// `Err`.
pub fn predict_method(vis: &syn::Visibility, plan: &Plan, io: &Io) -> Option<TokenStream> {
    let x = io.input.as_ref()?;
    let doc_in = match plan.inputs.as_slice() {
        [one] => format!("one {}{} sample", one.dtype.written(), fmt_sizes(&one.sizes)),
        _ => "one sample of every input".to_string(),
    };
    Some(match &io.output {
        Some(y) => {
            let doc_out = match plan.outputs.as_slice() {
                [o] => match &plan.layers[*o].output {
                    ShapeState::Known(out) => format!("one {} prediction", fmt_dims(out)),
                    _ => "one prediction".to_string(),
                },
                _ => "one prediction of every output".to_string(),
            };
            quote! {
                /// Predicts one output per sample, in batches of 32 (Keras's default); sequences are
                /// padded per batch and masked, and a sequence output keeps each sample's own steps.
                ///
                #[doc = concat!("Input: ", #doc_in, " per element; output: ", #doc_out, " per sample.")]
                #vis fn predict(&mut self, x: &[#x]) -> ::shaped::Result<::std::vec::Vec<#y>> {
                    ::shaped::model::predict_samples(self, x, ::shaped::model::DEFAULT_BATCH_SIZE)
                }
            }
        }
        None if plan.outputs.len() == 1 => quote! {
            /// Predicts one output per sample, in batches of 32 (Keras's default).
            ///
            #[doc = concat!("Input: ", #doc_in, " per element. The output type `Y` must hold the")]
            /// model's output size; a different size is an `Err` naming both.
            #vis fn predict<__ShapedY: ::shaped::tensor::OutputSample>(&mut self, x: &[#x]) -> ::shaped::Result<::std::vec::Vec<__ShapedY>> {
                ::shaped::model::predict_samples(self, x, ::shaped::model::DEFAULT_BATCH_SIZE)
            }
        },
        None => return None,
    })
}

/// `adapt` on plain values, for models whose inputs the macro can type: Keras's `adapt` for
/// every layer that learns from data (`Normalization`).
pub fn adapt_method(vis: &syn::Visibility, io: &Io) -> Option<TokenStream> {
    let x = io.input.as_ref()?;
    Some(quote! {
        /// Adapts every layer that learns its state from data (`Normalization`) to `x`, in
        /// order, each on what reaches it through the layers before it (Keras's `adapt`); see
        /// `shaped::model::adapt`. Call it before `compile`.
        #vis fn adapt(&mut self, x: &[#x]) -> ::shaped::Result<()> {
            ::shaped::model::adapt(self, x)
        }
    })
}

/// The Rust type of one sample of an input: a fixed array for a static input (rank 1 to 3),
/// `Vec<[f32; F]>` for `[None, F]`, `Image<C>` for an image with a runtime side (`[None, None,
/// C]`); for token ids, `u32` for `u32[1]`, `[u32; N]` for
/// `u32[N]` and `Vec<u32>` for `u32[None]`; `String`, `Option<f32>` and `Option<String>` for
/// `String[1]`, `Option<f32>[1]` and `Option<String>[1]`. A size may be a const expression:
/// `input: [FEATURES]` takes `[f32; FEATURES]`.
pub fn input_sample(dtype: DType, sizes: &[Option<Size>]) -> Option<TokenStream> {
    match (dtype, sizes) {
        (DType::Text, [Some(Size::Lit(1))]) => Some(quote!(::std::string::String)),
        (DType::OptionalText, [Some(Size::Lit(1))]) => {
            Some(quote!(::core::option::Option<::std::string::String>))
        }
        (DType::OptionalF32, [Some(Size::Lit(1))]) => Some(quote!(::core::option::Option<f32>)),
        (DType::Text | DType::OptionalText | DType::OptionalF32, _) => None,
        (DType::U32, [None]) => Some(quote!(::std::vec::Vec<u32>)),
        (DType::U32, [Some(Size::Lit(1))]) => Some(quote!(u32)),
        (DType::U32, [Some(n)]) => {
            let n = n.tokens();
            Some(quote!([u32; #n]))
        }
        (DType::U32, _) => None,
        (DType::F32, [None, Some(f)]) => {
            let f = f.tokens();
            Some(quote!(::std::vec::Vec<[f32; #f]>))
        }
        (DType::F32, [h, w, Some(c)]) if h.is_none() || w.is_none() => {
            let c = c.tokens();
            Some(quote!(::shaped::tensor::Image<#c>))
        }
        (DType::F32, sizes) => {
            if sizes.is_empty() || sizes.len() > 3 {
                return None;
            }
            let mut ty = quote!(f32);
            for s in sizes.iter().rev() {
                let n = s.as_ref()?.tokens();
                ty = quote!([#ty; #n]);
            }
            Some(ty)
        }
    }
}

/// `[FEATURES, None]`: sizes as written.
fn fmt_sizes(sizes: &[Option<Size>]) -> String {
    let parts: Vec<String> =
        sizes.iter().map(|s| s.as_ref().map_or("None".to_string(), Size::to_string)).collect();
    format!("[{}]", parts.join(", "))
}
/// The Rust type of one output sample: a fixed array, or `Vec<[f32; C]>` for a sequence
/// output `[None, C]`.
pub fn output_sample(dims: &[Option<usize>]) -> Option<TokenStream> {
    match dims {
        [None, Some(c)] => Some(quote!(::std::vec::Vec<[f32; #c]>)),
        [h, w, Some(c)] if h.is_none() || w.is_none() => Some(quote!(::shaped::tensor::Image<#c>)),
        _ => sample_array(dims),
    }
}
