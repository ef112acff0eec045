//! The rules of a model written as a graph: every name a layer reads is an input or a layer
//! above it, each layer gets as many inputs as it takes, a layer applied twice takes one shape,
//! the outputs are marked and named once, and every input and layer leads to an output.

use super::values::NodeKind;
use crate::ast::{LayerBody, LayerDecl, ModelDef};
use crate::ctxt::Ctxt;
use crate::layers::fmt_dims;
use crate::plan::{Op, PlannedInput, PlannedLayer, ShapeState, Src};
use shaped_rules::nearest;
use shaped_rules::MAX_OUTPUTS;
use syn::spanned::Spanned;
use syn::Ident;

/// The sources of every layer, resolved to inputs and earlier nodes (`None` after an error).
pub fn resolve_sources(
    cx: &Ctxt,
    def: &ModelDef,
    inputs: &[PlannedInput<'_>],
    names: &[String],
) -> Vec<Option<Vec<Src>>> {
    def.layers
        .iter()
        .enumerate()
        .map(|(i, decl)| {
            let Some(sources) = &decl.sources else {
                let before = match i.checked_sub(1) {
                    Some(p) => names[p].clone(),
                    None => inputs.first().map_or("x".to_string(), |inp| inp.name.clone()),
                };
                cx.error(
                    layer_span(decl),
                    format!(
                        "in a model with named inputs each layer names what it reads: write `{}({before})` to read `{before}`",
                        written(decl)
                    ),
                );
                return None;
            };
            if sources.names.is_empty() {
                let message = match decl.output {
                    Some(_) => format!(
                        "output `{}` depends on no input: its layer reads nothing; name the input or layer it reads, like `{}({})`",
                        names[i],
                        written(decl),
                        inputs.first().map_or("x", |inp| inp.name.as_str())
                    ),
                    None => format!(
                        "`{}` reads nothing; name the input or layer it reads, like `{}({})`",
                        written(decl),
                        written(decl),
                        inputs.first().map_or("x", |inp| inp.name.as_str())
                    ),
                };
                cx.error(sources.span, message);
                return None;
            }
            let mut resolved = Vec::new();
            for name in &sources.names {
                match resolve(cx, def, inputs, names, i, name) {
                    Some(src) => resolved.push(src),
                    None => return None,
                }
            }
            Some(resolved)
        })
        .collect()
}

/// `name`, read by layer `i`: an input, or a layer above it; else an error naming the nearest.
fn resolve(
    cx: &Ctxt,
    def: &ModelDef,
    inputs: &[PlannedInput<'_>],
    names: &[String],
    i: usize,
    name: &Ident,
) -> Option<Src> {
    let text = name.to_string();
    if let Some(k) = inputs.iter().position(|inp| inp.name == text) {
        return Some(Src::Input(k));
    }
    let layer = &def.layers[i];
    match names.iter().position(|n| *n == text) {
        Some(j) if j < i => Some(Src::Node(j)),
        Some(j) if j == i => {
            cx.error(
                name.span(),
                format!(
                    "layer #{} `{}` reads itself; name an input or a layer above it",
                    layer.number,
                    written(layer)
                ),
            );
            None
        }
        Some(j) => {
            cx.error(
                name.span(),
                format!(
                    "layer #{} `{}` reads `{text}`, which is defined below it (layer #{}); a layer reads inputs and layers above it: move this line below `{text}`",
                    layer.number,
                    written(layer),
                    j + 1
                ),
            );
            None
        }
        None => {
            let candidates =
                inputs.iter().map(|inp| inp.name.as_str()).chain(names[..i].iter().map(String::as_str));
            let hint = match nearest(&text, candidates) {
                Some(near) => format!("; did you mean `{near}`?"),
                None => {
                    let known: Vec<String> = inputs
                        .iter()
                        .map(|inp| format!("`{}`", inp.name))
                        .chain(names[..i].iter().map(|n| format!("`{n}`")))
                        .collect();
                    format!("; it can read {}", known.join(", "))
                }
            };
            cx.error(
                name.span(),
                format!(
                    "layer #{} `{}` reads `{text}`, which is not an input or a layer of model `{}`{hint}",
                    layer.number,
                    written(layer),
                    def.name
                ),
            );
            None
        }
    }
}

/// The node whose layer `right: left(b)` applies again: `left`, an earlier node (through to the
/// node that owns the layer when `left` applies one itself).
pub fn shared_owner<'a>(
    cx: &Ctxt,
    decl: &'a LayerDecl,
    owner: &Ident,
    names: &[String],
    kinds: &[Option<NodeKind>],
) -> Option<Op<'a>> {
    let text = owner.to_string();
    let i = decl.number - 1;
    match names.iter().position(|n| *n == text) {
        Some(j) if j < i => {
            let owner = match kinds.get(j).copied().flatten() {
                Some(NodeKind::Shared(first)) => first,
                Some(_) => j,
                // That layer has an error of its own.
                None => return None,
            };
            Some(Op::Shared { owner })
        }
        _ => {
            let hint = nearest(&text, names[..i].iter().map(String::as_str))
                .map(|near| format!("; did you mean `{near}`?"))
                .unwrap_or_default();
            cx.error(
                owner.span(),
                format!(
                    "`{text}({})` applies the layer of `{text}`, but no layer above is named `{text}`{hint}",
                    decl.sources.as_ref().map_or(String::new(), |s| s
                        .names
                        .iter()
                        .map(|n| n.to_string())
                        .collect::<Vec<_>>()
                        .join(", "))
                ),
            );
            None
        }
    }
}

