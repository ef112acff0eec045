//! Every rule of the `model!` language, written as one `check_*` function per rule. Each
//! records its errors in the [`Ctxt`] and carries on, so one build shows every mistake.
//!
//! The result is a [`Plan`]: each layer resolved to an [`Op`] with its input and output
//! shapes, as far as the macro can know them.

use crate::ast::{Arg, DType, DimLit, LayerBody, LayerDecl, ModelDef};
use crate::ctxt::Ctxt;
use crate::kw;
use crate::suggest::nearest;
use proc_macro2::Span;
use std::collections::HashMap;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, Path};

/// The largest vocabulary an `Embedding` may have: token ids travel as `f32`, exact up to 2^24.
const MAX_EXACT_ID: usize = 1 << 24;

/// A shape as far as the macro knows it.
#[derive(Clone, Debug, PartialEq)]
pub enum ShapeState {
    /// Every axis known to the macro (`None` = a runtime axis).
    Known(Vec<Option<usize>>),
    /// Decided by a custom layer's `Layer` impl; only the type system and const checks know it.
    Opaque,
    /// Not computable because of an earlier error (no further shape errors are reported).
    Broken,
}

/// What a layer does, with its arguments resolved.
pub enum Op<'a> {
    Dense {
        units: usize,
        activation: &'static str,
        use_bias: bool,
    },
    Activation {
        activation: &'static str,
    },
    Dropout {
        rate: f64,
        seed: Option<u64>,
    },
    Flatten,
    /// `None` marks the `-1` axis.
    Reshape {
        target: Vec<Option<usize>>,
    },
    Custom {
        expr: &'a Expr,
        ty: &'a Path,
        declared: Option<Vec<Option<usize>>>,
    },
    Embedding {
        input_dim: usize,
        output_dim: usize,
        mask_zero: bool,
    },
    Masking {
        value: f64,
    },
    Rnn(Rnn),
    Bidirectional {
        inner: Rnn,
        /// `Concat`, `Sum`, `Mul` or `Ave`.
        merge: &'static str,
    },
    /// `TimeDistributed(Dense(..))`: the Dense applied to every step.
    TimeDistributed {
        units: usize,
        activation: &'static str,
        use_bias: bool,
    },
    GlobalPool {
        max: bool,
    },
}

/// A recurrent layer's configuration (Keras's arguments).
#[derive(Clone, Copy)]
pub struct Rnn {
    /// `SimpleRnn`, `Lstm` or `Gru`.
    pub kind: &'static str,
    pub units: usize,
    pub activation: &'static str,
    pub recurrent_activation: &'static str,
    pub use_bias: bool,
    pub unit_forget_bias: bool,
    pub return_sequences: bool,
    pub go_backwards: bool,
    pub reset_after: bool,
}

/// One layer, ready to expand.
pub struct PlannedLayer<'a> {
    pub decl: &'a LayerDecl,
    /// The field and Keras name: `hidden`, or automatic `dense_1`.
    pub name: String,
    /// How errors and summaries show the layer: `Dense(128)`, `Projection`.
    pub display: String,
    pub op: Op<'a>,
    pub input: ShapeState,
    pub output: ShapeState,
}

/// A model that passed every check.
pub struct Plan<'a> {
    pub input: Vec<Option<usize>>,
    pub dtype: DType,
    pub layers: Vec<PlannedLayer<'a>>,
}

impl Plan<'_> {
    /// The model's output shape.
    pub fn output(&self) -> &ShapeState {
        &self.layers.last().expect("a plan has at least one layer").output
    }
}

/// Runs every rule over the model.
pub fn check(def: &ModelDef) -> syn::Result<Plan<'_>> {
    let cx = Ctxt::new();
    let (input, dtype) = check_input(&cx, def);
    check_has_layers(&cx, def);
    let names = check_names(&cx, def);
    let mut shape = match &input {
        Some(dims) => ShapeState::Known(dims.clone()),
        None => ShapeState::Broken,
    };
    let mut layers = Vec::new();
    let mut previous = match &input {
        Some(dims) => Previous::input(dims, dtype),
        None => Previous::default(),
    };
    for (decl, name) in def.layers.iter().zip(names) {
        let display = display(decl);
        let op = check_layer_args(&cx, decl);
        let output = match &op {
            // After a layer with an error the input is unknown: no dtype or shape rule applies.
            Some(_) if shape == ShapeState::Broken => ShapeState::Broken,
            Some(op) if check_dtype(&cx, decl, &display, op, dtype) => {
                infer_output(&cx, decl, &display, op, &shape, &previous)
            }
            Some(_) => ShapeState::Broken,
            None => ShapeState::Broken,
        };
        if let ShapeState::Known(dims) = &output {
            previous = Previous::layer(&display, dims);
        }
        if let Some(op) = op {
            layers.push(PlannedLayer {
                decl,
                name,
                display,
                op,
                input: shape.clone(),
                output: output.clone(),
            });
        }
        shape = output;
    }
    cx.check()?;
    Ok(Plan { input: input.expect("checked"), dtype, layers })
}

