//! `Embedding(input_dim, output_dim, mask_zero = false)`: token ids to vectors, the first layer
//! of a model whose input is ids.
//!
//! ```text
//! input: u32[None],
//! Embedding(10000, 64, mask_zero = true),     [None] → [None, 64]
//! ```

use crate::layers::{fmt_dims, At, Builtin, ConfigValue, Follow, Init, LayerDef};
use crate::size::Size;
use proc_macro2::TokenStream;
use quote::quote;
use shaped_rules::{ConstDims, Fail};

pub const EMBEDDING: LayerDef = LayerDef {
    name: "Embedding",
    auto_name: "embedding",
    params: &["input_dim", "output_dim", "mask_zero"],
    build: |cx, args| {
        let (Some(i), Some(o)) = (args.get("input_dim"), args.get("output_dim")) else {
            cx.error(
                args.span(),
                "`Embedding` needs the vocabulary size and the vector size: `Embedding(10000, 64)` (ids must be below the first; with `mask_zero = true`, 0 is padding)",
            );
            return None;
        };
        let input_dim = args.size(cx, i, "input_dim", "the vocabulary size")?;
        let output_dim = args.size(cx, o, "output_dim", "the size of each vector")?;
        let mask_zero = args.flag(cx, "mask_zero", false)?;
        Some(Box::new(Embedding { input_dim, output_dim, mask_zero }))
    },
};

/// `Embedding(input_dim, output_dim, mask_zero)`. Token ids are `u32` all the way to the
/// lookup, so any vocabulary a `u32` can index is exact.
pub struct Embedding {
    input_dim: Size,
    output_dim: Size,
    mask_zero: bool,
}

impl Builtin for Embedding {
    fn config(&self) -> Vec<(&'static str, ConfigValue)> {
        vec![
            ("input_dim", ConfigValue::size(&self.input_dim)),
            ("output_dim", ConfigValue::size(&self.output_dim)),
            ("mask_zero", ConfigValue::plain(self.mask_zero)),
        ]
    }

    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
        // Called only when the sizes are literals (see `const_sizes`).
        shaped_rules::embedding(input, self.output_dim.known().unwrap_or(1))
    }

    fn const_sizes(&self) -> Vec<(&'static str, &Size)> {
        [("input_dim", &self.input_dim), ("output_dim", &self.output_dim)]
            .into_iter()
            .filter(|(_, s)| s.known().is_none())
            .collect()
    }

    fn message(&self, _fail: Fail, at: &At<'_>) -> String {
        let fix =
            at.previous.fix_input(&[None], |l| format!("; declare the input as {l}, one token id per step"));
        format!(
            "`{}` takes one token id per step, [length], but its input is {}{fix}",
            at.display,
            fmt_dims(at.input)
        )
    }

    fn ids_below(&self) -> Option<Size> {
        Some(self.input_dim.clone())
    }

    fn follow(&self, _prev: &TokenStream) -> Option<Follow> {
        None
    }

    fn rule_tokens(&self, input: TokenStream) -> TokenStream {
        let output_dim = self.output_dim.tokens();
        quote!(::shaped::rules::embedding(#input, #output_dim))
    }

    fn stage_type(&self) -> TokenStream {
        quote!(::shaped::layers::Embedding)
    }

    fn stage_init(&self, at: &Init<'_>) -> TokenStream {
        let (input_dim, output_dim, mask_zero) =
            (self.input_dim.tokens(), self.output_dim.tokens(), self.mask_zero);
        let rng = at.rng();
        quote!(::shaped::layers::Embedding::new(#input_dim, #output_dim, #mask_zero, #rng))
    }
}