/// A shared layer takes one shape: the shape node `owner`'s layer was built for. The node's
/// output is the owner's.
pub fn check_shared(
    cx: &Ctxt,
    decl: &LayerDecl,
    owner: usize,
    names: &[String],
    planned: &[PlannedLayer<'_>],
    input: &ShapeState,
) -> ShapeState {
    let Some(first) = planned.iter().find(|l| l.decl.number == owner + 1) else { return ShapeState::Broken };
    if matches!(&first.op, Op::Builtin(b) if b.refuses_sharing()) {
        cx.error(
            layer_span(decl),
            format!(
                "`{}` cannot be applied twice: it draws new random numbers on every call, so its second use would not be the same layer; give each branch its own `{}`",
                first.display, first.display
            ),
        );
        return ShapeState::Broken;
    }
    match (&first.input, input) {
        (ShapeState::Known(a), ShapeState::Known(b)) if a != b => {
            let (a_src, b_src) = (source_names_of(first.decl), source_names_of(decl));
            cx.error(
                layer_span(decl),
                format!(
                    "layer `{}` (`{}`) is applied to `{a_src}` of shape {} and to `{b_src}` of shape {}; a shared layer has one set of weights, so it takes one shape: give this branch its own layer, or make both inputs {}",
                    names[owner],
                    first.display,
                    fmt_dims(a),
                    fmt_dims(b),
                    fmt_dims(a)
                ),
            );
            ShapeState::Broken
        }
        (ShapeState::Known(_), ShapeState::Known(_)) => first.output.clone(),
        // Shapes from const expressions: the runtime refuses a second shape (`Err` naming both).
        (ShapeState::Const, ShapeState::Const) => first.output.clone(),
        (ShapeState::Broken, _) | (_, ShapeState::Broken) => ShapeState::Broken,
        _ => {
            cx.error(
                layer_span(decl),
                format!(
                    "layer `{}` is applied to an input whose shape the macro cannot see (after a custom layer); declare that layer's output with `-> [..]`",
                    names[owner]
                ),
            );
            ShapeState::Broken
        }
    }
}

/// `a, b`: what a layer line reads, as written.
fn source_names_of(decl: &LayerDecl) -> String {
    decl.sources
        .as_ref()
        .map_or(String::new(), |s| s.names.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", "))
}

/// The marked outputs, at least one and at most [`MAX_OUTPUTS`].
pub fn check_outputs(cx: &Ctxt, def: &ModelDef) -> Vec<usize> {
    let outputs: Vec<usize> =
        def.layers.iter().enumerate().filter(|(_, l)| l.output.is_some()).map(|(i, _)| i).collect();
    if outputs.is_empty() && !def.layers.is_empty() {
        let last = def.layers.last().expect("not empty");
        cx.error(
            def.name.span(),
            format!(
                "model `{}` marks no output; mark each layer whose result the model returns with `output`, like `output {}: ..`",
                def.name,
                last.name.as_ref().map_or("score".to_string(), |n| n.to_string())
            ),
        );
    }
    if let Some(&extra) = outputs.get(MAX_OUTPUTS) {
        cx.error(
            def.layers[extra].output.expect("an output"),
            format!("a model has at most {MAX_OUTPUTS} outputs, but this is output {}", MAX_OUTPUTS + 1),
        );
    }
    outputs
}

/// Every input and layer leads to an output (Keras builds a functional model from the paths
/// between its inputs and outputs and drops the rest silently).
pub fn check_reachability(
    cx: &Ctxt,
    def: &ModelDef,
    inputs: &[PlannedInput<'_>],
    names: &[String],
    sources: &[Option<Vec<Src>>],
    outputs: &[usize],
) {
    if sources.iter().any(Option::is_none) || outputs.is_empty() {
        return;
    }
    let mut used_node = vec![false; def.layers.len()];
    let mut used_input = vec![false; inputs.len()];
    for &o in outputs {
        used_node[o] = true;
    }
    for i in (0..def.layers.len()).rev() {
        if !used_node[i] {
            continue;
        }
        for src in sources[i].iter().flatten() {
            match *src {
                Src::Input(k) => used_input[k] = true,
                Src::Node(j) => used_node[j] = true,
            }
        }
        // A node applying another's layer keeps that layer's node in use.
        if let LayerBody::Shared(owner) = &def.layers[i].body {
            if let Some(j) = names.iter().position(|n| owner == n) {
                used_node[j] = true;
            }
        }
    }
    for (k, input) in inputs.iter().enumerate() {
        if !used_input[k] {
            cx.error(
                input.decl.name.as_ref().map_or(input.decl.span, Ident::span),
                format!(
                    "input `{}` is not read by any layer that leads to an output; read it, or remove this line",
                    input.name
                ),
            );
        }
    }
    for (i, decl) in def.layers.iter().enumerate() {
        if !used_node[i] {
            cx.error(
                layer_span(decl),
                format!(
                    "the result of layer #{} `{}` (`{}`) reaches no output; read it in a later layer, or mark it `output {}: ..`",
                    decl.number,
                    names[i],
                    written(decl),
                    names[i]
                ),
            );
        }
    }
}

/// Where errors about a layer line point.
fn layer_span(decl: &LayerDecl) -> proc_macro2::Span {
    match &decl.body {
        LayerBody::Builtin(call) => call.ident.span(),
        LayerBody::Custom { ty, .. } => ty.span(),
        LayerBody::Shared(name) => name.span(),
    }
}

/// The layer as written, without what it reads: `Dense(64)`, `Flatten()`, `Encoder`.
fn written(decl: &LayerDecl) -> String {
    match &decl.body {
        LayerBody::Builtin(call) if call.args.is_empty() => format!("{}()", call.ident),
        LayerBody::Builtin(call) => call.display(),
        LayerBody::Custom { ty, .. } => ty.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
        LayerBody::Shared(name) => name.to_string(),
    }
}