/// A model needs an `input:` line with positive dims, rank 1 to 5 (Keras fails only at `fit`).
fn check_input(cx: &Ctxt, def: &ModelDef) -> (Option<Vec<Option<usize>>>, DType) {
    let Some(input) = &def.input else {
        cx.error(
            def.name.span(),
            format!(
                "model `{}` has no input shape; add it as the first line, like `input: [10],` for 10 features per sample (batch axis excluded)",
                def.name
            ),
        );
        return (None, DType::F32);
    };
    if input.dims.is_empty() || input.dims.len() > 5 {
        cx.error(
            input.span,
            format!(
                "the input shape must have 1 to 5 dimensions (batch axis excluded), but has {}",
                input.dims.len()
            ),
        );
        return (None, input.dtype);
    }
    let mut dims = Vec::new();
    for d in &input.dims {
        match *d {
            DimLit::Static(0, span) => {
                cx.error(span, "an input dimension must be at least 1, but is 0");
                return (None, input.dtype);
            }
            DimLit::Static(n, _) => dims.push(Some(n)),
            DimLit::None(_) => dims.push(None),
            DimLit::Infer(span) => {
                cx.error(
                    span,
                    "`-1` is only for `Reshape`; an input dimension is a positive integer or `None`",
                );
                return (None, input.dtype);
            }
        }
    }
    (Some(dims), input.dtype)
}

/// A model needs at least one layer.
fn check_has_layers(cx: &Ctxt, def: &ModelDef) {
    if def.layers.is_empty() {
        cx.error(
            def.name.span(),
            format!(
                "model `{}` has no layers; add at least one after the `input:` line, like `Dense(10),`",
                def.name
            ),
        );
    }
}

/// Layer names are unique: explicit `name:` prefixes may not repeat; automatic names follow
/// Keras (`dense`, `dense_1`, ...) and skip the names already taken.
fn check_names(cx: &Ctxt, def: &ModelDef) -> Vec<String> {
    let mut explicit: HashMap<String, usize> = HashMap::new();
    for decl in &def.layers {
        let Some(name) = &decl.name else { continue };
        let text = name.to_string();
        if text.starts_with("__shaped") {
            cx.error(
                name.span(),
                "layer names starting with `__shaped` are reserved for the macro; choose another name",
            );
        }
        match explicit.get(&text) {
            Some(first) => cx.error(
                name.span(),
                format!("two layers are named `{text}` (layer #{first} and layer #{}); give this one another name", decl.number),
            ),
            None => {
                explicit.insert(text, decl.number);
            }
        }
    }
    let mut counters: HashMap<String, usize> = HashMap::new();
    def.layers
        .iter()
        .map(|decl| match &decl.name {
            Some(name) => name.to_string(),
            None => {
                let kind = kind_name(decl);
                let base = kw::keras_name(&kind).map_or_else(|| snake_case(&kind), str::to_string);
                loop {
                    let n = counters.entry(base.clone()).or_insert(0);
                    let candidate = if *n == 0 { base.clone() } else { format!("{base}_{n}") };
                    *n += 1;
                    if !explicit.contains_key(&candidate) {
                        break candidate;
                    }
                }
            }
        })
        .collect()
}

/// Built-in layers work on floats; `u32` token ids need an `Embedding` first.
/// Token ids (`u32` input) go into an `Embedding` first, and only there: an `Embedding` on
/// float input, or a float layer on ids, is an error.
fn check_dtype(cx: &Ctxt, decl: &LayerDecl, display: &str, op: &Op, dtype: DType) -> bool {
    let LayerBody::Builtin { ident, .. } = &decl.body else { return true };
    let first = decl.number == 1;
    match (op, dtype) {
        (Op::Embedding { .. }, DType::U32) if first => return true,
        (Op::Embedding { .. }, DType::U32) => cx.error(
            ident.span(),
            format!("`{display}` takes the model's token ids, so it must be the first layer after `input: u32[..]`"),
        ),
        (Op::Embedding { .. }, DType::F32) => cx.error(
            ident.span(),
            format!(
                "`{display}` takes integer token ids, but {}; declare the input as ids, `input: u32[None],` (or `u32[length]`)",
                if first { "the model's input is `f32`".to_string() } else { "the layer before it outputs floats".to_string() }
            ),
        ),
        (_, DType::U32) if first => cx.error(
            ident.span(),
            format!("`{display}` needs float input, but the model's input is `u32` token ids; put an `Embedding(vocab_size, dim)` layer first to turn ids into vectors"),
        ),
        _ => return true,
    }
    false
}

/// The layer's type name: `Dense`, or the custom type's last path segment.
fn kind_name(decl: &LayerDecl) -> String {
    match &decl.body {
        LayerBody::Builtin { ident, .. } => ident.to_string(),
        LayerBody::Custom { ty, .. } => ty.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
    }
}

/// How a layer is named in messages: `Dense(128)` (first argument only), `Flatten`, `Projection`.
fn display(decl: &LayerDecl) -> String {
    match &decl.body {
        LayerBody::Builtin { ident, args } => match args.first() {
            Some(Arg::Positional(e)) => format!("{ident}({})", compact(e)),
            Some(Arg::Keyword(..)) => format!("{ident}(..)"),
            None => ident.to_string(),
        },
        LayerBody::Custom { .. } => kind_name(decl),
    }
}

