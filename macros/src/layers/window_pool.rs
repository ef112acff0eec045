//! Pooling over windows: `MaxPool1d`, `AvgPool1d` on `[steps, channels]`, `MaxPool2d`,
//! `AvgPool2d` on `[height, width, channels]`; `strides` default to `pool_size`, as in Keras.
//!
//! ```text
//! input: [26, 26, 16],
//! MaxPool2d(2),                        [26, 26, 16] → [13, 13, 16]
//! AvgPool2d(3, strides = 2, padding = same),   [13, 13, 16] → [7, 7, 16]
//! ```

use crate::layers::window::{read_window, window_config, window_message, window_tokens};
use crate::layers::{At, Builtin, ConfigValue, Follow, Init, LayerDef};
use proc_macro2::TokenStream;
use quote::quote;
use shaped_rules::{ConstDims, Fail, Window};

/// The parameters of every window pool, in Keras's order.
const PARAMS: &[&str] = &["pool_size", "strides", "padding"];

pub const MAX_POOL_1D: LayerDef = LayerDef {
    name: "MaxPool1d",
    auto_name: "max_pooling1d",
    params: PARAMS,
    build: |cx, args| {
        Some(Box::new(WindowPool {
            max: true,
            window: read_window(cx, args, 1, "pool_size", Some(2), false, false)?,
        }))
    },
};

pub const MAX_POOL_2D: LayerDef = LayerDef {
    name: "MaxPool2d",
    auto_name: "max_pooling2d",
    params: PARAMS,
    build: |cx, args| {
        Some(Box::new(WindowPool {
            max: true,
            window: read_window(cx, args, 2, "pool_size", Some(2), false, false)?,
        }))
    },
};

pub const AVG_POOL_1D: LayerDef = LayerDef {
    name: "AvgPool1d",
    auto_name: "average_pooling1d",
    params: PARAMS,
    build: |cx, args| {
        Some(Box::new(WindowPool {
            max: false,
            window: read_window(cx, args, 1, "pool_size", Some(2), false, false)?,
        }))
    },
};

pub const AVG_POOL_2D: LayerDef = LayerDef {
    name: "AvgPool2d",
    auto_name: "average_pooling2d",
    params: PARAMS,
    build: |cx, args| {
        Some(Box::new(WindowPool {
            max: false,
            window: read_window(cx, args, 2, "pool_size", Some(2), false, false)?,
        }))
    },
};

/// A max or average pool over `window`.
struct WindowPool {
    max: bool,
    window: Window,
}

impl Builtin for WindowPool {
    fn config(&self) -> Vec<(&'static str, ConfigValue)> {
        window_config(&self.window, "pool_size", false)
    }

    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
        shaped_rules::pool(input, self.window)
    }

    fn message(&self, fail: Fail, at: &At<'_>) -> String {
        window_message(fail, at, self.window.axes)
    }

    fn follow(&self, _prev: &TokenStream) -> Option<Follow> {
        None
    }

    fn rule_tokens(&self, input: TokenStream) -> TokenStream {
        let w = window_tokens(&self.window);
        quote!(::shaped::rules::pool(#input, #w))
    }

    fn stage_type(&self) -> TokenStream {
        quote!(::shaped::layers::WindowPool)
    }

    fn stage_init(&self, _at: &Init<'_>) -> TokenStream {
        let w = window_tokens(&self.window);
        if self.max {
            quote!(::shaped::layers::WindowPool::max(#w))
        } else {
            quote!(::shaped::layers::WindowPool::avg(#w))
        }
    }
}
