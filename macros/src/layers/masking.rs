//! `Masking(mask_value = 0.0)`: marks the steps whose features all equal `mask_value` as padding.
//!
//! ```text
//! input: [None, 12],
//! Masking(0.0),          [None, 12] → [None, 12], with a mask
//! ```

use crate::layers::{fmt_dims, At, Builtin, ConfigValue, Follow, Init, LayerDef};
use proc_macro2::TokenStream;
use quote::quote;
use shaped_rules::{ConstDims, Fail};

pub const MASKING: LayerDef = LayerDef {
    name: "Masking",
    auto_name: "masking",
    params: &["mask_value"],
    build: |cx, args| {
        let value = match args.get("mask_value") {
            Some(v) => args.float(cx, v, "mask_value")?,
            None => 0.0,
        };
        Some(Box::new(Masking { value }))
    },
};

/// `Masking(mask_value)`.
struct Masking {
    value: f64,
}

impl Builtin for Masking {
    fn config(&self) -> Vec<(&'static str, ConfigValue)> {
        vec![("mask_value", ConfigValue::float(self.value))]
    }

    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
        shaped_rules::masking(input)
    }

    fn message(&self, _fail: Fail, at: &At<'_>) -> String {
        let fix = at.previous.one_value_per_step(at.input);
        format!(
            "`{}` masks steps of a sequence, [timesteps, features], but its input is {}{fix}",
            at.display,
            fmt_dims(at.input)
        )
    }

    fn follow(&self, _prev: &TokenStream) -> Option<Follow> {
        None
    }

    fn rule_tokens(&self, input: TokenStream) -> TokenStream {
        quote!(::shaped::rules::masking(#input))
    }

    fn stage_type(&self) -> TokenStream {
        quote!(::shaped::layers::Masking)
    }

    fn stage_init(&self, _at: &Init<'_>) -> TokenStream {
        let value = self.value as f32;
        quote!(::shaped::layers::Masking::new(#value))
    }
}
