//! `Dense(units, activation = linear, use_bias = true)`: `y = act(x @ K + b)` on the last axis.
//!
//! ```text
//! input: [64],
//! Dense(128, activation = relu),      [64] → [128]
//! ```

use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::layers::{activation_tokens, fmt_dims, At, Builtin, ConfigValue, Follow, Init, LayerDef};
use crate::size::Size;
use crate::typenum_tokens::uint_tokens;
use proc_macro2::TokenStream;
use quote::quote;
use shaped_rules::{Activation, ConstDims, Fail};

pub const DENSE: LayerDef = LayerDef {
    name: "Dense",
    auto_name: "dense",
    params: &["units", "activation", "use_bias"],
    build: |cx, args| Some(Box::new(Dense::read(cx, args)?)),
};

/// A `Dense` layer's configuration (also the layer inside `TimeDistributed(..)`).
#[derive(Clone)]
pub struct Dense {
    pub units: Size,
    pub activation: Activation,
    pub use_bias: bool,
}

impl Dense {
    /// Reads `Dense`'s arguments, with Keras's defaults.
    pub fn read(cx: &Ctxt, args: &Args<'_>) -> Option<Dense> {
        let units = args.required(
            cx,
            "units",
            "`Dense` needs `units`, the number of output features, as its first argument: `Dense(64)`",
        )?;
        let units = args.size(cx, units, "units", "the number of output features")?;
        let activation = args.activation(cx, "activation", Activation::Linear)?;
        let use_bias = args.flag(cx, "use_bias", true)?;
        Some(Dense { units, activation, use_bias })
    }

    /// `Dense::new(in, units, activation, use_bias, rng)` for an input of `in_features`.
    pub fn constructor(&self, in_features: TokenStream, rng: TokenStream) -> TokenStream {
        let (units, act, use_bias) = (self.units.tokens(), activation_tokens(self.activation), self.use_bias);
        quote!(::shaped::layers::Dense::new(#in_features, #units, #act, #use_bias, #rng))
    }
}

impl Builtin for Dense {
    fn config(&self) -> Vec<(&'static str, ConfigValue)> {
        vec![
            ("units", ConfigValue::size(&self.units)),
            ("activation", ConfigValue::activation(self.activation)),
            ("use_bias", ConfigValue::plain(self.use_bias)),
        ]
    }

    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
        // Called only when `units` is a literal (see `const_sizes`).
        shaped_rules::dense(input, self.units.known().unwrap_or(1))
    }

    fn const_sizes(&self) -> Vec<(&'static str, &Size)> {
        self.units.known().is_none().then_some(("units", &self.units)).into_iter().collect()
    }

    fn message(&self, _fail: Fail, at: &At<'_>) -> String {
        let dims = at.input;
        let fix = match dims {
            [None] => at.previous.fix_input(&[None, Some(1)], |l| {
                format!("; for one value per step declare the input as {l} (`Dense` then applies to each step), or pad or truncate the data to a fixed length and declare it, like `input: [100],`")
            }),
            _ => {
                let mut example = dims.to_vec();
                if let Some(last) = example.last_mut() {
                    *last = Some(12);
                }
                at.previous.fix_input(&example, |l| format!("; declare how many values each step has, like {l}"))
            }
        };
        let fix = if fix.is_empty() {
            "; the layer before it must output a fixed last dimension".to_string()
        } else {
            fix
        };
        format!("`{}` needs a known last dimension, but its input is {}{fix}", at.display, fmt_dims(dims))
    }

    /// `Dense` on an image whose height or width is `None` would apply to each pixel and keep
    /// the unknown sides, which Keras allows but never classifies an image: refused, with the
    /// global pool that does (a per-pixel layer is `Conv2d(units, 1)`).
    fn refuse(&self, input: &[Option<usize>], at: &At<'_>) -> Option<String> {
        match input {
            [h, w, Some(c)] if h.is_none() || w.is_none() => Some(format!(
                "`{}` would apply to each pixel of {}, keeping its unknown sides, so it cannot classify the image; pool over the pixels first: add `GlobalAvgPool2d,` before it (for a layer per pixel, write `Conv2d({}, 1)`; its input has {c} channels)",
                at.display,
                fmt_dims(input),
                self.units.known().map_or_else(|| "units".to_string(), |u| u.to_string()),
            )),
            _ => None,
        }
    }

    fn follow(&self, prev: &TokenStream) -> Option<Follow> {
        let u = uint_tokens(self.units.known()?);
        Some(Follow {
            ty: quote!(::shaped::shape::WithLast<#prev, #u>),
            bounds: vec![quote!(#prev: ::shaped::shape::ReplaceLast<#u>)],
        })
    }

    fn rule_tokens(&self, input: TokenStream) -> TokenStream {
        let units = self.units.tokens();
        quote!(::shaped::rules::dense(#input, #units))
    }

    fn stage_type(&self) -> TokenStream {
        quote!(::shaped::layers::Dense)
    }

    fn stage_init(&self, at: &Init<'_>) -> TokenStream {
        self.constructor(at.last_dim(), at.rng())
    }
}
