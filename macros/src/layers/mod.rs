//! The built-in layers: one module per family, each owning everything the macro knows about its
//! layers (the name and Keras spellings, the arguments with Keras's names and defaults, the
//! shape rule's messages, the code to generate), registered once in [`REGISTRY`].
//!
//! Adding a layer: a module here with its [`LayerDef`] and a [`Builtin`] impl, its line in
//! [`REGISTRY`], its shape rule in `shaped_rules::rules`, and its runtime half in
//! `shaped_runtime::layers`.

mod conv;
mod core;
mod dense;
mod embedding;
mod encoding;
mod hashing;
mod lambda;
mod lookup;
mod masking;
mod merge;
mod normalization;
mod pooling;
mod preprocessing;
mod previous;
mod recurrent;
mod reshape;
mod resize_2d;
mod time_distributed;
mod window;
mod window_pool;

pub use previous::Previous;

use crate::args::Args;
use crate::ast::LayerCall;
use crate::ctxt::Ctxt;
use crate::size::Size;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use shaped_rules::nearest;
use shaped_rules::{Activation, ConstDims, Fail};

/// Everything the macro knows about one built-in layer type.
pub struct LayerDef {
    /// shaped's name: `Dense`, `Lstm`.
    pub name: &'static str,
    /// Keras's automatic layer name before `_1`, `_2`: `dense`, `lstm`, `global_average_pooling1d`.
    pub auto_name: &'static str,
    /// The arguments, in Keras's positional order.
    pub params: &'static [&'static str],
    /// Reads the bound arguments into the layer (errors recorded in `cx`, `None` after one).
    pub build: fn(&Ctxt, &Args<'_>) -> Option<Box<dyn Builtin>>,
}

/// Every built-in layer of this version.
pub const REGISTRY: &[&LayerDef] = &[
    &dense::DENSE,
    &core::ACTIVATION,
    &core::DROPOUT,
    &lambda::LAMBDA,
    &reshape::FLATTEN,
    &reshape::RESHAPE,
    &embedding::EMBEDDING,
    &masking::MASKING,
    &recurrent::SIMPLE_RNN,
    &recurrent::LSTM,
    &recurrent::GRU,
    &recurrent::BIDIRECTIONAL,
    &time_distributed::TIME_DISTRIBUTED,
    &pooling::GLOBAL_AVG_POOL_1D,
    &pooling::GLOBAL_MAX_POOL_1D,
    &conv::CONV_1D,
    &conv::CONV_2D,
    &conv::CONV_2D_TRANSPOSE,
    &conv::DEPTHWISE_CONV_2D,
    &conv::SEPARABLE_CONV_2D,
    &window_pool::MAX_POOL_1D,
    &window_pool::MAX_POOL_2D,
    &window_pool::AVG_POOL_1D,
    &window_pool::AVG_POOL_2D,
    &pooling::GLOBAL_AVG_POOL_2D,
    &pooling::GLOBAL_MAX_POOL_2D,
    &resize_2d::UP_SAMPLING_2D,
    &resize_2d::ZERO_PADDING_2D,
    &resize_2d::CROPPING_2D,
    &normalization::BATCH_NORM,
    &normalization::LAYER_NORM,
    &preprocessing::NORMALIZATION,
    &preprocessing::CATEGORY_ENCODING,
    &preprocessing::DISCRETIZATION,
    &preprocessing::MISSING_INDICATOR,
    &lookup::STRING_LOOKUP,
    &lookup::INTEGER_LOOKUP,
    &hashing::HASHING,
    &merge::CONCATENATE,
    &merge::ADD,
    &merge::SUBTRACT,
    &merge::MULTIPLY,
    &merge::AVERAGE,
    &merge::MAXIMUM,
    &merge::MINIMUM,
    &merge::DOT,
];

