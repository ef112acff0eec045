//! Preprocessing layers: `Normalization(invert = false)`, the feature-wise standardisation
//! over the last axis whose mean and variance `adapt` learns, and `CategoryEncoding(num_tokens,
//! output_mode)`, token ids as one-hot, multi-hot or count vectors.
//!
//! ```text
//! input: [4],
//! Normalization,                                   [4] → [4]   (statistics from `model.adapt(&x)`)
//! input colour: u32[1],
//! CategoryEncoding(3, output_mode = one_hot),      [1] → [3]
//! ```

use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::layers::encoding::{self, keras_name, read_output_mode, Encoding};
use crate::layers::normalization::last_axis_message;
use crate::layers::{fmt_dims, At, Builtin, ConfigValue, Follow, Init, LayerDef, Values};
use crate::size::Size;
use proc_macro2::TokenStream;
use quote::quote;
use shaped_rules::{ConstDims, Fail};
use syn::spanned::Spanned;

pub const NORMALIZATION: LayerDef = LayerDef {
    name: "Normalization",
    auto_name: "normalization",
    params: &["axis", "invert"],
    build: |cx, args| Some(Box::new(Normalization::read(cx, args)?)),
};

/// `Normalization(axis = -1, invert)`.
struct Normalization {
    invert: bool,
}

impl Normalization {
    fn read(cx: &Ctxt, args: &Args<'_>) -> Option<Normalization> {
        let axis = args.axis(cx, "axis", -1)?;
        if axis != -1 {
            let span = args.get("axis").map_or(args.span(), |v| v.expr.span());
            cx.error(span, format!("`Normalization` standardises each feature of the last axis: `axis` must be -1, but is {axis}"));
            return None;
        }
        Some(Normalization { invert: args.flag(cx, "invert", false)? })
    }
}

