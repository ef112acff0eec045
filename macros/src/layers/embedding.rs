//! `Embedding(input_dim, output_dim, mask_zero = false)`: token ids to vectors, the first layer
//! of a model whose input is ids.
//!
//! ```text
//! input: u32[None],
//! Embedding(10000, 64, mask_zero = true),     [None] → [None, 64]
//! ```

use crate::layers::{fmt_dims, At, Builtin, Follow, Init, LayerDef};
use proc_macro2::TokenStream;
use quote::quote;
use shaped_rules::{ConstDims, Fail};

/// The largest vocabulary an `Embedding` may have: token ids travel as `f32`, exact up to 2^24.
const MAX_EXACT_ID: usize = 1 << 24;

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
        let input_dim = args.positive(cx, i, "input_dim", "the vocabulary size")?;
        if input_dim > MAX_EXACT_ID {
            cx.error(
                i.span(),
                format!("`Embedding` input_dim is {input_dim}, but this version of shaped carries token ids as `f32`, which holds every integer only up to {MAX_EXACT_ID} (2^24); hash or bucket the ids into at most {MAX_EXACT_ID}, or use `Embedding({MAX_EXACT_ID}, ..)`"),
            );
            return None;
        }
        let output_dim = args.positive(cx, o, "output_dim", "the size of each vector")?;
        let mask_zero = args.flag(cx, "mask_zero", false)?;
        Some(Box::new(Embedding { input_dim, output_dim, mask_zero }))
    },
};

/// `Embedding(input_dim, output_dim, mask_zero)`.
pub struct Embedding {
    input_dim: usize,
    output_dim: usize,
    mask_zero: bool,
}

impl Builtin for Embedding {
    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
        shaped_rules::embedding(input, self.output_dim)
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

    fn ids_below(&self) -> Option<usize> {
        Some(self.input_dim)
    }

    fn follow(&self, _prev: &TokenStream) -> Option<Follow> {
        None
    }

    fn rule_tokens(&self, input: TokenStream) -> TokenStream {
        let output_dim = self.output_dim;
        quote!(::shaped::rules::embedding(#input, #output_dim))
    }

    fn stage_type(&self) -> TokenStream {
        quote!(::shaped::layers::Embedding)
    }

    fn stage_init(&self, at: &Init<'_>) -> TokenStream {
        let Embedding { input_dim, output_dim, mask_zero } = *self;
        let rng = at.rng();
        quote!(::shaped::layers::Embedding::new(#input_dim, #output_dim, #mask_zero, #rng))
    }
}
