//! The lookup layers, Keras 3's `StringLookup` and `IntegerLookup`: strings or integers as
//! indices of a vocabulary that `model.adapt(&x)` learns (or `vocabulary = [..]` gives).
//!
//! ```text
//! input colour: String[1],
//! StringLookup(max_tokens = 5, output_mode = one_hot),   [1] → [5]
//! input year: u32[1],
//! IntegerLookup(max_tokens = 4),                          [1] → [1]  (indices below 4)
//! ```
//!
//! The width must be known to the compiler, so a lookup takes `max_tokens` (the most indices
//! it gives, mask and OOV ones included) or a fixed `vocabulary`; `adapt` is an `Err` when the
//! data holds more distinct tokens than fit. In `int` mode the output is indices, which only
//! a layer that reads ids (`Embedding`, `CategoryEncoding`) takes, and the macro checks that
//! its size covers them.

use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::layers::encoding::{self, keras_name, read_output_mode, Encoding};
use crate::layers::{fmt_dims, At, Builtin, ConfigValue, Follow, Init, LayerDef, Values};
use proc_macro2::TokenStream;
use quote::quote;
use shaped_rules::{ConstDims, Fail};
use syn::spanned::Spanned;

const PARAMS: &[&str] =
    &["max_tokens", "num_oov_indices", "mask_token", "oov_token", "vocabulary", "output_mode"];

pub const STRING_LOOKUP: LayerDef = LayerDef {
    name: "StringLookup",
    auto_name: "string_lookup",
    params: PARAMS,
    build: |cx, args| Some(Box::new(Lookup::read(cx, args, Kind::Text)?)),
};

pub const INTEGER_LOOKUP: LayerDef = LayerDef {
    name: "IntegerLookup",
    auto_name: "integer_lookup",
    params: PARAMS,
    build: |cx, args| Some(Box::new(Lookup::read(cx, args, Kind::Integer)?)),
};

/// Which lookup: of strings or of integers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Integer,
}

/// A token as written: a string, or an integer (`-1`, Keras's OOV token of `IntegerLookup`).
#[derive(Clone, PartialEq)]
enum Token {
    Text(String),
    Integer(i64),
}

impl Token {
    fn json(&self) -> ConfigValue {
        match self {
            Token::Text(s) => ConfigValue::str(s),
            Token::Integer(n) => ConfigValue::plain(n),
        }
    }
}

/// `StringLookup(..)` or `IntegerLookup(..)`.
struct Lookup {
    kind: Kind,
    max_tokens: Option<usize>,
    num_oov_indices: usize,
    mask_token: Option<Token>,
    oov_token: Option<Token>,
    vocabulary: Option<Vec<Token>>,
    mode: Option<Encoding>,
}