/// Keras class names that shaped spells in Rust casing (or names later versions add), with
/// shaped's spelling.
const KERAS_SPELLINGS: &[(&str, &str)] = &[
    ("LSTM", "Lstm"),
    ("GRU", "Gru"),
    ("SimpleRNN", "SimpleRnn"),
    ("Conv1D", "Conv1d"),
    ("Conv2D", "Conv2d"),
    ("Convolution2D", "Conv2d"),
    ("Conv2DTranspose", "Conv2dTranspose"),
    ("DepthwiseConv2D", "DepthwiseConv2d"),
    ("SeparableConv2D", "SeparableConv2d"),
    ("MaxPooling1D", "MaxPool1d"),
    ("MaxPool1D", "MaxPool1d"),
    ("MaxPooling2D", "MaxPool2d"),
    ("MaxPool2D", "MaxPool2d"),
    ("AveragePooling1D", "AvgPool1d"),
    ("AvgPool1D", "AvgPool1d"),
    ("AveragePooling2D", "AvgPool2d"),
    ("AvgPool2D", "AvgPool2d"),
    ("GlobalAveragePooling1D", "GlobalAvgPool1d"),
    ("GlobalMaxPooling1D", "GlobalMaxPool1d"),
    ("GlobalAveragePooling2D", "GlobalAvgPool2d"),
    ("GlobalAvgPool2D", "GlobalAvgPool2d"),
    ("GlobalMaxPooling2D", "GlobalMaxPool2d"),
    ("GlobalMaxPool2D", "GlobalMaxPool2d"),
    ("UpSampling2D", "UpSampling2d"),
    ("ZeroPadding2D", "ZeroPadding2d"),
    ("Cropping2D", "Cropping2d"),
    ("BatchNormalization", "BatchNorm"),
    ("LayerNormalization", "LayerNorm"),
    ("TimeDistributed", "TimeDistributed"),
    ("Bidirectional", "Bidirectional"),
    ("Embedding", "Embedding"),
    ("Masking", "Masking"),
];

/// Layers that later versions add (Keras's preprocessing layers); naming one gives a clear
/// "not yet" error.
const PLANNED: &[&str] = &["StringLookup", "IntegerLookup", "Hashing"];

/// The definition of the built-in called `name`.
pub fn lookup(name: &str) -> Option<&'static LayerDef> {
    REGISTRY.iter().copied().find(|def| def.name == name)
}

/// Every name that means a layer to the macro (built-ins, Keras spellings, planned layers):
/// what a capitalised bare name is compared with before it is taken for a user's type.
pub fn known_names() -> impl Iterator<Item = &'static str> + Clone {
    REGISTRY
        .iter()
        .map(|def| def.name)
        .chain(KERAS_SPELLINGS.iter().map(|(keras, _)| *keras))
        .chain(PLANNED.iter().copied())
}

/// Keras's automatic name of a layer of type `kind` (shaped's spelling), before `_1`, `_2`:
/// the registered one for a built-in, the snake case of the type for a custom layer.
pub fn auto_name(kind: &str) -> String {
    match lookup(kind) {
        Some(def) => def.auto_name.to_string(),
        None => snake_case(kind),
    }
}

/// Resolves a layer call: known name, arguments bound and read. Errors are recorded in `cx`.
pub fn build(cx: &Ctxt, call: &LayerCall) -> Option<Box<dyn Builtin>> {
    let name = call.ident.to_string();
    let Some(def) = lookup(&name) else {
        cx.error(call.ident.span(), unknown_layer_message(&name));
        return None;
    };
    let args = Args::bind(cx, def.name, def.params, call)?;
    (def.build)(cx, &args)
}

