//! The const tier: what the macro emits for layers it cannot see into. For each custom layer, a
//! diagnostic trait whose message names the layer and its input in plain words, and the trait
//! that builds it; for each boundary after one, a const fn giving its dims; for each layer whose
//! rule then needs evaluating (the custom layer's `CHECK`, a built-in's shared rule), a check
//! that becomes a const argument of the model's alias.

use crate::ast::ModelDef;
use crate::expand::types::{helper_ident, layer_param, out_fn_ident, Types};
use crate::layers::{fmt_dims, option_dims};
use crate::plan::{Op, Plan, PlannedLayer, ShapeState, Src};
use crate::size::dims_tokens;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote, quote_spanned};

/// For a custom layer: the trait that states, in plain words, that the layer has no `Layer`
/// impl for the shape it is given (instead of typenum's `UInt<…>` chains), and the trait that
/// builds the layer from the user's expression.
pub fn custom_helpers(
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
            let before = match layer.sources.first() {
                Some(Src::Node(j)) => j + 1,
                _ => number - 1,
            };
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

/// The dims of `src` in const code: an input's literal dims, or the out fn of a node.
fn dims_of(def: &ModelDef, plan: &Plan, src: Src) -> TokenStream {
    match src {
        Src::Input(k) => {
            let d = dims_tokens(&plan.inputs[k].sizes);
            quote!(::core::result::Result::<_, ::shaped::rules::Fail>::Ok(::shaped::rules::ConstDims::new(#d)))
        }
        Src::Node(j) => match &plan.layers[j].output {
            ShapeState::Known(dims) => {
                let d = option_dims(dims);
                quote!(::core::result::Result::<_, ::shaped::rules::Fail>::Ok(::shaped::rules::ConstDims::new(#d)))
            }
            _ => {
                let f = out_fn_ident(&def.name, j);
                quote!(#f())
            }
        },
    }
}

/// `const fn __shaped_out_{model}_{i}()`: the dims out of node `i`, for every node whose output
/// depends on a custom layer. A custom layer's output dims come from its `Layer::Out` through
/// a generic const fn called with the user's types; each built-in after it transforms the dims
/// in const code, so no check has to re-solve the type chain.
pub fn dims_fns(
    def: &ModelDef,
    plan: &Plan,
    types: &Types,
    params: &[Ident],
    concrete: &[&syn::Path],
) -> Vec<TokenStream> {
    let mut out = Vec::new();
    for (i, layer) in plan.layers.iter().enumerate() {
        // Every node whose shape is a const expression's (its type reads it), and every node
        // after a custom layer that a later node reads (whose input may need checking).
        let read = plan.layers.iter().any(|l| l.sources.contains(&Src::Node(i)));
        let constant = layer.output == ShapeState::Const;
        if !(constant || types.generic_output[i] && read) {
            continue;
        }
        let this = out_fn_ident(&def.name, i);
        let body = match &layer.op {
            Op::Custom { declared: Some(d), .. } if constant => {
                let d = dims_tokens(d);
                quote!(::core::result::Result::Ok(::shaped::rules::ConstDims::new(#d)))
            }
            Op::Custom { .. } => {
                let n = types.earlier[i].0.len() + 1;
                let nb = types.earlier[i].1.len() + 1;
                let (ps, cs, bs) = (&params[..n], &concrete[..n], &types.shape_bounds[..nb]);
                let out_ty = &types.outs[i];
                // Named like every check's helper, with the same bounds: a missing `Layer` impl
                // is then the same diagnostic everywhere, which rustc reports once.
                quote! {{
                    const fn __shaped_check<#(#ps),*>() -> ::shaped::rules::ConstDims where #(#bs),* {
                        ::shaped::rules::ConstDims::new(<#out_ty as ::shaped::shape::Shape>::DIMS)
                    }
                    ::core::result::Result::Ok(__shaped_check::<#(#cs),*>())
                }}
            }
            Op::Shared { owner } => {
                let f = out_fn_ident(&def.name, *owner);
                quote!(#f())
            }
            Op::Builtin(builtin) => with_inputs(
                def,
                plan,
                layer,
                |ins| {
                    let rule = builtin.rule_tokens_many(ins);
                    quote!(#rule)
                },
                quote!(::core::result::Result::Err(fail)),
            ),
        };
        out.push(quote! {
            #[doc(hidden)]
            #[allow(non_snake_case)]
            const fn #this() -> ::core::result::Result<::shaped::rules::ConstDims, ::shaped::rules::Fail> { #body }
        });
    }
    out
}

/// `body` with the dims of each of `layer`'s sources bound (as `&[Option<usize>]` tokens, in
/// order), inside one `match` per source; `on_fail` (which may read `fail`) when a source's own
/// rule failed.
fn with_inputs(
    def: &ModelDef,
    plan: &Plan,
    layer: &PlannedLayer,
    body: impl FnOnce(&[TokenStream]) -> TokenStream,
    on_fail: TokenStream,
) -> TokenStream {
    let vars: Vec<Ident> = (0..layer.sources.len()).map(|k| format_ident!("input_{}", k)).collect();
    let slices: Vec<TokenStream> = vars.iter().map(|v| quote!(#v.as_slice())).collect();
    let mut tokens = body(&slices);
    for (src, var) in layer.sources.iter().zip(&vars).rev() {
        let dims = dims_of(def, plan, *src);
        tokens = quote! {
            match #dims {
                ::core::result::Result::Ok(#var) => #tokens,
                ::core::result::Result::Err(fail) => {
                    let _ = &fail;
                    #on_fail
                }
            }
        };
    }
    tokens
}

/// The shape rule a layer needs evaluated at compile time: a custom layer's `CHECK` (and its
/// declared output), or a built-in's rule when its input comes from a custom layer or a size
/// or shape is a const expression.
pub fn layer_check(
    def: &ModelDef,
    plan: &Plan,
    layer: &PlannedLayer,
    in_ty: &TokenStream,
    generic_input: bool,
) -> Option<TokenStream> {
    Some(match &layer.op {
        Op::Custom { declared, .. } => {
            let param = layer_param(layer.decl.number);
            let layer_ty = quote!(<#param as ::shaped::layers::Layer<#in_ty>>);
            match declared {
                Some(d) => {
                    let d = dims_tokens(d);
                    quote!(#layer_ty::CHECK.and(::shaped::shape::Check::declared(<#layer_ty::Out as ::shaped::shape::Shape>::DIMS, #d)))
                }
                None => quote!(#layer_ty::CHECK),
            }
        }
        Op::Shared { .. } => return None,
        _ if !generic_input && layer.output != ShapeState::Const => return None,
        Op::Builtin(builtin) => {
            // Each size written as a const expression is at least 1, as a literal must be.
            let sizes = builtin.const_sizes().into_iter().map(|(param, size)| {
                let (value, written) = (size.tokens(), size.to_string());
                quote!(::shaped::shape::Check::positive(#value, #param, #written))
            });
            let sizes: Vec<TokenStream> = sizes.collect();
            if sizes.is_empty() && !builtin.can_fail() {
                return None;
            }
            // An earlier layer's failure is that layer's error; this check passes then.
            let rule = with_inputs(
                def,
                plan,
                layer,
                |ins| {
                    let rule = builtin.rule_tokens_many(ins);
                    let first = &ins[0];
                    quote!(::shaped::shape::Check::from_rule(#rule, #first))
                },
                quote!(::shaped::shape::Check::Pass),
            );
            quote!(::shaped::shape::Check::Pass #(.and(#sizes))* .and(#rule))
        }
    })
}

/// The const argument of the model's alias that evaluates a layer's rule at compile time for
/// the user's layer types: `true`, or a const panic with the layer's message, spanned at its
/// line. The rule is a generic const fn over the custom layers' types, called with the user's
/// types, so a missing `Layer` impl is one error with the layer's message too. Either way the
/// argument, and so the model's type, is an error, which keeps code using the model quiet.
pub fn check_block(
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
    let span = layer.span();
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