impl Lookup {
    fn read(cx: &Ctxt, args: &Args<'_>, kind: Kind) -> Option<Lookup> {
        let layer = args.layer;
        let mode = read_output_mode(cx, args, true, None)?;
        let num_oov_indices = match args.get("num_oov_indices") {
            Some(v) => match crate::args::signed_int(&v.expr) {
                Some(n) if n >= 0 => n as usize,
                _ => {
                    cx.error(
                        v.expr.span(),
                        format!("`{layer}` needs `num_oov_indices` as an integer of at least 0"),
                    );
                    return None;
                }
            },
            None => 1,
        };
        let token = |param: &str, default: Option<Token>| -> Option<Option<Token>> {
            let Some(v) = args.get(param) else { return Some(default) };
            Some(match kind {
                Kind::Text => args.text_or_none(cx, v, param)?.map(Token::Text),
                Kind::Integer => args.int_or_none(cx, v, param)?.map(Token::Integer),
            })
        };
        let mask_token = token("mask_token", None)?;
        if let (Some(Token::Integer(n)), Some(v)) = (&mask_token, args.get("mask_token")) {
            if *n < 0 {
                cx.error(
                    v.expr.span(),
                    format!("`{layer}` reads `u32` ids, so `mask_token` must be at least 0, but is {n}"),
                );
                return None;
            }
        }
        let default_oov = match kind {
            Kind::Text => Token::Text("[UNK]".into()),
            Kind::Integer => Token::Integer(-1),
        };
        let oov_token = token("oov_token", Some(default_oov))?;
        let vocabulary = match args.get("vocabulary") {
            Some(v) => Some(match kind {
                Kind::Text => args.text_list(cx, v, "vocabulary")?.into_iter().map(Token::Text).collect(),
                Kind::Integer => args
                    .id_list(cx, v, "vocabulary")?
                    .into_iter()
                    .map(|n| Token::Integer(n.into()))
                    .collect::<Vec<_>>(),
            }),
            None => None,
        };
        let max_tokens = match args.get("max_tokens") {
            Some(v) => Some(args.positive(cx, v, "max_tokens", "the most indices it gives")?),
            None => None,
        };
        let mut lookup =
            Lookup { kind, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary, mode };
        // Keras drops a leading run of the special tokens, as `get_vocabulary()` lists them.
        let special: Vec<Option<Token>> = std::iter::repeat_n(lookup.mask_token.clone(), lookup.oov_start())
            .chain(std::iter::repeat_n(lookup.oov_token.clone(), lookup.num_oov_indices))
            .collect();
        if let Some(v) = &mut lookup.vocabulary {
            if !special.is_empty()
                && v.iter().cloned().map(Some).take(special.len()).eq(special.iter().cloned())
            {
                v.drain(..special.len());
            }
        }
        let special = lookup.token_start();
        match (&lookup.max_tokens, &lookup.vocabulary) {
            (None, None) => {
                let example = match kind {
                    Kind::Text => "StringLookup(max_tokens = 8, output_mode = one_hot)",
                    Kind::Integer => "IntegerLookup(max_tokens = 8)",
                };
                cx.error(
                    args.span(),
                    format!("`{layer}` needs `max_tokens`, the most indices it gives, so that the compiler knows its output (`adapt` then learns up to that many tokens): `{example}`, or a fixed `vocabulary = [..]`"),
                );
                return None;
            }
            (Some(max), _) if *max <= special => {
                let v = args.get("max_tokens").map_or(args.span(), |v| v.expr.span());
                cx.error(v, format!("`{layer}(max_tokens = {max})` leaves no index for the vocabulary: {special} go to the mask and out-of-vocabulary tokens; make it at least {}", special + 1));
                return None;
            }
            (Some(max), Some(vocabulary)) if vocabulary.len() > max - special => {
                let v = args.get("vocabulary").map_or(args.span(), |v| v.expr.span());
                cx.error(v, format!("`{layer}`'s vocabulary of {} tokens does not fit in `max_tokens = {max}` ({special} of them for the mask and out-of-vocabulary tokens); make `max_tokens` {}", vocabulary.len(), vocabulary.len() + special));
                return None;
            }
            _ => {}
        }
        Some(lookup)
    }

    /// The first OOV index: 1 when the mask token takes index 0 (`int` mode), else 0.
    fn oov_start(&self) -> usize {
        usize::from(self.mask_token.is_some() && self.mode.is_none())
    }

    /// The first vocabulary index.
    fn token_start(&self) -> usize {
        self.oov_start() + self.num_oov_indices
    }

    /// The width, or the bound of every index in `int` mode.
    fn depth(&self) -> usize {
        self.max_tokens.unwrap_or_else(|| self.token_start() + self.vocabulary.as_ref().map_or(0, Vec::len))
    }