/// The error for a layer name that is not a built-in.
fn unknown_layer_message(name: &str) -> String {
    let built_in: Vec<&str> = REGISTRY.iter().map(|def| def.name).collect();
    let list = built_in.join(", ");
    if let Some((_, ours)) = KERAS_SPELLINGS.iter().find(|(keras, _)| *keras == name) {
        if *ours != name {
            return if PLANNED.contains(ours) {
                format!("unknown layer `{name}`: shaped spells Keras's `{name}` as `{ours}`, which this version of shaped does not have yet; the built-in layers are {list}")
            } else {
                format!("unknown layer `{name}`: shaped spells Keras's `{name}` as `{ours}`")
            };
        }
    }
    if PLANNED.contains(&name) {
        return format!(
            "layer `{name}` is not available in this version of shaped yet; the built-in layers are {list}"
        );
    }
    if name == "Input" || name == "InputLayer" {
        return "the input shape is not a layer here: write it as the model's first line, `input: [64],`"
            .into();
    }
    let candidates = built_in.iter().copied().chain(KERAS_SPELLINGS.iter().map(|(k, _)| *k));
    match nearest(name, candidates) {
        Some(near) => {
            let near = KERAS_SPELLINGS.iter().find(|(k, _)| *k == near).map_or(near, |(_, ours)| ours);
            format!("unknown layer `{name}`; did you mean `{near}`?")
        }
        None => format!("unknown layer `{name}`; the built-in layers are {list}; a custom layer is a Rust expression of its type, like `{name}::new(..)`"),
    }
}

/// A built-in layer with its arguments read: its shape rule, the wording of its errors, and
/// the code it generates.
pub trait Builtin {
    /// The layer's shape rule, from `shaped_rules`, for per-sample input dims `input`.
    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail>;

    /// The size arguments written as const expressions (`("units", HIDDEN)`): the macro cannot
    /// evaluate them, so the layer's shapes are checked by the const tier, and each must be at
    /// least 1 (a const assertion). Empty when every size is a literal; then, and only then,
    /// does the check stage call [`Builtin::rule`].
    fn const_sizes(&self) -> Vec<(&'static str, &Size)> {
        Vec::new()
    }

    /// The fewest and most inputs the layer reads: one, or two and more for a merge.
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }

    /// The shape rule for the per-sample dims of each input (a merge's); for a layer of one
    /// input, [`Builtin::rule`].
    fn rule_many(&self, inputs: &[&[Option<usize>]]) -> Result<ConstDims, Fail> {
        match inputs {
            [input] => self.rule(input),
            _ => Err(Fail::InputCount { found: inputs.len(), min: 1, max: 1 }),
        }
    }

    /// The error on the layer's line when [`Builtin::rule`] rejects its input: the layer, both
    /// shapes, and a fix that compiles when one exists.
    fn message(&self, fail: Fail, at: &At<'_>) -> String;

    /// The shape rule as tokens over several inputs (tokens of `&[Option<usize>]` each), for
    /// the const checks of a merge; a layer of one input uses [`Builtin::rule_tokens`].
    fn rule_tokens_many(&self, inputs: &[TokenStream]) -> TokenStream {
        self.rule_tokens(inputs[0].clone())
    }

    /// A combination of arguments that cannot work on this input, refused before the shape
    /// rule, with the message.
    fn refuse(&self, input: &[Option<usize>], at: &At<'_>) -> Option<String> {
        let _ = (input, at);
        None
    }

    /// Whether applying the layer a second time (`right: left(b)`) is refused: a layer whose
    /// forward pass draws random numbers (`Dropout`) would not be the same layer twice.
    fn refuses_sharing(&self) -> bool {
        false
    }

    /// Whether the layer reads the model's token ids (`Embedding`) rather than floats.
    fn reads_ids(&self) -> bool {
        self.ids_below().is_some()
    }

    /// Whether the layer reads what a source carries: by default floats, or token ids for a
    /// layer that [`Builtin::reads_ids`]; strings and values that may be missing only where a
    /// layer says so (`StringLookup`, `Normalization`).
    fn accepts(&self, values: Values) -> bool {
        match values {
            Values::Floats => !self.reads_ids(),
            Values::Ids { .. } => self.reads_ids(),
            Values::Text | Values::MaybeMissing => false,
        }
    }

    /// What the layer's output carries, given what its inputs carry (each accepted): floats,
    /// unless the layer says otherwise (a lookup's indices, a concatenation of values that may
    /// be missing).
    fn output_values(&self, inputs: &[Values]) -> Values {
        let _ = inputs;
        Values::Floats
    }

    /// For a layer that reads token ids: the bound every id must be below (`input_dim`).
    fn ids_below(&self) -> Option<Size> {
        None
    }

    /// After a custom layer whose output the macro cannot see: the output type in terms of the
    /// input type `prev`, with the bounds it needs; `None` when the layer cannot follow such a
    /// layer (the user must declare that layer's output with `-> [..]`).
    fn follow(&self, prev: &TokenStream) -> Option<Follow>;

    /// The output when it is known whatever the input (`Reshape` without `-1`).
    fn fixed_output(&self) -> Option<Vec<Option<usize>>> {
        None
    }

    /// The shape rule as tokens, a `Result<ConstDims, Fail>` expression over `input` (tokens of
    /// a `&[Option<usize>]`), for the const checks after a custom layer.
    fn rule_tokens(&self, input: TokenStream) -> TokenStream;

    /// Whether [`Builtin::rule`] can reject an input (`Activation` and `Dropout` cannot), so a
    /// const check is worth emitting.
    fn can_fail(&self) -> bool {
        true
    }

    /// The type of the model's field holding the layer.
    fn stage_type(&self) -> TokenStream;

    /// The expression that builds the layer inside `new(seed)`.
    fn stage_init(&self, at: &Init<'_>) -> TokenStream;

    /// Every argument with its value, Keras's defaults filled in, in Keras's order: the
    /// layer's configuration in whole-model files (`Network::NODES`), so that `Dense(10)` and
    /// `Dense(10, use_bias = true)` compare equal. The default, for a layer without arguments,
    /// is none.
    fn config(&self) -> Vec<(&'static str, ConfigValue)> {
        Vec::new()
    }
}

/// What a source (a model input or a layer's output) carries to the layers that read it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Values {
    /// Numbers (`f32`).
    Floats,
    /// Integer indices: a `u32` input's token ids, or a lookup's indices, each below `below`
    /// when the macro knows the bound.
    Ids { below: Option<usize> },
    /// Strings (a `String` input).
    Text,
    /// Numbers that may be missing (an `Option<f32>` input, or a concatenation of one).
    MaybeMissing,
}

