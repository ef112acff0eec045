//! Layers that change an image's height and width without weights: `UpSampling2d(size)`
//! (nearest: each pixel repeated), `ZeroPadding2d(padding)` and `Cropping2d(cropping)`, the
//! sides given as Keras takes them (`1`, `(1, 2)` or `((top, bottom), (left, right))`).
//!
//! ```text
//! input: [7, 7, 8],
//! UpSampling2d(2),               [7, 7, 8] → [14, 14, 8]
//! ZeroPadding2d(1),              [14, 14, 8] → [16, 16, 8]
//! Cropping2d(((1, 0), (0, 1))),  [16, 16, 8] → [15, 15, 8]
//! ```

use crate::layers::{fmt_dims, At, Builtin, ConfigValue, Follow, Init, LayerDef};
use proc_macro2::TokenStream;
use quote::quote;
use shaped_rules::{ConstDims, Fail};

pub const UP_SAMPLING_2D: LayerDef = LayerDef {
    name: "UpSampling2d",
    auto_name: "up_sampling2d",
    params: &["size"],
    build: |cx, args| Some(Box::new(Resize::UpSampling(args.per_axis(cx, "size", 2, Some(2))?))),
};

pub const ZERO_PADDING_2D: LayerDef = LayerDef {
    name: "ZeroPadding2d",
    auto_name: "zero_padding2d",
    params: &["padding"],
    build: |cx, args| Some(Box::new(Resize::ZeroPadding(args.sides(cx, "padding", 1)?))),
};

pub const CROPPING_2D: LayerDef = LayerDef {
    name: "Cropping2d",
    auto_name: "cropping2d",
    params: &["cropping"],
    build: |cx, args| Some(Box::new(Resize::Cropping(args.sides(cx, "cropping", 0)?))),
};

/// Which resizer, with its sizes.
enum Resize {
    UpSampling([usize; 2]),
    ZeroPadding([[usize; 2]; 2]),
    Cropping([[usize; 2]; 2]),
}

/// `[[t, b], [l, r]]` as tokens.
fn sides_tokens(s: &[[usize; 2]; 2]) -> TokenStream {
    let [[t, b], [l, r]] = *s;
    quote!([[#t, #b], [#l, #r]])
}

impl Builtin for Resize {
    fn config(&self) -> Vec<(&'static str, ConfigValue)> {
        let sides = |s: &[[usize; 2]; 2]| {
            ConfigValue::Json(format!("[[{}, {}], [{}, {}]]", s[0][0], s[0][1], s[1][0], s[1][1]))
        };
        match self {
            Resize::UpSampling(size) => vec![("size", ConfigValue::list(size))],
            Resize::ZeroPadding(padding) => vec![("padding", sides(padding))],
            Resize::Cropping(cropping) => vec![("cropping", sides(cropping))],
        }
    }

    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
        match self {
            Resize::UpSampling(size) => shaped_rules::up_sampling_2d(input, *size),
            Resize::ZeroPadding(p) => shaped_rules::zero_padding_2d(input, *p),
            Resize::Cropping(c) => shaped_rules::cropping_2d(input, *c),
        }
    }

    fn message(&self, fail: Fail, at: &At<'_>) -> String {
        let display = at.display;
        match fail {
            Fail::Rank { wanted } => {
                format!("`{display}` expects {wanted} input, but {}", at.previous)
            }
            Fail::CropTooLarge { axis, crop, size } => {
                let what = if axis == 0 { "rows" } else { "columns" };
                format!(
                    "`{display}` crops {crop} {what} in all, but its input {} has only {size}; crop fewer than {size} {what}",
                    fmt_dims(at.input)
                )
            }
            other => format!("`{display}` {}", other.message(at.input)),
        }
    }

    fn follow(&self, _prev: &TokenStream) -> Option<Follow> {
        None
    }

    fn rule_tokens(&self, input: TokenStream) -> TokenStream {
        match self {
            Resize::UpSampling([a, b]) => quote!(::shaped::rules::up_sampling_2d(#input, [#a, #b])),
            Resize::ZeroPadding(p) => {
                let p = sides_tokens(p);
                quote!(::shaped::rules::zero_padding_2d(#input, #p))
            }
            Resize::Cropping(c) => {
                let c = sides_tokens(c);
                quote!(::shaped::rules::cropping_2d(#input, #c))
            }
        }
    }

    fn can_fail(&self) -> bool {
        true
    }

    fn stage_type(&self) -> TokenStream {
        match self {
            Resize::UpSampling(_) => quote!(::shaped::layers::UpSampling2d),
            Resize::ZeroPadding(_) => quote!(::shaped::layers::ZeroPadding2d),
            Resize::Cropping(_) => quote!(::shaped::layers::Cropping2d),
        }
    }

    fn stage_init(&self, _at: &Init<'_>) -> TokenStream {
        match self {
            Resize::UpSampling([a, b]) => quote!(::shaped::layers::UpSampling2d::new([#a, #b])),
            Resize::ZeroPadding(p) => {
                let p = sides_tokens(p);
                quote!(::shaped::layers::ZeroPadding2d::new(#p))
            }
            Resize::Cropping(c) => {
                let c = sides_tokens(c);
                quote!(::shaped::layers::Cropping2d::new(#c))
            }
        }
    }
}
