//! The recurrent layers, `SimpleRnn`, `Lstm` and `Gru`, and `Bidirectional(..)` around one.
//!
//! ```text
//! input: [None, 12],
//! Lstm(64, return_sequences = true),     [None, 12] → [None, 64]
//! Bidirectional(Gru(32)),                [None, 64] → [64]
//! ```

use crate::args::Args;
use crate::ast::compact;
use crate::ctxt::Ctxt;
use crate::layers::{activation_tokens, fmt_dims, At, Builtin, ConfigValue, Follow, Init, LayerDef};
use crate::size::Size;
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use shaped_rules::{Activation, ConstDims, Fail};
use syn::spanned::Spanned;

pub const SIMPLE_RNN: LayerDef = LayerDef {
    name: "SimpleRnn",
    auto_name: "simple_rnn",
    params: &["units", "activation", "use_bias", "return_sequences", "return_state", "go_backwards"],
    build: |cx, args| Some(Box::new(Rnn::read(cx, args, Kind::SimpleRnn)?)),
};

pub const LSTM: LayerDef = LayerDef {
    name: "Lstm",
    auto_name: "lstm",
    params: &[
        "units",
        "activation",
        "recurrent_activation",
        "use_bias",
        "unit_forget_bias",
        "return_sequences",
        "return_state",
        "go_backwards",
    ],
    build: |cx, args| Some(Box::new(Rnn::read(cx, args, Kind::Lstm)?)),
};

pub const GRU: LayerDef = LayerDef {
    name: "Gru",
    auto_name: "gru",
    params: &[
        "units",
        "activation",
        "recurrent_activation",
        "use_bias",
        "return_sequences",
        "return_state",
        "go_backwards",
        "reset_after",
    ],
    build: |cx, args| Some(Box::new(Rnn::read(cx, args, Kind::Gru)?)),
};

pub const BIDIRECTIONAL: LayerDef = LayerDef {
    name: "Bidirectional",
    auto_name: "bidirectional",
    params: &["layer", "merge_mode"],
    build: |cx, args| Some(Box::new(Bidirectional::read(cx, args)?)),
};

/// Which recurrent layer.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    SimpleRnn,
    Lstm,
    Gru,
}

impl Kind {
    /// The runtime type's name.
    fn type_name(self) -> &'static str {
        match self {
            Kind::SimpleRnn => "SimpleRnn",
            Kind::Lstm => "Lstm",
            Kind::Gru => "Gru",
        }
    }

    /// The layer named `name`, if it is a recurrent one.
    fn of(name: &str) -> Option<Kind> {
        [Kind::SimpleRnn, Kind::Lstm, Kind::Gru].into_iter().find(|k| k.type_name() == name)
    }
}

/// A recurrent layer's configuration (Keras's arguments).
#[derive(Clone)]
struct Rnn {
    kind: Kind,
    units: Size,
    activation: Activation,
    recurrent_activation: Activation,
    use_bias: bool,
    unit_forget_bias: bool,
    return_sequences: bool,
    go_backwards: bool,
    reset_after: bool,
}

impl Rnn {
    /// A recurrent layer's arguments with Keras's defaults.
    fn read(cx: &Ctxt, args: &Args<'_>, kind: Kind) -> Option<Rnn> {
        let name = args.layer;
        let units = args.required(
            cx,
            "units",
            &format!("`{name}` needs `units`, the size of its state, as its first argument: `{name}(64)`"),
        )?;
        let units = args.size(cx, units, "units", "the size of its state")?;
        if args.flag(cx, "return_state", false)? {
            cx.error(
                args.get("return_state").map_or_else(|| args.span(), |v| v.span()),
                format!("`{name}` with `return_state = true` returns several tensors, which a sequential model cannot pass on; use `return_sequences = true` for every step's output, or the last output (the default), which is the last state `h`"),
            );
            return None;
        }
        Some(Rnn {
            kind,
            units,
            activation: args.activation(cx, "activation", Activation::Tanh)?,
            recurrent_activation: args.activation(cx, "recurrent_activation", Activation::Sigmoid)?,
            use_bias: args.flag(cx, "use_bias", true)?,
            unit_forget_bias: args.flag(cx, "unit_forget_bias", true)?,
            return_sequences: args.flag(cx, "return_sequences", false)?,
            go_backwards: args.flag(cx, "go_backwards", false)?,
            reset_after: args.flag(cx, "reset_after", true)?,
        })
    }