    /// Tokens of an optional runtime token, `Some(String)` or `Some(u32)`; `None` for no
    /// token or an integer below 0 (Keras's `-1` OOV token, which no `u32` input holds).
    fn option_tokens(token: &Option<Token>) -> TokenStream {
        match token.as_ref().and_then(Lookup::value_tokens) {
            Some(value) => quote!(::core::option::Option::Some(#value)),
            None => quote!(::core::option::Option::None),
        }
    }

    /// Tokens of a runtime token: a `String`, or a `u32` (`None` below 0).
    fn value_tokens(token: &Token) -> Option<TokenStream> {
        match token {
            Token::Text(s) => Some(quote!(::std::string::String::from(#s))),
            Token::Integer(n) => u32::try_from(*n).ok().map(|n| quote!(#n)),
        }
    }
}

impl Builtin for Lookup {
    fn config(&self) -> Vec<(&'static str, ConfigValue)> {
        let option = |t: &Option<Token>| t.as_ref().map_or(ConfigValue::plain("null"), Token::json);
        let vocabulary = match &self.vocabulary {
            Some(v) => {
                let items: Vec<String> = v
                    .iter()
                    .map(|t| match t.json() {
                        ConfigValue::Json(text) => text,
                        _ => String::new(),
                    })
                    .collect();
                ConfigValue::Json(format!("[{}]", items.join(", ")))
            }
            None => ConfigValue::plain("null"),
        };
        let mode = keras_name(self.mode);
        vec![
            ("max_tokens", self.max_tokens.map_or(ConfigValue::plain("null"), ConfigValue::plain)),
            ("num_oov_indices", ConfigValue::plain(self.num_oov_indices)),
            ("mask_token", option(&self.mask_token)),
            ("oov_token", option(&self.oov_token)),
            ("vocabulary", vocabulary),
            ("output_mode", ConfigValue::str(mode)),
            ("pad_to_max_tokens", ConfigValue::plain(self.mode.is_some() && self.max_tokens.is_some())),
        ]
    }

    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
        encoding::rule(self.mode, input, self.depth())
    }

    fn message(&self, _fail: Fail, at: &At<'_>) -> String {
        format!(
            "`{}` encodes the tokens of each sample, [tokens], but its input is {}",
            at.display,
            fmt_dims(at.input)
        )
    }

    fn reads_ids(&self) -> bool {
        self.kind == Kind::Integer
    }

    fn accepts(&self, values: Values) -> bool {
        match self.kind {
            Kind::Text => values == Values::Text,
            Kind::Integer => matches!(values, Values::Ids { .. }),
        }
    }

    fn output_values(&self, _inputs: &[Values]) -> Values {
        match self.mode {
            None => Values::Ids { below: Some(self.depth()) },
            Some(_) => Values::Floats,
        }
    }

    fn follow(&self, _prev: &TokenStream) -> Option<Follow> {
        None
    }

    fn rule_tokens(&self, input: TokenStream) -> TokenStream {
        encoding::rule_tokens(self.mode, input, self.depth())
    }

    fn stage_type(&self) -> TokenStream {
        match self.kind {
            Kind::Text => quote!(::shaped::layers::StringLookup),
            Kind::Integer => quote!(::shaped::layers::IntegerLookup),
        }
    }

    fn stage_init(&self, _at: &Init<'_>) -> TokenStream {
        let ty = self.stage_type();
        let max_tokens = match self.max_tokens {
            Some(n) => quote!(::core::option::Option::Some(#n)),
            None => quote!(::core::option::Option::None),
        };
        let oov = self.num_oov_indices;
        let mask = Lookup::option_tokens(&self.mask_token);
        let oov_token = Lookup::option_tokens(&self.oov_token);
        let vocabulary = match &self.vocabulary {
            Some(v) => {
                let items = v.iter().filter_map(Lookup::value_tokens);
                quote!(::core::option::Option::Some(::std::vec![#(#items),*]))
            }
            None => quote!(::core::option::Option::None),
        };
        let mode = encoding::option_tokens(self.mode);
        quote!(#ty::new(::shaped::layers::LookupOptions {
            max_tokens: #max_tokens,
            num_oov_indices: #oov,
            mask_token: #mask,
            oov_token: #oov_token,
            vocabulary: #vocabulary,
            output_mode: #mode,
        }))
    }
}
