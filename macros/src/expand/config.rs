//! The model's configuration for whole-model files: `Network::NODES`, one
//! `::shaped::model::NodeSpec` per node with its name, class, what it reads and its arguments
//! with Keras's defaults filled in (each built-in's [`Builtin::config`]). A size written as a
//! const expression stays an expression, which the compiler evaluates in the const.
//!
//! For
//!
//! ```text
//! input: [4],
//! hidden: Dense(8, activation = relu),
//! Dense(2),
//! ```
//!
//! it emits `&[NodeSpec { name: "hidden", class: "Dense", inbound: &["input"], args: &[("units",
//! ConfigArg::Json("8")), ("activation", ConfigArg::Json("\"relu\"")), ("use_bias",
//! ConfigArg::Json("true"))], custom: false, shares: None }, ..]`.
//!
//! [`Builtin::config`]: crate::layers::Builtin::config

use crate::ast::LayerBody;
use crate::layers::config_tokens;
use crate::plan::{Op, Plan, Src};
use proc_macro2::TokenStream;
use quote::quote;

/// The tokens of `Network::NODES`' value.
pub fn nodes(plan: &Plan) -> TokenStream {
    let nodes = plan.layers.iter().enumerate().map(|(i, layer)| {
        let name = &layer.name;
        let class = class_name(plan, i);
        let inbound = layer.sources.iter().map(|src| match *src {
            Src::Input(k) => plan.inputs[k].name.clone(),
            Src::Node(j) => plan.layers[j].name.clone(),
        });
        let (args, custom, shares) = match &layer.op {
            Op::Builtin(builtin) => {
                (config_tokens(&builtin.config()), false, quote!(::core::option::Option::None))
            }
            Op::Custom { .. } => (quote!(&[]), true, quote!(::core::option::Option::None)),
            Op::Shared { owner } => {
                let owner = &plan.layers[*owner].name;
                (quote!(&[]), false, quote!(::core::option::Option::Some(#owner)))
            }
        };
        quote! {
            ::shaped::model::NodeSpec {
                name: #name,
                class: #class,
                inbound: &[#(#inbound),*],
                args: #args,
                custom: #custom,
                shares: #shares,
            }
        }
    });
    quote!(&[#(#nodes),*])
}

/// Node `i`'s class: the built-in's name, the custom type's last path segment, or for a node
/// applying another's layer, that layer's class.
fn class_name(plan: &Plan, i: usize) -> String {
    match &plan.layers[plan.owner(i)].decl.body {
        LayerBody::Builtin(call) => call.ident.to_string(),
        LayerBody::Custom { ty, .. } => ty.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
        LayerBody::Shared(owner) => owner.to_string(),
    }
}