/// An expression as compact source text: `[4, 32]`, `0.2`.
fn compact(e: &Expr) -> String {
    quote::quote!(#e).to_string().replace(" ,", ",").replace("[ ", "[").replace(" ]", "]").replace("- ", "-")
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

/// `[64]`, `[None, 12]`.
pub fn fmt_dims(dims: &[Option<usize>]) -> String {
    let parts: Vec<String> = dims.iter().map(|d| d.map_or("None".to_string(), |d| d.to_string())).collect();
    format!("[{}]", parts.join(", "))
}

/// Layer names must be known, and each argument must be one the layer takes, with a value of
/// the right kind and range.
fn check_layer_args<'a>(cx: &Ctxt, decl: &'a LayerDecl) -> Option<Op<'a>> {
    let (ident, args) = match &decl.body {
        LayerBody::Custom { expr, ty } => {
            let declared = decl.declared_out.as_ref().and_then(|(dims, _)| check_declared(cx, dims));
            if decl.declared_out.is_some() && declared.is_none() {
                return None;
            }
            return Some(Op::Custom { expr, ty, declared });
        }
        LayerBody::Builtin { ident, args } => (ident, args),
    };
    if let Some((_, span)) = &decl.declared_out {
        cx.error(
            *span,
            format!(
                "`-> [..]` declares the output of a custom layer; `{ident}`'s output shape is already known to the macro, so remove it"
            ),
        );
    }
    builtin_op(cx, ident, args)
}

/// A built-in layer's arguments, checked and resolved (also for the layer inside
/// `Bidirectional(..)` and `TimeDistributed(..)`).
fn builtin_op<'a>(cx: &Ctxt, ident: &syn::Ident, args: &'a [Arg]) -> Option<Op<'a>> {
    let name = ident.to_string();
    if kw::layer_args(&name).is_none() {
        cx.error(ident.span(), unknown_layer_message(&name));
        return None;
    }
    let bound = bind_args(cx, &name, args)?;
    let get = |key: &str| bound.get(key).copied();
    match name.as_str() {
        "Dense" => {
            let units = match get("units") {
                Some(e) => positive_int(cx, e, &name, "units", "the number of output features")?,
                None => {
                    cx.error(ident.span(), "`Dense` needs `units`, the number of output features, as its first argument: `Dense(64)`");
                    return None;
                }
            };
            let activation = match get("activation") {
                Some(e) => activation(cx, e)?,
                None => "Linear",
            };
            let use_bias = match get("use_bias") {
                Some(e) => bool_arg(cx, e, "use_bias")?,
                None => true,
            };
            Some(Op::Dense { units, activation, use_bias })
        }
        "Activation" => match get("activation") {
            Some(e) => Some(Op::Activation { activation: activation(cx, e)? }),
            None => {
                cx.error(ident.span(), "`Activation` needs the activation's name: `Activation(relu)`");
                None
            }
        },
        "Dropout" => {
            let Some(e) = get("rate") else {
                cx.error(ident.span(), "`Dropout` needs `rate`, the fraction of values to drop, as its first argument: `Dropout(0.2)`");
                return None;
            };
            let rate = float_arg(cx, e, "Dropout", "rate")?;
            if !(0.0..1.0).contains(&rate) {
                cx.error(e.span(), format!("`Dropout` rate must be at least 0 and below 1, but is {rate}; it is the fraction of values dropped, like `Dropout(0.2)`"));
                return None;
            }
            let seed = match get("seed") {
                Some(e) => Some(positive_int(cx, e, "Dropout", "seed", "a random seed").map(|s| s as u64)?),
                None => None,
            };
            Some(Op::Dropout { rate, seed })
        }
        "Flatten" => Some(Op::Flatten),
        "Reshape" => {
            let Some(e) = get("target_shape") else {
                cx.error(
                    ident.span(),
                    "`Reshape` needs the target shape (batch axis excluded): `Reshape([4, 32])`",
                );
                return None;
            };
            Some(Op::Reshape { target: reshape_target(cx, e)? })
        }
        "Embedding" => {
            let (Some(i), Some(o)) = (get("input_dim"), get("output_dim")) else {
                cx.error(
                    ident.span(),
                    "`Embedding` needs the vocabulary size and the vector size: `Embedding(10000, 64)` (ids must be below the first; with `mask_zero = true`, 0 is padding)",
                );
                return None;
            };
            let input_dim = positive_int(cx, i, &name, "input_dim", "the vocabulary size")?;
            if input_dim > MAX_EXACT_ID {
                cx.error(
                    i.span(),
                    format!("`Embedding` input_dim is {input_dim}, but this version of shaped carries token ids as `f32`, which holds every integer only up to {MAX_EXACT_ID} (2^24); hash or bucket the ids into at most {MAX_EXACT_ID}, or use `Embedding({MAX_EXACT_ID}, ..)`"),
                );
                return None;
            }
            let output_dim = positive_int(cx, o, &name, "output_dim", "the size of each vector")?;
            let mask_zero = match get("mask_zero") {
                Some(e) => bool_arg(cx, e, "mask_zero")?,
                None => false,
            };
            Some(Op::Embedding { input_dim, output_dim, mask_zero })
        }
        "Masking" => {
            let value = match get("mask_value") {
                Some(e) => float_arg(cx, e, "Masking", "mask_value")?,
                None => 0.0,
            };
            Some(Op::Masking { value })
        }
        "SimpleRnn" | "Lstm" | "Gru" => Some(Op::Rnn(rnn_args(cx, ident, &name, &bound)?)),
        "Bidirectional" => {
            let Some(inner) = get("layer") else {
                cx.error(ident.span(), "`Bidirectional` wraps a recurrent layer: `Bidirectional(Lstm(64))`");
                return None;
            };
            let inner_op =
                nested_op(cx, inner, "Bidirectional", "a recurrent layer: `Bidirectional(Lstm(64))`")?;
            let Inner::Rnn(rnn) = inner_op else {
                cx.error(inner.span(), "`Bidirectional` wraps a recurrent layer (`SimpleRnn`, `Lstm`, `Gru`): `Bidirectional(Lstm(64))`");
                return None;
            };
            let merge = match get("merge_mode") {
                None => "Concat",
                Some(e) => {
                    let text = match e {
                        Expr::Path(p) if p.path.get_ident().is_some() => {
                            p.path.get_ident().map(|i| i.to_string())
                        }
                        Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Some(s.value()),
                        _ => None,
                    };
                    match text.as_deref() {
                        Some("concat") => "Concat",
                        Some("sum") => "Sum",
                        Some("mul") => "Mul",
                        Some("ave") => "Ave",
                        _ => {
                            cx.error(
                                e.span(),
                                format!(
                                    "`merge_mode` must be concat, sum, mul or ave, but got `{}`",
                                    compact(e)
                                ),
                            );
                            return None;
                        }
                    }
                }
            };
            Some(Op::Bidirectional { inner: rnn, merge })
        }
        "TimeDistributed" => {
            let Some(inner) = get("layer") else {
                cx.error(
                    ident.span(),
                    "`TimeDistributed` wraps the layer to apply at every step: `TimeDistributed(Dense(10))`",
                );
                return None;
            };
            match nested_op(cx, inner, "TimeDistributed", "a `Dense` layer: `TimeDistributed(Dense(10))`")? {
                Inner::Dense { units, activation, use_bias } => {
                    Some(Op::TimeDistributed { units, activation, use_bias })
                }
                _ => {
                    cx.error(inner.span(), "`TimeDistributed` wraps `Dense` in this version: `TimeDistributed(Dense(10))` (a `Dense` on a sequence already applies to every step)");
                    None
                }
            }
        }
        "GlobalAvgPool1d" => Some(Op::GlobalPool { max: false }),
        "GlobalMaxPool1d" => Some(Op::GlobalPool { max: true }),
        _ => unreachable!("every name in kw::LAYERS is matched above"),
    }
}

