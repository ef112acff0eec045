//! Normalisation over the last axis (Keras's `axis = -1`): `BatchNorm(momentum = 0.99, epsilon
//! = 1e-3, center, scale)` with moving statistics (non-trainable weights) and
//! `LayerNorm(epsilon = 1e-3, center, scale)`.
//!
//! ```text
//! input: [26, 26, 16],
//! BatchNorm,           [26, 26, 16] → [26, 26, 16]
//! LayerNorm,           [26, 26, 16] → [26, 26, 16]
//! ```

use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::layers::{fmt_dims, At, Builtin, ConfigValue, Follow, Init, LayerDef};
use proc_macro2::TokenStream;
use quote::quote;
use shaped_rules::{ConstDims, Fail};
use syn::spanned::Spanned;

pub const BATCH_NORM: LayerDef = LayerDef {
    name: "BatchNorm",
    auto_name: "batch_normalization",
    params: &["axis", "momentum", "epsilon", "center", "scale"],
    build: |cx, args| Some(Box::new(Norm::read(cx, args, true)?)),
};

pub const LAYER_NORM: LayerDef = LayerDef {
    name: "LayerNorm",
    auto_name: "layer_normalization",
    params: &["axis", "epsilon", "center", "scale"],
    build: |cx, args| Some(Box::new(Norm::read(cx, args, false)?)),
};

/// `BatchNorm` (`batch`) or `LayerNorm`.
struct Norm {
    batch: bool,
    momentum: f64,
    epsilon: f64,
    center: bool,
    scale: bool,
}

impl Norm {
    fn read(cx: &Ctxt, args: &Args<'_>, batch: bool) -> Option<Norm> {
        let layer = args.layer;
        let axis = args.axis(cx, "axis", -1)?;
        if axis != -1 {
            let value = args.get("axis").map_or(args.span(), |v| v.expr.span());
            cx.error(value, format!("`{layer}` normalises over the last axis (channels last): `axis` must be -1, but is {axis}"));
            return None;
        }
        let momentum = args.float_or(cx, "momentum", 0.99);
        let epsilon = args.float_or(cx, "epsilon", 1e-3);
        let center = args.flag(cx, "center", true);
        let scale = args.flag(cx, "scale", true);
        let (momentum, epsilon) = (momentum?, epsilon?);
        if !(0.0..1.0).contains(&momentum) {
            cx.error(
                args.get("momentum").map_or(args.span(), |v| v.expr.span()),
                format!("`{layer}` needs `momentum` at least 0 and below 1, but got {momentum}"),
            );
            return None;
        }
        if epsilon <= 0.0 {
            cx.error(
                args.get("epsilon").map_or(args.span(), |v| v.expr.span()),
                format!("`{layer}` needs `epsilon` above 0, but got {epsilon}"),
            );
            return None;
        }
        Some(Norm { batch, momentum, epsilon, center: center?, scale: scale? })
    }
}

impl Builtin for Norm {
    fn config(&self) -> Vec<(&'static str, ConfigValue)> {
        let mut config = vec![("axis", ConfigValue::plain(-1))];
        if self.batch {
            config.push(("momentum", ConfigValue::float(self.momentum)));
        }
        config.extend([
            ("epsilon", ConfigValue::float(self.epsilon)),
            ("center", ConfigValue::plain(self.center)),
            ("scale", ConfigValue::plain(self.scale)),
        ]);
        config
    }

    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
        shaped_rules::normalization(input)
    }

    fn message(&self, _fail: Fail, at: &At<'_>) -> String {
        last_axis_message(at, "it sizes gamma and beta")
    }

    fn follow(&self, prev: &TokenStream) -> Option<Follow> {
        Some(Follow { ty: prev.clone(), bounds: Vec::new() })
    }

    fn rule_tokens(&self, input: TokenStream) -> TokenStream {
        quote!(::shaped::rules::normalization(#input))
    }

    fn stage_type(&self) -> TokenStream {
        if self.batch {
            quote!(::shaped::layers::BatchNorm)
        } else {
            quote!(::shaped::layers::LayerNorm)
        }
    }

    fn stage_init(&self, at: &Init<'_>) -> TokenStream {
        let features = at.last_dim();
        let (momentum, epsilon) = (self.momentum as f32, self.epsilon as f32);
        let (center, scale) = (self.center, self.scale);
        if self.batch {
            quote!(::shaped::layers::BatchNorm::new(#features, ::shaped::layers::BatchNormOptions {
                momentum: #momentum, epsilon: #epsilon, center: #center, scale: #scale,
            }))
        } else {
            quote!(::shaped::layers::LayerNorm::new(#features, #epsilon, #center, #scale))
        }
    }
}

/// The error of a layer over the last axis given an input whose last axis is `None`, `why` it
/// needs it known, with an input line that declares it when the input is the model's.
pub fn last_axis_message(at: &At<'_>, why: &str) -> String {
    let mut example = at.input.to_vec();
    if let Some(last) = example.last_mut() {
        *last = Some(12);
    }
    let fix = at.previous.fix_input(&example, |l| format!("; declare it, like {l}"));
    format!(
        "`{}` needs a known last dimension ({why}), but its input is {}{fix}",
        at.display,
        fmt_dims(at.input)
    )
}
