//! Global pooling: `GlobalAvgPool1d` / `GlobalMaxPool1d` over the steps of a sequence (the
//! mean or max of the real steps), `GlobalAvgPool2d` / `GlobalMaxPool2d` over the pixels of an
//! image (of the real pixels, for images of different sizes).
//!
//! ```text
//! input: [None, 12],
//! GlobalAvgPool1d,       [None, 12] → [12]
//! input: [None, None, 3],
//! GlobalMaxPool2d,       [None, None, 3] → [3]
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

pub const GLOBAL_AVG_POOL_2D: LayerDef = LayerDef {
    name: "GlobalAvgPool2d",
    auto_name: "global_average_pooling2d",
    params: &[],
    build: |_, _| Some(Box::new(GlobalPool2d { max: false })),
};

pub const GLOBAL_MAX_POOL_2D: LayerDef = LayerDef {
    name: "GlobalMaxPool2d",
    auto_name: "global_max_pooling2d",
    params: &[],
    build: |_, _| Some(Box::new(GlobalPool2d { max: true })),
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

/// `GlobalAvgPool2d` or `GlobalMaxPool2d`.
struct GlobalPool2d {
    max: bool,
}

impl Builtin for GlobalPool2d {
    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
        shaped_rules::global_pool_2d(input)
    }

    fn message(&self, _fail: Fail, at: &At<'_>) -> String {
        let display = at.display;
        let fix = match at.input {
            [_, _] => format!(
                "; for a sequence use `{}`",
                if self.max { "GlobalMaxPool1d" } else { "GlobalAvgPool1d" }
            ),
            _ => String::new(),
        };
        format!("`{display}` pools over the pixels of [height, width, channels], but {}{fix}", at.previous)
    }

    fn follow(&self, _prev: &TokenStream) -> Option<Follow> {
        None
    }

    fn rule_tokens(&self, input: TokenStream) -> TokenStream {
        quote!(::shaped::rules::global_pool_2d(#input))
    }

    fn stage_type(&self) -> TokenStream {
        quote!(::shaped::layers::GlobalPool2d)
    }

    fn stage_init(&self, _at: &Init<'_>) -> TokenStream {
        if self.max {
            quote!(::shaped::layers::GlobalPool2d::max())
        } else {
            quote!(::shaped::layers::GlobalPool2d::avg())
        }
    }
}