/// A layer written inside a wrapper's parentheses, resolved.
enum Inner {
    Rnn(Rnn),
    Dense { units: usize, activation: &'static str, use_bias: bool },
    Other,
}

/// The layer written inside a wrapper's parentheses: `Lstm(64)` in `Bidirectional(Lstm(64))`.
fn nested_op(cx: &Ctxt, expr: &Expr, wrapper: &str, expected: &str) -> Option<Inner> {
    let (ident, args): (syn::Ident, Vec<Arg>) = match expr {
        Expr::Call(call) if crate::parse::single_ident(&call.func).is_some() => (
            crate::parse::single_ident(&call.func).expect("checked by the guard"),
            call.args.iter().cloned().map(crate::parse::to_arg).collect(),
        ),
        Expr::Path(p) if p.path.get_ident().is_some() => {
            (p.path.get_ident().cloned().expect("checked"), Vec::new())
        }
        _ => {
            cx.error(expr.span(), format!("`{wrapper}` wraps {expected}, but got `{}`", compact(expr)));
            return None;
        }
    };
    Some(match builtin_op(cx, &ident, &args)? {
        Op::Rnn(rnn) => Inner::Rnn(rnn),
        Op::Dense { units, activation, use_bias } => Inner::Dense { units, activation, use_bias },
        _ => Inner::Other,
    })
}

/// A recurrent layer's arguments with Keras's defaults.
fn rnn_args(cx: &Ctxt, ident: &syn::Ident, name: &str, bound: &HashMap<&'static str, &Expr>) -> Option<Rnn> {
    let get = |key: &str| bound.get(key).copied();
    let Some(units) = get("units") else {
        cx.error(
            ident.span(),
            format!("`{name}` needs `units`, the size of its state, as its first argument: `{name}(64)`"),
        );
        return None;
    };
    let units = positive_int(cx, units, name, "units", "the size of its state")?;
    let flag = |key: &str, default: bool| match get(key) {
        Some(e) => bool_arg(cx, e, key),
        None => Some(default),
    };
    if flag("return_state", false)? {
        cx.error(
            get("return_state").map_or_else(|| ident.span(), |e| e.span()),
            format!("`{name}` with `return_state = true` returns several tensors, which a sequential model cannot pass on; use `return_sequences = true` for every step's output, or the last output (the default), which is the last state `h`"),
        );
        return None;
    }
    let act = match get("activation") {
        Some(e) => activation(cx, e)?,
        None => "Tanh",
    };
    let recurrent_act = match get("recurrent_activation") {
        Some(e) => activation(cx, e)?,
        None => "Sigmoid",
    };
    Some(Rnn {
        kind: match name {
            "SimpleRnn" => "SimpleRnn",
            "Lstm" => "Lstm",
            _ => "Gru",
        },
        units,
        activation: act,
        recurrent_activation: recurrent_act,
        use_bias: flag("use_bias", true)?,
        unit_forget_bias: flag("unit_forget_bias", true)?,
        return_sequences: flag("return_sequences", false)?,
        go_backwards: flag("go_backwards", false)?,
        reset_after: flag("reset_after", true)?,
    })
}

/// The error for a layer name that is not a built-in.
fn unknown_layer_message(name: &str) -> String {
    let built_in: Vec<&str> = kw::LAYERS.iter().map(|(n, _)| *n).collect();
    let list = built_in.join(", ");
    if let Some((_, ours)) = kw::KERAS_SPELLINGS.iter().find(|(keras, _)| *keras == name) {
        if *ours != name {
            return if kw::PLANNED.contains(ours) {
                format!("unknown layer `{name}`: shaped spells Keras's `{name}` as `{ours}`, which this version of shaped does not have yet; the built-in layers are {list}")
            } else {
                format!("unknown layer `{name}`: shaped spells Keras's `{name}` as `{ours}`")
            };
        }
    }
    if kw::PLANNED.contains(&name) {
        return format!(
            "layer `{name}` is not available in this version of shaped yet; the built-in layers are {list}"
        );
    }
    if name == "Input" || name == "InputLayer" {
        return "the input shape is not a layer here: write it as the model's first line, `input: [64],`"
            .into();
    }
    let candidates = built_in.iter().copied().chain(kw::KERAS_SPELLINGS.iter().map(|(k, _)| *k));
    match nearest(name, candidates) {
        Some(near) => {
            let near = kw::KERAS_SPELLINGS.iter().find(|(k, _)| *k == near).map_or(near, |(_, ours)| ours);
            format!("unknown layer `{name}`; did you mean `{near}`?")
        }
        None => format!("unknown layer `{name}`; the built-in layers are {list}; a custom layer is a Rust expression of its type, like `{name}::new(..)`"),
    }
}

/// Matches positional and keyword arguments to the layer's parameters.
fn bind_args<'a>(cx: &Ctxt, layer: &str, args: &'a [Arg]) -> Option<HashMap<&'static str, &'a Expr>> {
    let params: Vec<&'static str> = kw::layer_args(layer).expect("known layer").to_vec();
    let mut bound: HashMap<&'static str, &Expr> = HashMap::new();
    let mut ok = true;
    let list = if params.is_empty() {
        "it takes no arguments".to_string()
    } else {
        format!("its arguments are {}", params.join(", "))
    };
    let mut position = 0;
    for arg in args {
        match arg {
            Arg::Positional(e) => {
                if position >= params.len() {
                    cx.error(
                        e.span(),
                        format!(
                            "`{layer}` takes {} positional argument{}, but this is argument {}; {list}",
                            params.len(),
                            if params.len() == 1 { "" } else { "s" },
                            position + 1
                        ),
                    );
                    ok = false;
                } else {
                    bound.insert(params[position], e);
                }
                position += 1;
            }
            Arg::Keyword(key, e) => {
                let key_text = key.to_string();
                match params.iter().find(|p| **p == key_text) {
                    Some(p) if bound.contains_key(p) => {
                        cx.error(key.span(), format!("`{layer}` got `{key_text}` twice"));
                        ok = false;
                    }
                    Some(p) => {
                        bound.insert(p, e);
                    }
                    None => {
                        let hint = nearest(&key_text, params.iter().copied())
                            .map(|n| format!("did you mean `{n}`? "))
                            .unwrap_or_default();
                        cx.error(key.span(), format!("`{layer}` has no argument `{key_text}`; {hint}{list}"));
                        ok = false;
                    }
                }
            }
        }
    }
    ok.then_some(bound)
}

