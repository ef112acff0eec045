//! What each source (a model input, a layer's output) carries — floats, ids with their bound,
//! strings, values that may be missing — and the rule that it reaches only layers that read
//! it, with the messages that say which layer would.

use crate::ast::{DType, LayerBody, LayerDecl};
use crate::ctxt::Ctxt;
use crate::layers::Values;
use crate::plan::{Op, PlannedInput, Src};
use syn::spanned::Spanned;

/// What a node's layer is, for the rules of the nodes after it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A layer of its own, and which of floats, ids, strings and values that may be missing
    /// it reads ([`accepts_slot`]).
    Layer { accepts: [bool; 4] },
    /// Applies the layer of another node.
    Shared(usize),
}

impl NodeKind {
    pub fn of(op: &Op) -> NodeKind {
        let all = [Values::Floats, Values::Ids { below: None }, Values::Text, Values::MaybeMissing];
        match op {
            Op::Builtin(b) => NodeKind::Layer { accepts: all.map(|v| b.accepts(v)) },
            Op::Shared { owner } => NodeKind::Shared(*owner),
            Op::Custom { .. } => NodeKind::Layer { accepts: all.map(|v| v == Values::Floats) },
        }
    }
}

/// What each source carries reaches only layers that read it: token ids go into an
/// `Embedding` (or another layer that reads ids), strings into a `StringLookup` or `Hashing`,
/// values that may be missing into `Normalization` (or `MissingIndicator`, `Concatenate`), and
/// a lookup's integer indices into a layer that reads ids. A mistake is recorded in `cx`,
/// naming the layer, the source and the layer that would make it work, and gives `None`;
/// else `Some` of what the layer's output carries.
#[allow(clippy::too_many_arguments)]
pub fn check_dtype(
    cx: &Ctxt,
    decl: &LayerDecl,
    display: &str,
    op: &Op,
    srcs: &[Src],
    inputs: &Option<Vec<PlannedInput<'_>>>,
    kinds: &[Option<NodeKind>],
    values: &[Values],
    displays: &[String],
    names: &[String],
    graph: bool,
) -> Option<Values> {
    let accepts = |v: Values| match op {
        Op::Builtin(layer) => layer.accepts(v),
        Op::Custom { .. } => v == Values::Floats,
        Op::Shared { owner } => match kinds.get(*owner).copied().flatten() {
            Some(NodeKind::Layer { accepts }) => accepts[accepts_slot(v)],
            _ => v == Values::Floats,
        },
    };
    let reads_ids = accepts(Values::Ids { below: None });
    let span = match &decl.body {
        LayerBody::Builtin(call) => call.ident.span(),
        LayerBody::Custom { ty, .. } => ty.span(),
        LayerBody::Shared(name) => name.span(),
    };
    let inputs = inputs.as_ref()?;
    let model_dtype = inputs.first().map_or(DType::F32, |i| i.dtype);
    let mut seen = Vec::new();
    for src in srcs {
        // What the source carries, its name (an input's) and how messages call it.
        let (source, name, dtype) = match src {
            Src::Input(k) => {
                (input_values(inputs[*k].dtype), inputs[*k].name.as_str(), Some(inputs[*k].dtype))
            }
            Src::Node(i) => (values.get(*i).copied().unwrap_or(Values::Floats), names[*i].as_str(), None),
        };
        let label = match src {
            Src::Input(_) if graph => format!("the input `{name}`"),
            Src::Input(_) => "the model's input".to_string(),
            Src::Node(i) if graph => format!("`{}` (`{}`)", names[*i], displays[*i]),
            Src::Node(i) => format!("`{}`", displays[*i]),
        };
        if accepts(source) {
            seen.push(source);
            continue;
        }
        let message = match (source, dtype) {
            (Values::Floats, None) if reads_ids && !graph && model_dtype == DType::U32 => {
                format!("`{display}` takes the model's token ids, so it must be the first layer after `input: u32[..]`")
            }
            (Values::Floats, None) if reads_ids && graph => format!(
                "`{display}` takes integer token ids, but it reads a layer, which outputs floats; let it read an input declared as ids, like `input words: u32[None],`"
            ),
            (Values::Floats, None) if reads_ids => format!(
                "`{display}` takes integer token ids, but the layer before it outputs floats; declare the input as ids, `input: u32[None],` (or `u32[length]`)"
            ),
            (Values::Floats, Some(_)) if reads_ids && graph => format!(
                "`{display}` takes integer token ids, but the input `{name}` holds `f32` values; declare it as ids, `input {name}: u32[None],` (or `u32[length]`)"
            ),
            (Values::Floats, Some(_)) if reads_ids => format!(
                "`{display}` takes integer token ids, but the model's input is `f32`; declare the input as ids, `input: u32[None],` (or `u32[length]`)"
            ),
            (Values::Floats, _) => format!(
                "`{display}` reads strings, but {label} holds `f32` values; declare a column of strings as `String[1]` (for integer codes, use `IntegerLookup` on a `u32[1]` input)"
            ),
            (Values::Ids { .. }, Some(_)) if graph => {
                format!("`{display}` needs float input, but the input `{name}` holds `u32` token ids; put an `Embedding(vocab_size, dim)` layer between them to turn ids into vectors")
            }
            (Values::Ids { .. }, Some(_)) => format!(
                "`{display}` needs float input, but the model's input is `u32` token ids; put an `Embedding(vocab_size, dim)` layer first to turn ids into vectors"
            ),
            (Values::Ids { below }, None) => {
                let rows = below.map_or("vocab_size".to_string(), |n| n.to_string());
                format!(
                    "`{display}` needs float input, but {label} outputs integer indices (`output_mode = int`); put an `Embedding` after it to turn them into vectors, like `Embedding({rows}, 4)` then `Flatten`, or encode them with `output_mode = one_hot` (or `multi_hot`, `count`)"
                )
            }
            (Values::Text, _) => format!(
                "`{display}` needs numbers, but {label} holds strings; turn them into numbers inside the model first: `StringLookup(max_tokens = 8, output_mode = one_hot)` (or `Hashing(num_bins = 8, output_mode = one_hot)`)"
            ),
            (Values::MaybeMissing, _) => format!(
                "`{display}` needs numbers, but {label} may hold missing values (`Option<f32>`); read it with `Normalization` first, which fills a missing value with the mean (`MissingIndicator` marks where values were missing)"
            ),
        };
        cx.error(span, message);
        return None;
    }
    if let (Op::Builtin(layer), Some(Values::Ids { below: Some(bound) })) = (op, seen.first()) {
        if let Some(crate::size::Size::Lit(limit)) = layer.ids_below() {
            if *bound > limit {
                let source = match srcs.first() {
                    Some(Src::Node(i)) if graph => format!("`{}` (`{}`)", names[*i], displays[*i]),
                    Some(Src::Node(i)) => format!("`{}`", displays[*i]),
                    _ => "its input".to_string(),
                };
                // The call with the bound as its first argument: `Embedding(8, 4)`.
                let fixed = match &decl.body {
                    LayerBody::Builtin(call) => {
                        let mut args: Vec<String> = call
                            .args
                            .iter()
                            .map_while(|a| match a {
                                crate::ast::Arg::Positional(v) => Some(crate::ast::compact(&v.expr)),
                                crate::ast::Arg::Keyword(..) => None,
                            })
                            .collect();
                        match args.first_mut() {
                            Some(first) => *first = bound.to_string(),
                            None => args.push(bound.to_string()),
                        }
                        format!("`{}({})`", call.ident, args.join(", "))
                    }
                    _ => bound.to_string(),
                };
                cx.error(
                    span,
                    format!("`{display}` takes ids below {limit}, but {source} gives indices up to {}; make it {fixed}", bound - 1),
                );
                return None;
            }
        }
    }
    Some(match op {
        Op::Builtin(layer) => layer.output_values(&seen),
        Op::Custom { .. } => Values::Floats,
        Op::Shared { owner } => values.get(*owner).copied().unwrap_or(Values::Floats),
    })
}

/// What an input of `dtype` carries.
pub fn input_values(dtype: DType) -> Values {
    match dtype {
        DType::F32 => Values::Floats,
        DType::U32 => Values::Ids { below: None },
        DType::Text | DType::OptionalText => Values::Text,
        DType::OptionalF32 => Values::MaybeMissing,
    }
}

/// The slot of `v` in [`NodeKind::Layer`]'s `accepts`.
fn accepts_slot(v: Values) -> usize {
    match v {
        Values::Floats => 0,
        Values::Ids { .. } => 1,
        Values::Text => 2,
        Values::MaybeMissing => 3,
    }
}
