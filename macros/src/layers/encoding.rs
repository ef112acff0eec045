//! `output_mode`, what the preprocessing layers that make categories share (`CategoryEncoding`,
//! `Discretization`, `StringLookup`, `IntegerLookup`, `Hashing`): `int` (one index per token),
//! or an encoding of a sample's indices, `one_hot`, `multi_hot` or `count`, `depth` wide.

use crate::args::Args;
use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;
use quote::quote;
use shaped_rules::{ConstDims, Fail};

/// How a sample's category indices are encoded; `None` where a layer takes `int`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    OneHot,
    MultiHot,
    Count,
}

/// `output_mode`, `default` when not given; `int` (as `None`) only when `int_allowed`.
pub fn read_output_mode(
    cx: &Ctxt,
    args: &Args<'_>,
    int_allowed: bool,
    default: Option<Encoding>,
) -> Option<Option<Encoding>> {
    let encoded = [
        ("one_hot", Some(Encoding::OneHot)),
        ("multi_hot", Some(Encoding::MultiHot)),
        ("count", Some(Encoding::Count)),
    ];
    if int_allowed {
        let choices = [("int", None), encoded[0], encoded[1], encoded[2]];
        args.choice(cx, "output_mode", &choices, default, "`int`, `one_hot`, `multi_hot` or `count`")
    } else {
        args.choice(cx, "output_mode", &encoded, default, "`one_hot`, `multi_hot` or `count`")
    }
}

/// Keras's name of the mode: `int`, `one_hot`, `multi_hot`, `count`.
pub fn keras_name(mode: Option<Encoding>) -> &'static str {
    match mode {
        None => "int",
        Some(Encoding::OneHot) => "one_hot",
        Some(Encoding::MultiHot) => "multi_hot",
        Some(Encoding::Count) => "count",
    }
}

/// Tokens of the runtime's `EncodingMode`.
pub fn tokens(mode: Encoding) -> TokenStream {
    match mode {
        Encoding::OneHot => quote!(::shaped::layers::EncodingMode::OneHot),
        Encoding::MultiHot => quote!(::shaped::layers::EncodingMode::MultiHot),
        Encoding::Count => quote!(::shaped::layers::EncodingMode::Count),
    }
}

/// Tokens of an `Option<EncodingMode>`, `None` for `int`.
pub fn option_tokens(mode: Option<Encoding>) -> TokenStream {
    match mode {
        Some(mode) => {
            let mode = tokens(mode);
            quote!(::core::option::Option::Some(#mode))
        }
        None => quote!(::core::option::Option::None),
    }
}

/// The output of `depth`-wide categories: the input's shape in `int` mode, else the
/// encoding's (`category_encoding`).
pub fn rule(mode: Option<Encoding>, input: &[Option<usize>], depth: usize) -> Result<ConstDims, Fail> {
    match mode {
        None => shaped_rules::same(input),
        Some(mode) => shaped_rules::category_encoding(input, depth, mode == Encoding::OneHot),
    }
}

/// [`rule`] as tokens over `input`, for the const tier.
pub fn rule_tokens(mode: Option<Encoding>, input: TokenStream, depth: usize) -> TokenStream {
    match mode {
        None => quote!(::shaped::rules::same(#input)),
        Some(mode) => {
            let one_hot = mode == Encoding::OneHot;
            quote!(::shaped::rules::category_encoding(#input, #depth, #one_hot))
        }
    }
}