fn int_lit(e: &Expr) -> Option<&syn::LitInt> {
    match e {
        Expr::Lit(ExprLit { lit: Lit::Int(i), .. }) => Some(i),
        Expr::Group(g) => int_lit(&g.expr),
        _ => None,
    }
}

/// A positive integer literal.
fn positive_int(cx: &Ctxt, e: &Expr, layer: &str, param: &str, meaning: &str) -> Option<usize> {
    match int_lit(e).map(|i| i.base10_parse::<usize>()) {
        Some(Ok(0)) => {
            cx.error(e.span(), format!("`{layer}` needs `{param}` of at least 1, but got 0"));
            None
        }
        Some(Ok(n)) => Some(n),
        Some(Err(err)) => {
            cx.error(e.span(), err);
            None
        }
        None => {
            let example = if layer == "Dense" {
                format!("; write `Dense(64, activation = {})`", compact(e))
            } else {
                String::new()
            };
            cx.error(
                e.span(),
                format!(
                    "`{layer}` needs `{param}` ({meaning}) as a positive integer, but got `{}`{example}",
                    compact(e)
                ),
            );
            None
        }
    }
}

/// A float (or integer) literal.
fn float_arg(cx: &Ctxt, e: &Expr, layer: &str, param: &str) -> Option<f64> {
    let value = match e {
        Expr::Lit(ExprLit { lit: Lit::Float(f), .. }) => f.base10_parse::<f64>().ok(),
        Expr::Lit(ExprLit { lit: Lit::Int(i), .. }) => i.base10_parse::<f64>().ok(),
        _ => None,
    };
    if value.is_none() {
        cx.error(
            e.span(),
            format!("`{layer}` needs `{param}` as a number, like `{layer}(0.2)`, but got `{}`", compact(e)),
        );
    }
    value
}

/// `true` / `false` (Python's `True` / `False` get a hint).
fn bool_arg(cx: &Ctxt, e: &Expr, param: &str) -> Option<bool> {
    if let Expr::Lit(ExprLit { lit: Lit::Bool(b), .. }) = e {
        return Some(b.value);
    }
    let text = compact(e);
    let hint = match text.as_str() {
        "True" => "; write `true`",
        "False" => "; write `false`",
        _ => "",
    };
    cx.error(e.span(), format!("`{param}` must be `true` or `false`, but got `{text}`{hint}"));
    None
}

