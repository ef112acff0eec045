//! Layers that keep the shape: `Activation(name)` and `Dropout(rate, seed)`.
//!
//! ```text
//! Activation(relu),      [..] → [..]
//! Dropout(0.2),          [..] → [..]   (inverted dropout while training)
//! ```

use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::layers::{activation_tokens, At, Builtin, ConfigValue, Follow, Init, LayerDef};
use proc_macro2::TokenStream;
use quote::quote;
use shaped_rules::{Activation as Kind, ConstDims, Fail};
use syn::spanned::Spanned;

pub const ACTIVATION: LayerDef = LayerDef {
    name: "Activation",
    auto_name: "activation",
    params: &["activation"],
    build: |cx, args| {
        let value =
            args.required(cx, "activation", "`Activation` needs the activation's name: `Activation(relu)`")?;
        Some(Box::new(Activation(crate::args::activation(cx, value)?)))
    },
};

pub const DROPOUT: LayerDef = LayerDef {
    name: "Dropout",
    auto_name: "dropout",
    params: &["rate", "seed"],
    build: |cx, args| Some(Box::new(Dropout::read(cx, args)?)),
};

/// `Activation(name)`.
struct Activation(Kind);

/// `Dropout(rate, seed)`.
struct Dropout {
    rate: f64,
    seed: Option<u64>,
}

impl Dropout {
    fn read(cx: &Ctxt, args: &Args<'_>) -> Option<Dropout> {
        let value = args.required(
            cx,
            "rate",
            "`Dropout` needs `rate`, the fraction of values to drop, as its first argument: `Dropout(0.2)`",
        )?;
        let rate = args.float(cx, value, "rate")?;
        if !(0.0..1.0).contains(&rate) {
            cx.error(
                value.expr.span(),
                format!("`Dropout` rate must be at least 0 and below 1, but is {rate}; it is the fraction of values dropped, like `Dropout(0.2)`"),
            );
            return None;
        }
        let seed = args.positive_or(cx, "seed", "a random seed", None)?.map(|s| s as u64);
        Some(Dropout { rate, seed })
    }
}

/// `Activation` and `Dropout` keep the shape: the rule cannot fail and the type follows unchanged.
macro_rules! keeps_shape {
    () => {
        fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
            shaped_rules::same(input)
        }

        fn message(&self, fail: Fail, at: &At<'_>) -> String {
            format!("`{}` {}", at.display, fail.message(at.input))
        }

        fn follow(&self, prev: &TokenStream) -> Option<Follow> {
            Some(Follow { ty: prev.clone(), bounds: Vec::new() })
        }

        fn rule_tokens(&self, input: TokenStream) -> TokenStream {
            quote!(::shaped::rules::same(#input))
        }

        fn can_fail(&self) -> bool {
            false
        }
    };
}

/// For the other layers that keep the shape (`Lambda`).
pub(crate) use keeps_shape;

impl Builtin for Activation {
    fn config(&self) -> Vec<(&'static str, ConfigValue)> {
        vec![("activation", ConfigValue::activation(self.0))]
    }

    keeps_shape!();

    fn stage_type(&self) -> TokenStream {
        quote!(::shaped::layers::Activation)
    }

    fn stage_init(&self, _at: &Init<'_>) -> TokenStream {
        activation_tokens(self.0)
    }
}

impl Builtin for Dropout {
    fn config(&self) -> Vec<(&'static str, ConfigValue)> {
        let seed = self.seed.map_or(ConfigValue::plain("null"), ConfigValue::plain);
        vec![("rate", ConfigValue::float(self.rate)), ("seed", seed)]
    }

    keeps_shape!();

    fn refuses_sharing(&self) -> bool {
        true
    }

    fn stage_type(&self) -> TokenStream {
        quote!(::shaped::layers::Dropout)
    }

    fn stage_init(&self, at: &Init<'_>) -> TokenStream {
        let rate = self.rate as f32;
        let rng = match self.seed {
            Some(s) => quote!(::shaped::data::SplitMix64::new(#s)),
            None => {
                let index = at.index;
                quote!(::shaped::layers::init::layer_rng(seed, #index))
            }
        };
        quote!(::shaped::layers::Dropout::new(#rate, #rng))
    }
}
