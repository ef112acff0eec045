//! Pooling over the time axis: `GlobalAvgPool1d` (the mean of the real steps) and
//! `GlobalMaxPool1d` (the max of the real steps).
//!
//! ```text
//! input: [None, 12],
//! GlobalAvgPool1d,       [None, 12] → [12]
//! ```

use crate::layers::{fmt_dims, At, Builtin, Follow, Init, LayerDef};
use proc_macro2::TokenStream;
use quote::quote;
use shaped_rules::{ConstDims, Fail};

pub const GLOBAL_AVG_POOL_1D: LayerDef = LayerDef {
    name: "GlobalAvgPool1d",
    auto_name: "global_average_pooling1d",
    params: &[],
    build: |_, _| Some(Box::new(GlobalPool { max: false })),
};

pub const GLOBAL_MAX_POOL_1D: LayerDef = LayerDef {
    name: "GlobalMaxPool1d",
    auto_name: "global_max_pooling1d",
    params: &[],
    build: |_, _| Some(Box::new(GlobalPool { max: true })),
};

/// `GlobalAvgPool1d` or `GlobalMaxPool1d`.
struct GlobalPool {
    max: bool,
}

impl Builtin for GlobalPool {
    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
        shaped_rules::global_pool_1d(input)
    }

    fn message(&self, _fail: Fail, at: &At<'_>) -> String {
        let display = at.display;
        match at.input {
            [Some(_)] => format!(
                "`{display}` pools over the steps of [timesteps, features], but {}, which has no time axis to pool over; remove `{display}`",
                at.previous
            ),
            dims => format!(
                "`{display}` pools over the steps of [timesteps, features], but its input is {}{}",
                fmt_dims(dims),
                at.previous.one_value_per_step(dims)
            ),
        }
    }

    fn follow(&self, _prev: &TokenStream) -> Option<Follow> {
        None
    }

    fn rule_tokens(&self, input: TokenStream) -> TokenStream {
        quote!(::shaped::rules::global_pool_1d(#input))
    }

    fn stage_type(&self) -> TokenStream {
        if self.max {
            quote!(::shaped::layers::GlobalMaxPool1d)
        } else {
            quote!(::shaped::layers::GlobalAvgPool1d)
        }
    }

    fn stage_init(&self, _at: &Init<'_>) -> TokenStream {
        if self.max {
            quote!(::shaped::layers::GlobalMaxPool1d::masked())
        } else {
            quote!(::shaped::layers::GlobalAvgPool1d::new())
        }
    }
}