/// One argument's value in a layer's configuration.
pub enum ConfigValue {
    /// JSON text the macro knows: `64`, `"relu"`, `true`, `[3, 3]`.
    Json(String),
    /// A size written as a const expression (tokens of a `usize`), evaluated by the compiler.
    Size(TokenStream),
    /// A list whose items may be const expressions (`Reshape([STEPS, -1])`).
    List(Vec<ConfigValue>),
    /// A layer given as an argument (`TimeDistributed(Dense(8))`): its class and arguments.
    Layer(&'static str, Vec<(&'static str, ConfigValue)>),
}

impl ConfigValue {
    /// A size: its number, or the const expression.
    pub fn size(size: &Size) -> Self {
        match size.known() {
            Some(n) => ConfigValue::Json(n.to_string()),
            None => ConfigValue::Size(size.tokens()),
        }
    }

    /// A JSON string (the names written here need no escapes).
    pub fn str(text: &str) -> Self {
        ConfigValue::Json(format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\"")))
    }

    /// A number or boolean, as Rust prints it (`0.2`, `true`, `-1`).
    pub fn plain(value: impl std::fmt::Display) -> Self {
        ConfigValue::Json(value.to_string())
    }

    /// A list of numbers: `[2, 2]`.
    pub fn list<T: std::fmt::Display>(values: &[T]) -> Self {
        let parts: Vec<String> = values.iter().map(ToString::to_string).collect();
        ConfigValue::Json(format!("[{}]", parts.join(", ")))
    }

    /// A float, which JSON cannot hold when it is NaN or infinite (never after the checks).
    pub fn float(value: f64) -> Self {
        if value.is_finite() {
            ConfigValue::Json(format!("{value:?}"))
        } else {
            ConfigValue::Json("null".into())
        }
    }

    /// The activation's Keras name.
    pub fn activation(activation: Activation) -> Self {
        ConfigValue::str(activation.keras_name())
    }

    /// Tokens of a `::shaped::model::ConfigArg`.
    pub fn tokens(&self) -> TokenStream {
        match self {
            ConfigValue::Json(text) => quote!(::shaped::model::ConfigArg::Json(#text)),
            ConfigValue::Size(size) => quote!(::shaped::model::ConfigArg::Size(#size)),
            ConfigValue::List(items) => {
                let items = items.iter().map(ConfigValue::tokens);
                quote!(::shaped::model::ConfigArg::List(&[#(#items),*]))
            }
            ConfigValue::Layer(class, args) => {
                let args = config_tokens(args);
                quote!(::shaped::model::ConfigArg::Layer(#class, #args))
            }
        }
    }
}

/// `&[("units", ConfigArg::Json("8")), ..]` tokens for a layer's configuration.
pub fn config_tokens(args: &[(&'static str, ConfigValue)]) -> TokenStream {
    let parts = args.iter().map(|(name, value)| {
        let value = value.tokens();
        quote!((#name, #value))
    });
    quote!(&[#(#parts),*])
}

/// How a layer's output type follows its input type after a custom layer.
pub struct Follow {
    /// The output type.
    pub ty: TokenStream,
    /// The bounds the type needs (`Prev: ReplaceLast<U10>`).
    pub bounds: Vec<TokenStream>,
}

/// Where a layer sits, for its messages.
pub struct At<'a> {
    /// How messages show the layer: `Dense(10)`.
    pub display: &'a str,
    /// Its input's per-sample dims.
    pub input: &'a [Option<usize>],
    /// Where its input comes from.
    pub previous: &'a Previous,
    /// Every input's name (as the layer line reads it) and dims, for the messages of merges.
    pub sources: &'a [(String, Vec<Option<usize>>)],
}

/// What a layer's constructor can use.
pub struct Init<'a> {
    /// The layer's 0-based index in the model (which seeds its initialiser).
    pub index: usize,
    /// Its (first) input's dims when the macro knows them.
    pub input: Option<&'a [Option<usize>]>,
    /// Its (first) input's shape type.
    pub in_ty: &'a TokenStream,
    /// What each of its sources carries.
    pub values: &'a [Values],
}

impl Init<'_> {
    /// Whether a source may hold missing values (an `Option<f32>` input), which the layer
    /// must fill or mark.
    pub fn may_be_missing(&self) -> bool {
        self.values.contains(&Values::MaybeMissing)
    }
}

impl Init<'_> {
    /// The layer's random generator: `&mut layer_rng(seed, index)`.
    pub fn rng(&self) -> TokenStream {
        let index = self.index;
        quote!(&mut ::shaped::layers::init::layer_rng(seed, #index))
    }

    /// The input's last dim, known to the macro or read from the input type.
    pub fn last_dim(&self) -> TokenStream {
        match self.input.and_then(|dims| dims.last().copied().flatten()) {
            Some(n) => quote!(#n),
            None => {
                let in_ty = self.in_ty;
                quote!(::shaped::shape::last_static(<#in_ty as ::shaped::shape::Shape>::DIMS))
            }
        }
    }
}

/// `::shaped::layers::Activation::Relu` for `Activation::Relu`.
pub fn activation_tokens(activation: Activation) -> TokenStream {
    let variant = format_ident!("{}", activation.variant_name());
    quote!(::shaped::layers::Activation::#variant)
}

/// `&[Some(4), None]` tokens for a dims list.
pub fn option_dims(dims: &[Option<usize>]) -> TokenStream {
    let parts = dims.iter().map(|d| match d {
        Some(n) => quote!(::core::option::Option::Some(#n)),
        None => quote!(::core::option::Option::None),
    });
    quote!(&[#(#parts),*])
}

/// `[64]`, `[None, 12]`.
pub fn fmt_dims(dims: &[Option<usize>]) -> String {
    let parts: Vec<String> = dims.iter().map(|d| d.map_or("None".to_string(), |d| d.to_string())).collect();
    format!("[{}]", parts.join(", "))
}

/// `Dense` → `dense`, `SimpleRnn` → `simple_rnn`, `MySubModel` → `my_sub_model`.
pub fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
