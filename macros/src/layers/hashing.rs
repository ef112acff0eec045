//! `Hashing(num_bins, mask_value, salt, output_mode)`, Keras 3's: strings or integer ids into
//! `num_bins` bins by TensorFlow's string hashes, without a vocabulary to learn.
//!
//! ```text
//! input city: String[1],
//! Hashing(num_bins = 64),                          [1] → [1]  (bins below 64, for an Embedding)
//! Hashing(num_bins = 8, output_mode = one_hot),    [1] → [8]
//! ```

use crate::args::{signed_int, Args};
use crate::ctxt::Ctxt;
use crate::layers::encoding::{self, keras_name, read_output_mode, Encoding};
use crate::layers::{fmt_dims, At, Builtin, ConfigValue, Follow, Init, LayerDef, Values};
use proc_macro2::TokenStream;
use quote::quote;
use shaped_rules::{ConstDims, Fail};
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit};

pub const HASHING: LayerDef = LayerDef {
    name: "Hashing",
    auto_name: "hashing",
    params: &["num_bins", "mask_value", "salt", "output_mode"],
    build: |cx, args| Some(Box::new(Hashing::read(cx, args)?)),
};

/// `mask_value`: a string or a non-negative integer.
#[derive(Clone)]
enum MaskValue {
    Text(String),
    Integer(u32),
}

/// `Hashing(..)`.
struct Hashing {
    num_bins: usize,
    mask_value: Option<MaskValue>,
    salt: Option<(i64, i64, bool)>,
    mode: Option<Encoding>,
}

impl Hashing {
    fn read(cx: &Ctxt, args: &Args<'_>) -> Option<Hashing> {
        let value = args.required(
            cx,
            "num_bins",
            "`Hashing` needs `num_bins`, how many bins the tokens fall into: `Hashing(num_bins = 64)`",
        )?;
        let num_bins = args.positive(cx, value, "num_bins", "how many bins the tokens fall into")?;
        let mode = read_output_mode(cx, args, true, None)?;
        let mask_value = match args.get("mask_value").map(|v| &v.expr) {
            None => None,
            Some(Expr::Path(p)) if p.path.is_ident("None") => None,
            Some(Expr::Lit(ExprLit { lit: Lit::Str(s), .. })) => Some(MaskValue::Text(s.value())),
            Some(e) => match signed_int(e).and_then(|n| u32::try_from(n).ok()) {
                Some(n) => Some(MaskValue::Integer(n)),
                None => {
                    cx.error(e.span(), "`Hashing` needs `mask_value` as a string (`mask_value = \"\"`) or a non-negative integer, the token that takes bin 0");
                    return None;
                }
            },
        };
        let salt = match args.get("salt").map(|v| &v.expr) {
            None => None,
            Some(Expr::Path(p)) if p.path.is_ident("None") => None,
            Some(e) => {
                let pair = match e {
                    Expr::Array(a) if a.elems.len() == 2 => signed_int(&a.elems[0])
                        .zip(signed_int(&a.elems[1]))
                        .map(|(a, b)| (a as i64, b as i64, true)),
                    _ => signed_int(e).map(|s| (s as i64, s as i64, false)),
                };
                match pair {
                    Some(p) => Some(p),
                    None => {
                        cx.error(e.span(), "`Hashing` needs `salt` as an integer (`salt = 133`) or a pair (`salt = [133, 137]`)");
                        return None;
                    }
                }
            }
        };
        Some(Hashing { num_bins, mask_value, salt, mode })
    }
}

impl Builtin for Hashing {
    fn config(&self) -> Vec<(&'static str, ConfigValue)> {
        let mask = match &self.mask_value {
            Some(MaskValue::Text(s)) => ConfigValue::str(s),
            Some(MaskValue::Integer(n)) => ConfigValue::plain(n),
            None => ConfigValue::plain("null"),
        };
        let salt = match self.salt {
            Some((a, b, true)) => ConfigValue::list(&[a, b]),
            Some((s, _, false)) => ConfigValue::plain(s),
            None => ConfigValue::plain("null"),
        };
        let mode = keras_name(self.mode);
        vec![
            ("num_bins", ConfigValue::plain(self.num_bins)),
            ("mask_value", mask),
            ("salt", salt),
            ("output_mode", ConfigValue::str(mode)),
        ]
    }

    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
        encoding::rule(self.mode, input, self.num_bins)
    }

    fn message(&self, _fail: Fail, at: &At<'_>) -> String {
        format!(
            "`{}` encodes the tokens of each sample, [tokens], but its input is {}",
            at.display,
            fmt_dims(at.input)
        )
    }

    fn reads_ids(&self) -> bool {
        true
    }

    fn accepts(&self, values: Values) -> bool {
        matches!(values, Values::Text | Values::Ids { .. })
    }

    fn output_values(&self, _inputs: &[Values]) -> Values {
        match self.mode {
            None => Values::Ids { below: Some(self.num_bins) },
            Some(_) => Values::Floats,
        }
    }

    fn follow(&self, _prev: &TokenStream) -> Option<Follow> {
        None
    }

    fn rule_tokens(&self, input: TokenStream) -> TokenStream {
        encoding::rule_tokens(self.mode, input, self.num_bins)
    }

    fn stage_type(&self) -> TokenStream {
        quote!(::shaped::layers::Hashing)
    }

    fn stage_init(&self, _at: &Init<'_>) -> TokenStream {
        let n = self.num_bins;
        let some = |t: TokenStream| quote!(::core::option::Option::Some(#t));
        let none = quote!(::core::option::Option::None);
        let mask = match &self.mask_value {
            Some(MaskValue::Text(s)) => {
                some(quote!(::shaped::layers::HashingMask::Text(::std::string::String::from(#s))))
            }
            Some(MaskValue::Integer(v)) => some(quote!(::shaped::layers::HashingMask::Integer(#v))),
            None => none.clone(),
        };
        let salt = match self.salt {
            Some((a, b, true)) => some(quote!(::shaped::layers::Salt::Pair(#a, #b))),
            Some((s, _, false)) => some(quote!(::shaped::layers::Salt::Int(#s))),
            None => none,
        };
        let mode = encoding::option_tokens(self.mode);
        quote!(::shaped::layers::Hashing::new(#n, #mask, #salt, #mode))
    }
}