    /// The runtime type.
    fn type_tokens(&self) -> TokenStream {
        let ty = Ident::new(self.kind.type_name(), Span::call_site());
        quote!(::shaped::layers::#ty)
    }

    /// `Lstm::new(in, units, RnnOptions { .. }, rng)`.
    fn constructor(&self, in_features: TokenStream, rng: TokenStream) -> TokenStream {
        let ty = self.type_tokens();
        let units = self.units.tokens();
        let Rnn { use_bias, unit_forget_bias, return_sequences, reset_after, go_backwards, .. } = *self;
        let act = activation_tokens(self.activation);
        let rec = activation_tokens(self.recurrent_activation);
        quote! {
            #ty::new(#in_features, #units, ::shaped::layers::RnnOptions {
                return_sequences: #return_sequences,
                go_backwards: #go_backwards,
                activation: #act,
                recurrent_activation: #rec,
                use_bias: #use_bias,
                unit_forget_bias: #unit_forget_bias,
                reset_after: #reset_after,
                ..::core::default::Default::default()
            }, #rng)
        }
    }
}

/// The messages of a recurrent layer (plain or bidirectional) whose input does not fit:
/// `[timesteps, features]` with known features. Every fix they suggest compiles when applied.
fn message(fail: Fail, at: &At<'_>) -> String {
    let (display, previous, dims) = (at.display, at.previous, at.input);
    if fail == Fail::UnknownFeatures {
        let t = dims.first().copied().flatten();
        let fix = previous.fix_input(&[t, Some(1)], |l| {
            format!("; declare how many values each step has, like {l} for one")
        });
        return format!(
            "`{display}` needs a known number of features per step, but its input is {}{fix}",
            fmt_dims(dims)
        );
    }
    match dims {
        [Some(n)] => format!(
            "`{display}` expects [timesteps, features] input, but {previous}; to treat each feature as a timestep, add `Reshape([{n}, 1])` before it"
        ),
        [None] => {
            let fix = previous.fix_input(&[None, Some(1)], |l| format!("; for sequences of one value per step, declare the input as {l}"));
            format!("`{display}` expects [timesteps, features] input, but {previous}{fix}")
        }
        [Some(t), rest @ ..] if rest.iter().all(Option::is_some) => {
            let features: usize = rest.iter().flatten().product();
            format!(
                "`{display}` expects [timesteps, features] input, but {previous}; to read it as {t} steps of {features} features, add `Reshape([{t}, {features}])` before it"
            )
        }
        [t, rest @ ..] => {
            let features = rest.iter().copied().collect::<Option<Vec<usize>>>().map(|f| f.iter().product());
            let fix = match features {
                Some(f) => previous.fix_input(&[*t, Some(f)], |l| format!("; flatten each step's values in the data and declare the input as {l}")),
                None => String::new(),
            };
            format!("`{display}` expects [timesteps, features] input, but {previous}{fix}")
        }
        [] => format!("`{display}` expects [timesteps, features] input, but {previous}"),
    }
}

