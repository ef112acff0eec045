//! Preprocessing layers, whose state `adapt` learns from data: `Normalization(invert = false)`,
//! the feature-wise standardisation over the last axis.
//!
//! ```text
//! input: [4],
//! Normalization,            [4] → [4]      (mean and variance from `model.adapt(&x)`)
//! ```

use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::layers::{fmt_dims, At, Builtin, Follow, Init, LayerDef};
use proc_macro2::TokenStream;
use quote::quote;
use shaped_rules::{ConstDims, Fail};
use syn::spanned::Spanned;

pub const NORMALIZATION: LayerDef = LayerDef {
    name: "Normalization",
    auto_name: "normalization",
    params: &["axis", "invert"],
    build: |cx, args| Some(Box::new(Normalization::read(cx, args)?)),
};

/// `Normalization(axis = -1, invert)`.
struct Normalization {
    invert: bool,
}

impl Normalization {
    fn read(cx: &Ctxt, args: &Args<'_>) -> Option<Normalization> {
        let axis = args.axis(cx, "axis", -1)?;
        if axis != -1 {
            let span = args.get("axis").map_or(args.span(), |v| v.expr.span());
            cx.error(span, format!("`Normalization` standardises each feature of the last axis: `axis` must be -1, but is {axis}"));
            return None;
        }
        Some(Normalization { invert: args.flag(cx, "invert", false)? })
    }
}

impl Builtin for Normalization {
    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
        shaped_rules::normalization(input)
    }

    fn message(&self, _fail: Fail, at: &At<'_>) -> String {
        let mut example = at.input.to_vec();
        if let Some(last) = example.last_mut() {
            *last = Some(4);
        }
        let fix = at.previous.fix_input(&example, |l| format!("; declare it, like {l}"));
        format!(
            "`{}` needs a known last dimension (one mean and variance per feature), but its input is {}{fix}",
            at.display,
            fmt_dims(at.input)
        )
    }

    fn follow(&self, prev: &TokenStream) -> Option<Follow> {
        Some(Follow { ty: prev.clone(), bounds: Vec::new() })
    }

    fn rule_tokens(&self, input: TokenStream) -> TokenStream {
        quote!(::shaped::rules::normalization(#input))
    }

    fn stage_type(&self) -> TokenStream {
        quote!(::shaped::layers::Normalization)
    }

    fn stage_init(&self, at: &Init<'_>) -> TokenStream {
        let (features, invert) = (at.last_dim(), self.invert);
        quote!(::shaped::layers::Normalization::new(#features, #invert))
    }
}