impl Builtin for Normalization {
    fn config(&self) -> Vec<(&'static str, ConfigValue)> {
        vec![("axis", ConfigValue::plain(-1)), ("invert", ConfigValue::plain(self.invert))]
    }

    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
        shaped_rules::normalization(input)
    }

    fn message(&self, _fail: Fail, at: &At<'_>) -> String {
        last_axis_message(at, "one mean and variance per feature")
    }

    /// Values that may be missing too: it fills them with the mean.
    fn accepts(&self, values: Values) -> bool {
        matches!(values, Values::Floats | Values::MaybeMissing)
    }

    fn follow(&self, prev: &TokenStream) -> Option<Follow> {
        Some(Follow { ty: prev.clone(), bounds: Vec::new() })
    }

    fn rule_tokens(&self, input: TokenStream) -> TokenStream {
        quote!(::shaped::rules::normalization(#input))
    }

    fn stage_type(&self) -> TokenStream {
        quote!(::shaped::layers::Normalization)
    }

    fn stage_init(&self, at: &Init<'_>) -> TokenStream {
        let (features, invert) = (at.last_dim(), self.invert);
        if at.may_be_missing() {
            quote!(::shaped::layers::Normalization::new(#features, #invert).filling_missing())
        } else {
            quote!(::shaped::layers::Normalization::new(#features, #invert))
        }
    }
}

pub const MISSING_INDICATOR: LayerDef = LayerDef {
    name: "MissingIndicator",
    auto_name: "missing_indicator",
    params: &[],
    build: |_, _| Some(Box::new(MissingIndicator)),
};

/// `MissingIndicator()`: 1 where a value is missing, else 0 (scikit-learn's).
struct MissingIndicator;

impl Builtin for MissingIndicator {
    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
        shaped_rules::same(input)
    }

    fn message(&self, _fail: Fail, at: &At<'_>) -> String {
        format!("`{}` keeps the shape of its input, {}", at.display, fmt_dims(at.input))
    }

    fn can_fail(&self) -> bool {
        false
    }

    fn accepts(&self, values: Values) -> bool {
        matches!(values, Values::Floats | Values::MaybeMissing)
    }

    fn follow(&self, prev: &TokenStream) -> Option<Follow> {
        Some(Follow { ty: prev.clone(), bounds: Vec::new() })
    }

    fn rule_tokens(&self, input: TokenStream) -> TokenStream {
        quote!(::shaped::rules::same(#input))
    }

    fn stage_type(&self) -> TokenStream {
        quote!(::shaped::layers::MissingIndicator)
    }

    fn stage_init(&self, _at: &Init<'_>) -> TokenStream {
        quote!(::shaped::layers::MissingIndicator)
    }
}

pub const CATEGORY_ENCODING: LayerDef = LayerDef {
    name: "CategoryEncoding",
    auto_name: "category_encoding",
    params: &["num_tokens", "output_mode"],
    build: |cx, args| {
        let value = args.required(
            cx,
            "num_tokens",
            "`CategoryEncoding` needs `num_tokens`, how many ids there are (each id below it): `CategoryEncoding(3, output_mode = one_hot)`",
        )?;
        let num_tokens = args.positive(cx, value, "num_tokens", "how many ids there are")?;
        let mode = read_output_mode(cx, args, false, Some(Encoding::MultiHot))?.unwrap_or(Encoding::MultiHot);
        Some(Box::new(CategoryEncoding { num_tokens, mode }))
    },
};

/// `CategoryEncoding(num_tokens, output_mode)`.
struct CategoryEncoding {
    num_tokens: usize,
    mode: Encoding,
}

impl Builtin for CategoryEncoding {
    fn config(&self) -> Vec<(&'static str, ConfigValue)> {
        let mode = keras_name(Some(self.mode));
        vec![("num_tokens", ConfigValue::plain(self.num_tokens)), ("output_mode", ConfigValue::str(mode))]
    }

    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
        encoding::rule(Some(self.mode), input, self.num_tokens)
    }

    fn message(&self, _fail: Fail, at: &At<'_>) -> String {
        let fix = at.previous.fix_input(&[None], |l| {
            format!("; declare the ids as {l}, or `input: u32[1],` for one id per sample")
        });
        format!(
            "`{}` encodes token ids per sample, [ids], but its input is {}{fix}",
            at.display,
            fmt_dims(at.input)
        )
    }

    fn ids_below(&self) -> Option<Size> {
        Some(Size::Lit(self.num_tokens))
    }

    fn follow(&self, _prev: &TokenStream) -> Option<Follow> {
        None
    }

    fn rule_tokens(&self, input: TokenStream) -> TokenStream {
        encoding::rule_tokens(Some(self.mode), input, self.num_tokens)
    }

    fn stage_type(&self) -> TokenStream {
        quote!(::shaped::layers::CategoryEncoding)
    }

    fn stage_init(&self, _at: &Init<'_>) -> TokenStream {
        let (n, mode) = (self.num_tokens, encoding::tokens(self.mode));
        quote!(::shaped::layers::CategoryEncoding::new(#n, #mode))
    }
}

pub const DISCRETIZATION: LayerDef = LayerDef {
    name: "Discretization",
    auto_name: "discretization",
    params: &["bin_boundaries", "num_bins", "epsilon", "output_mode"],
    build: |cx, args| Some(Box::new(Discretization::read(cx, args)?)),
};

/// `Discretization(bin_boundaries | num_bins, epsilon, output_mode)`; `mode` `None` is `int`.
struct Discretization {
    boundaries: Option<Vec<f64>>,
    num_bins: usize,
    epsilon: f64,
    mode: Option<Encoding>,
}

impl Discretization {
    fn read(cx: &Ctxt, args: &Args<'_>) -> Option<Discretization> {
        let mode = read_output_mode(cx, args, true, None)?;
        let epsilon = args.float_or(cx, "epsilon", 0.01)?;
        match (args.get("bin_boundaries"), args.get("num_bins")) {
            (Some(b), None) => {
                let boundaries = args.float_list(cx, b, "bin_boundaries", true)?;
                let num_bins = boundaries.len() + 1;
                Some(Discretization { boundaries: Some(boundaries), num_bins, epsilon, mode })
            }
            (None, Some(n)) => {
                let num_bins = args.positive(cx, n, "num_bins", "how many bins `adapt` makes")?;
                Some(Discretization { boundaries: None, num_bins, epsilon, mode })
            }
            _ => {
                cx.error(
                    args.span(),
                    "`Discretization` needs either `bin_boundaries` (`Discretization(bin_boundaries = [0.0, 1.0])`) or `num_bins` for `adapt` to learn them (`Discretization(num_bins = 4)`), not both",
                );
                None
            }
        }
    }
}

impl Builtin for Discretization {
    fn config(&self) -> Vec<(&'static str, ConfigValue)> {
        let boundaries = match &self.boundaries {
            Some(b) => ConfigValue::list(b),
            None => ConfigValue::plain("null"),
        };
        let mode = keras_name(self.mode);
        vec![
            ("bin_boundaries", boundaries),
            ("num_bins", ConfigValue::plain(self.num_bins)),
            ("epsilon", ConfigValue::float(self.epsilon)),
            ("output_mode", ConfigValue::str(mode)),
        ]
    }

    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
        match self.mode {
            None => shaped_rules::same(input).and_then(|d| match input {
                [_] => Ok(d),
                _ => Err(Fail::Rank { wanted: "[values] (numbers per sample)" }),
            }),
            Some(_) => encoding::rule(self.mode, input, self.num_bins),
        }
    }

    fn message(&self, _fail: Fail, at: &At<'_>) -> String {
        format!(
            "`{}` buckets the numbers of each sample, [values], but its input is {}; flatten it first",
            at.display,
            fmt_dims(at.input)
        )
    }

    fn follow(&self, _prev: &TokenStream) -> Option<Follow> {
        None
    }

    fn rule_tokens(&self, input: TokenStream) -> TokenStream {
        encoding::rule_tokens(self.mode, input, self.num_bins)
    }

    fn stage_type(&self) -> TokenStream {
        quote!(::shaped::layers::Discretization)
    }

    fn stage_init(&self, _at: &Init<'_>) -> TokenStream {
        let mode = encoding::option_tokens(self.mode);
        match &self.boundaries {
            Some(b) => {
                let b = b.iter().map(|&v| v as f32);
                quote!(::shaped::layers::Discretization::with_boundaries(::std::vec![#(#b),*], #mode))
            }
            None => {
                let (n, eps) = (self.num_bins, self.epsilon);
                quote!(::shaped::layers::Discretization::adapted(#n, #eps, #mode))
            }
        }
    }
}