/// An activation by name: `relu` or `"relu"`; returns the runtime variant.
fn activation(cx: &Ctxt, e: &Expr) -> Option<&'static str> {
    let name = match e {
        Expr::Path(p) if p.path.get_ident().is_some() => p.path.get_ident().map(|i| i.to_string()),
        Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Some(s.value()),
        _ => None,
    };
    let Some(name) = name else {
        cx.error(
            e.span(),
            format!("expected an activation name like `relu` or `softmax`, but got `{}`", compact(e)),
        );
        return None;
    };
    if name == "None" {
        return Some("Linear");
    }
    if let Some((_, variant)) = kw::ACTIVATIONS.iter().find(|(n, _)| *n == name) {
        return Some(variant);
    }
    let names = kw::ACTIVATIONS.iter().map(|(n, _)| *n);
    let msg = match nearest(&name, names.clone()) {
        Some(near) => format!("unknown activation `{name}`; did you mean `{near}`?"),
        None => format!(
            "unknown activation `{name}`; the activations are {}",
            names.collect::<Vec<_>>().join(", ")
        ),
    };
    cx.error(e.span(), msg);
    None
}

/// `[4, 32]` or `(4, 32)` with at most one `-1`.
fn reshape_target(cx: &Ctxt, e: &Expr) -> Option<Vec<Option<usize>>> {
    let elems: Vec<&Expr> = match e {
        Expr::Array(a) => a.elems.iter().collect(),
        Expr::Tuple(t) => t.elems.iter().collect(),
        _ => {
            cx.error(e.span(), format!("`Reshape` needs its target shape as a list of sizes, like `Reshape([4, 32])`, but got `{}`", compact(e)));
            return None;
        }
    };
    if elems.is_empty() || elems.len() > 5 {
        cx.error(
            e.span(),
            format!(
                "`Reshape` needs a target shape of 1 to 5 dimensions (batch axis excluded), but got {}",
                elems.len()
            ),
        );
        return None;
    }
    let mut target = Vec::new();
    for el in elems {
        let dim = match el {
            Expr::Unary(u)
                if matches!(u.op, syn::UnOp::Neg(_))
                    && int_lit(&u.expr).is_some_and(|i| i.base10_digits() == "1") =>
            {
                None
            }
            _ => match int_lit(el).and_then(|i| i.base10_parse::<usize>().ok()) {
                Some(n) if n > 0 => Some(n),
                _ => {
                    cx.error(
                        el.span(),
                        format!(
                            "a `Reshape` dimension must be a positive integer or `-1`, but got `{}`",
                            compact(el)
                        ),
                    );
                    return None;
                }
            },
        };
        target.push(dim);
    }
    if target.iter().filter(|d| d.is_none()).count() > 1 {
        cx.error(e.span(), "`Reshape` can infer only one dimension, but the target has more than one `-1`; give all but one of them a size");
        return None;
    }
    Some(target)
}

/// `-> [dims]` on a custom layer: integers or `None`.
fn check_declared(cx: &Ctxt, dims: &[DimLit]) -> Option<Vec<Option<usize>>> {
    let mut out = Vec::new();
    for d in dims {
        match *d {
            DimLit::Static(0, span) => {
                cx.error(span, "a dimension must be at least 1, but is 0");
                return None;
            }
            DimLit::Static(n, _) => out.push(Some(n)),
            DimLit::None(_) => out.push(None),
            DimLit::Infer(span) => {
                cx.error(
                    span,
                    "`-1` is only for `Reshape`; a declared output dimension is a positive integer or `None`",
                );
                return None;
            }
        }
    }
    if out.is_empty() || out.len() > 5 {
        cx.error(
            dims.first().map_or_else(Span::call_site, dim_span),
            "a declared output shape must have 1 to 5 dimensions",
        );
        return None;
    }
    Some(out)
}

fn dim_span(d: &DimLit) -> Span {
    match *d {
        DimLit::Static(_, s) | DimLit::None(s) | DimLit::Infer(s) => s,
    }
}

/// Where a layer's input comes from, as messages name it, and how to change that source.
#[derive(Default)]
struct Previous {
    /// "the model's input is [None]", "the previous layer `Dense(128)` outputs [128]".
    text: String,
    /// The `input:` line's dtype prefix (`u32`) when the shape is the model's input, so a fix
    /// can rewrite that line; `None` after a layer.
    input_dtype: Option<&'static str>,
}

impl Previous {
    fn input(dims: &[Option<usize>], dtype: DType) -> Self {
        Previous {
            text: format!("the model's input is {}", fmt_dims(dims)),
            input_dtype: Some(match dtype {
                DType::F32 => "",
                DType::U32 => "u32",
            }),
        }
    }

    fn layer(display: &str, dims: &[Option<usize>]) -> Self {
        Previous {
            text: format!("the previous layer `{display}` outputs {}", fmt_dims(dims)),
            input_dtype: None,
        }
    }

    /// When the shape is the model's input, `fix` applied to the `input:` line with `dims`
    /// (a fix that compiles as written); else nothing, since a layer's output cannot be
    /// rewritten by a message.
    fn fix_input(&self, dims: &[Option<usize>], fix: impl FnOnce(&str) -> String) -> String {
        match self.input_dtype {
            Some(dtype) => fix(&format!("`input: {dtype}{},`", fmt_dims(dims))),
            None => String::new(),
        }
    }
}