impl Builtin for Rnn {
    fn config(&self) -> Vec<(&'static str, ConfigValue)> {
        let mut config = vec![
            ("units", ConfigValue::size(&self.units)),
            ("activation", ConfigValue::activation(self.activation)),
        ];
        if self.kind != Kind::SimpleRnn {
            config.push(("recurrent_activation", ConfigValue::activation(self.recurrent_activation)));
        }
        config.push(("use_bias", ConfigValue::plain(self.use_bias)));
        match self.kind {
            Kind::Lstm => config.push(("unit_forget_bias", ConfigValue::plain(self.unit_forget_bias))),
            Kind::Gru => config.push(("reset_after", ConfigValue::plain(self.reset_after))),
            Kind::SimpleRnn => {}
        }
        config.push(("return_sequences", ConfigValue::plain(self.return_sequences)));
        config.push(("go_backwards", ConfigValue::plain(self.go_backwards)));
        config
    }

    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
        // Called only when `units` is a literal (see `const_sizes`).
        shaped_rules::recurrent(input, self.units.known().unwrap_or(1), self.return_sequences)
    }

    fn const_sizes(&self) -> Vec<(&'static str, &Size)> {
        self.units.known().is_none().then_some(("units", &self.units)).into_iter().collect()
    }

    fn message(&self, fail: Fail, at: &At<'_>) -> String {
        message(fail, at)
    }

    fn refuse(&self, input: &[Option<usize>], at: &At<'_>) -> Option<String> {
        let display = at.display;
        (self.go_backwards && self.return_sequences && input.first() == Some(&None)).then(|| {
            format!("`{display}` with `go_backwards = true` and `return_sequences = true` returns its steps last-first, so on padded sequences its outputs no longer line up with the mask (Keras silently mixes the padding in); use `Bidirectional({display})`, or `return_sequences = false` for the last output")
        })
    }

    fn follow(&self, _prev: &TokenStream) -> Option<Follow> {
        None
    }

    fn rule_tokens(&self, input: TokenStream) -> TokenStream {
        let (units, sequences) = (self.units.tokens(), self.return_sequences);
        quote!(::shaped::rules::recurrent(#input, #units, #sequences))
    }

    fn stage_type(&self) -> TokenStream {
        self.type_tokens()
    }

    fn stage_init(&self, at: &Init<'_>) -> TokenStream {
        self.constructor(at.last_dim(), at.rng())
    }
}

/// `Bidirectional(layer, merge_mode = concat)`.
struct Bidirectional {
    inner: Rnn,
    /// The runtime `MergeMode` variant: `Concat`, `Sum`, `Mul` or `Ave`.
    merge: &'static str,
}

impl Bidirectional {
    fn read(cx: &Ctxt, args: &Args<'_>) -> Option<Bidirectional> {
        let value =
            args.required(cx, "layer", "`Bidirectional` wraps a recurrent layer: `Bidirectional(Lstm(64))`")?;
        let Some(call) = &value.layer else {
            cx.error(
                value.expr.span(),
                format!(
                    "`Bidirectional` wraps a recurrent layer: `Bidirectional(Lstm(64))`, but got `{}`",
                    compact(&value.expr)
                ),
            );
            return None;
        };
        let name = call.ident.to_string();
        let (Some(kind), Some(def)) = (Kind::of(&name), crate::layers::lookup(&name)) else {
            // Reports what is wrong with the inner layer itself first.
            crate::layers::build(cx, call)?;
            cx.error(value.span(), "`Bidirectional` wraps a recurrent layer (`SimpleRnn`, `Lstm`, `Gru`): `Bidirectional(Lstm(64))`");
            return None;
        };
        let inner_args = Args::bind(cx, def.name, def.params, call)?;
        let inner = Rnn::read(cx, &inner_args, kind)?;
        let modes = [("concat", "Concat"), ("sum", "Sum"), ("mul", "Mul"), ("ave", "Ave")];
        let merge = args.choice(cx, "merge_mode", &modes, "Concat", "concat, sum, mul or ave")?;
        Some(Bidirectional { inner, merge })
    }

    /// The output width: twice the units when the two directions are concatenated.
    fn width(&self) -> TokenStream {
        let units = self.inner.units.tokens();
        if self.merge == "Concat" {
            quote!((#units * 2))
        } else {
            units
        }
    }
}

impl Builtin for Bidirectional {
    fn config(&self) -> Vec<(&'static str, ConfigValue)> {
        vec![
            ("layer", ConfigValue::Layer(self.inner.kind.type_name(), self.inner.config())),
            ("merge_mode", ConfigValue::str(&self.merge.to_lowercase())),
        ]
    }

    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
        // Called only when `units` is a literal (see `const_sizes`).
        let units = self.inner.units.known().unwrap_or(1);
        let width = if self.merge == "Concat" { 2 * units } else { units };
        shaped_rules::recurrent(input, width, self.inner.return_sequences)
    }

    fn const_sizes(&self) -> Vec<(&'static str, &Size)> {
        self.inner.const_sizes()
    }

    fn message(&self, fail: Fail, at: &At<'_>) -> String {
        message(fail, at)
    }

    fn follow(&self, _prev: &TokenStream) -> Option<Follow> {
        None
    }

    fn rule_tokens(&self, input: TokenStream) -> TokenStream {
        let (width, sequences) = (self.width(), self.inner.return_sequences);
        quote!(::shaped::rules::recurrent(#input, #width, #sequences))
    }

    fn stage_type(&self) -> TokenStream {
        let inner = self.inner.type_tokens();
        quote!(::shaped::layers::Bidirectional<#inner>)
    }

    fn stage_init(&self, at: &Init<'_>) -> TokenStream {
        let forward = self.inner.constructor(at.last_dim(), quote!(&mut rng));
        let merge = Ident::new(self.merge, Span::call_site());
        let index = at.index;
        quote! {{
            let mut rng = ::shaped::layers::init::layer_rng(seed, #index);
            let forward = #forward;
            ::shaped::layers::Bidirectional::new(forward, ::shaped::layers::MergeMode::#merge, &mut rng)
        }}
    }
}