impl std::fmt::Display for Previous {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A recurrent layer takes `[timesteps, features]` with known features and outputs
/// `[timesteps, units · factor]` with `return_sequences`, else `[units · factor]`.
///
/// Every fix a message suggests compiles when applied (each has a twin under
/// `trybuild/fixed/`).
fn recurrent_output(
    cx: &Ctxt,
    span: Span,
    display: &str,
    rnn: &Rnn,
    factor: usize,
    dims: &[Option<usize>],
    previous: &Previous,
) -> ShapeState {
    let units = rnn.units * factor;
    match dims {
        [t, Some(_)] => {
            ShapeState::Known(if rnn.return_sequences { vec![*t, Some(units)] } else { vec![Some(units)] })
        }
        [t, None] => {
            let fix = previous.fix_input(&[*t, Some(1)], |l| {
                format!("; declare how many values each step has, like {l} for one")
            });
            cx.error(
                span,
                format!(
                    "`{display}` needs a known number of features per step, but its input is {}{fix}",
                    fmt_dims(dims)
                ),
            );
            ShapeState::Broken
        }
        [Some(n)] => {
            cx.error(
                span,
                format!(
                    "`{display}` expects [timesteps, features] input, but {previous}; to treat each feature as a timestep, add `Reshape([{n}, 1])` before it"
                ),
            );
            ShapeState::Broken
        }
        [None] => {
            let fix = previous.fix_input(&[None, Some(1)], |l| {
                format!("; for sequences of one value per step, declare the input as {l}")
            });
            cx.error(span, format!("`{display}` expects [timesteps, features] input, but {previous}{fix}"));
            ShapeState::Broken
        }
        [Some(t), rest @ ..] if rest.iter().all(Option::is_some) => {
            let features: usize = rest.iter().flatten().product();
            cx.error(
                span,
                format!(
                    "`{display}` expects [timesteps, features] input, but {previous}; to read it as {t} steps of {features} features, add `Reshape([{t}, {features}])` before it"
                ),
            );
            ShapeState::Broken
        }
        [t, rest @ ..] => {
            let features = rest.iter().copied().collect::<Option<Vec<usize>>>().map(|f| f.iter().product());
            let fix = match features {
                Some(f) => previous.fix_input(&[*t, Some(f)], |l| {
                    format!("; flatten each step's values in the data and declare the input as {l}")
                }),
                None => String::new(),
            };
            cx.error(span, format!("`{display}` expects [timesteps, features] input, but {previous}{fix}"));
            ShapeState::Broken
        }
        [] => ShapeState::Broken,
    }
}

/// The shape rule of each built-in layer, applied to the shape the macro knows.
fn infer_output(
    cx: &Ctxt,
    decl: &LayerDecl,
    display: &str,
    op: &Op,
    input: &ShapeState,
    previous: &Previous,
) -> ShapeState {
    let span = match &decl.body {
        LayerBody::Builtin { ident, .. } => ident.span(),
        LayerBody::Custom { expr, .. } => expr.span(),
    };
    let dims = match input {
        ShapeState::Known(dims) => dims,
        ShapeState::Broken => return ShapeState::Broken,
        ShapeState::Opaque => {
            return match op {
                Op::Custom { declared: Some(d), .. } => ShapeState::Known(d.clone()),
                Op::Reshape { target } if !target.contains(&None) => ShapeState::Known(target.clone()),
                Op::Embedding { .. }
                | Op::Masking { .. }
                | Op::Rnn(_)
                | Op::Bidirectional { .. }
                | Op::TimeDistributed { .. }
                | Op::GlobalPool { .. } => {
                    cx.error(
                        span,
                        format!(
                            "`{display}` follows a custom layer whose output the macro cannot see; declare that layer's output with `-> [..]` (for a sequence, `-> [None, features]`)"
                        ),
                    );
                    ShapeState::Broken
                }
                _ => ShapeState::Opaque,
            }
        }
    };
    match op {
        Op::Embedding { output_dim, .. } => match dims.as_slice() {
            [t] => ShapeState::Known(vec![*t, Some(*output_dim)]),
            _ => {
                let fix = previous
                    .fix_input(&[None], |l| format!("; declare the input as {l}, one token id per step"));
                cx.error(
                    span,
                    format!(
                        "`{display}` takes one token id per step, [length], but its input is {}{fix}",
                        fmt_dims(dims)
                    ),
                );
                ShapeState::Broken
            }
        },
        Op::Masking { .. } => match dims.as_slice() {
            [_, _] => ShapeState::Known(dims.clone()),
            _ => {
                let fix = one_value_per_step(dims, previous);
                cx.error(
                    span,
                    format!(
                        "`{display}` masks steps of a sequence, [timesteps, features], but its input is {}{fix}",
                        fmt_dims(dims)
                    ),
                );
                ShapeState::Broken
            }
        },
        Op::Rnn(rnn) if rnn.go_backwards && rnn.return_sequences && dims.first() == Some(&None) => {
            cx.error(
                span,
                format!(
                    "`{display}` with `go_backwards = true` and `return_sequences = true` returns its steps last-first, so on padded sequences its outputs no longer line up with the mask (Keras silently mixes the padding in); use `Bidirectional({display})`, or `return_sequences = false` for the last output"
                ),
            );
            ShapeState::Broken
        }
        Op::Rnn(rnn) => recurrent_output(cx, span, display, rnn, 1, dims, previous),
        Op::Bidirectional { inner, merge } => {
            let factor = if *merge == "Concat" { 2 } else { 1 };
            recurrent_output(cx, span, display, inner, factor, dims, previous)
        }
        Op::TimeDistributed { units, .. } => match dims.as_slice() {
            [_, .., Some(_)] => {
                let mut out = dims.clone();
                *out.last_mut().expect("non-empty") = Some(*units);
                ShapeState::Known(out)
            }
            _ => {
                let fix = one_value_per_step(dims, previous);
                cx.error(
                    span,
                    format!(
                        "`{display}` applies its layer to every step of [timesteps, features], but its input is {}{fix}",
                        fmt_dims(dims)
                    ),
                );
                ShapeState::Broken
            }
        },
        Op::GlobalPool { .. } => match dims.as_slice() {
            [_, f] => ShapeState::Known(vec![*f]),
            [Some(_)] => {
                cx.error(
                    span,
                    format!(
                        "`{display}` pools over the steps of [timesteps, features], but {previous}, which has no time axis to pool over; remove `{display}`"
                    ),
                );
                ShapeState::Broken
            }
            _ => {
                let fix = one_value_per_step(dims, previous);
                cx.error(
                    span,
                    format!(
                        "`{display}` pools over the steps of [timesteps, features], but its input is {}{fix}",
                        fmt_dims(dims)
                    ),
                );
                ShapeState::Broken
            }
        },
        Op::Dense { units, .. } => match dims.last() {
            Some(Some(_)) => {
                let mut out = dims.clone();
                *out.last_mut().expect("non-empty") = Some(*units);
                ShapeState::Known(out)
            }
            _ => {
                let fix = match dims.as_slice() {
                    [None] => previous.fix_input(&[None, Some(1)], |l| {
                        format!("; for one value per step declare the input as {l} (`Dense` then applies to each step), or pad or truncate the data to a fixed length and declare it, like `input: [100],`")
                    }),
                    _ => {
                        let mut example = dims.clone();
                        *example.last_mut().expect("non-empty") = Some(12);
                        previous.fix_input(&example, |l| format!("; declare how many values each step has, like {l}"))
                    }
                };
                let fix = if fix.is_empty() {
                    "; the layer before it must output a fixed last dimension".to_string()
                } else {
                    fix
                };
                cx.error(
                    span,
                    format!(
                        "`{display}` needs a known last dimension, but its input is {}{fix}",
                        fmt_dims(dims)
                    ),
                );
                ShapeState::Broken
            }
        },
        Op::Activation { .. } | Op::Dropout { .. } => ShapeState::Known(dims.clone()),
        Op::Flatten => match dims.iter().copied().collect::<Option<Vec<usize>>>() {
            Some(known) => ShapeState::Known(vec![Some(known.iter().product())]),
            None => {
                let fix = match dims.as_slice() {
                    [None, Some(_)] => "; pool over the steps instead: replace `Flatten` with `GlobalAvgPool1d`, or pad or truncate the sequences to a fixed length".to_string(),
                    _ => match previous.input_dtype {
                        Some(_) => previous.fix_input(&fixed_example(dims), |l| format!("; pad or truncate the data to a fixed size and declare it, like {l}")),
                        None => "; the layer before it must output fixed dimensions".to_string(),
                    },
                };
                cx.error(
                    span,
                    format!(
                        "`Flatten` needs every dimension known, but its input is {}{fix}",
                        fmt_dims(dims)
                    ),
                );
                ShapeState::Broken
            }
        },
        Op::Reshape { target } => {
            let Some(total) =
                dims.iter().copied().collect::<Option<Vec<usize>>>().map(|d| d.iter().product::<usize>())
            else {
                let fix = match previous.input_dtype {
                    Some(_) => previous.fix_input(&fixed_example(dims), |l| {
                        format!("; pad or truncate the data to a fixed size and declare it, like {l}")
                    }),
                    None => "; the layer before it must output fixed dimensions".to_string(),
                };
                cx.error(
                    span,
                    format!("`{display}` needs every dimension of its input known, but {previous}{fix}"),
                );
                return ShapeState::Broken;
            };
            let known: usize = target.iter().flatten().product();
            if target.contains(&None) {
                if total % known != 0 {
                    cx.error(span, format!(
                        "`{display}` needs an input whose element count is a multiple of {known}, but {previous} ({total} elements)"
                    ));
                    return ShapeState::Broken;
                }
                ShapeState::Known(target.iter().map(|d| Some(d.unwrap_or(total / known))).collect())
            } else if known != total {
                cx.error(span, format!(
                    "`{display}` needs an input with {known} elements, but {previous} ({total} elements); choose target dims whose product is {total}"
                ));
                ShapeState::Broken
            } else {
                ShapeState::Known(target.clone())
            }
        }
        Op::Custom { declared, .. } => match declared {
            Some(d) => ShapeState::Known(d.clone()),
            None => ShapeState::Opaque,
        },
    }
}

/// For a layer that works on `[timesteps, features]` given `[None]` (a sequence of bare
/// values): the `input: [None, 1]` that gives each step one feature, when the shape is the
/// model's input.
fn one_value_per_step(dims: &[Option<usize>], previous: &Previous) -> String {
    match dims {
        [None] => previous.fix_input(&[None, Some(1)], |l| {
            format!("; for sequences of one value per step, declare the input as {l}")
        }),
        _ => String::new(),
    }
}

/// `dims` with every `None` replaced by an example size, 100: the fixed shape a fix declares.
fn fixed_example(dims: &[Option<usize>]) -> Vec<Option<usize>> {
    dims.iter().map(|d| Some(d.unwrap_or(100))).collect()
}
