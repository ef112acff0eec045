//! The rules of the `model!` language that span layers, one `check_*` function per rule: the
//! input lines, layer names, and the flow of shapes from layer to layer; the rules of
//! graphs (what each layer reads, outputs, shared layers, reachability) are in `graph.rs`, and
//! what each source carries to the layers that read it (dtypes) in `values.rs`. Each layer's
//! own arguments and shape rule live in its module of [`crate::layers`]. Every rule records its
//! errors in the [`Ctxt`] and carries on, so one build shows every mistake.

mod graph;
mod values;

use values::{check_dtype, input_values, NodeKind};

use crate::ast::{DimLit, InputDecl, LayerBody, LayerDecl, ModelDef};
use crate::ctxt::Ctxt;
use crate::layers::{self, fmt_dims, At, Builtin, Previous, Values};
use crate::plan::{Op, Plan, PlannedInput, PlannedLayer, ShapeState, Src};
use crate::size::{known_dims, Size};
use proc_macro2::Span;
use shaped_rules::MAX_INPUTS;
use std::collections::HashMap;
use syn::spanned::Spanned;

/// Runs every rule over the model.
pub fn check(def: &ModelDef) -> syn::Result<Plan<'_>> {
    let cx = Ctxt::new();
    let graph = is_graph(def);
    let inputs = check_inputs(&cx, def, graph);
    check_has_layers(&cx, def);
    let names = check_names(&cx, def, inputs.as_deref().unwrap_or_default());
    let sources = match &inputs {
        Some(inputs) if graph => graph::resolve_sources(&cx, def, inputs, &names),
        _ => (0..def.layers.len())
            .map(|i| Some(vec![if i == 0 { Src::Input(0) } else { Src::Node(i - 1) }]))
            .collect(),
    };
    // Each node's output shape by index, `Broken` after an error; nodes with an error are not
    // planned, but the plan is dropped then anyway.
    let mut shapes: Vec<ShapeState> = Vec::new();
    let mut displays: Vec<String> = Vec::new();
    let mut kinds: Vec<Option<NodeKind>> = Vec::new();
    // What each node's output carries (floats, ids, ...).
    let mut values: Vec<Values> = Vec::new();
    // Each node's trail: the shapes from the model's input through each layer to its output.
    let mut trails: Vec<String> = Vec::new();
    let mut layers = Vec::new();
    for ((decl, name), srcs) in def.layers.iter().zip(&names).zip(&sources) {
        let display = display(decl, &names, def);
        let srcs = srcs.clone().unwrap_or_default();
        let shape_of = |src: &Src| match (src, &inputs) {
            (Src::Input(k), Some(inputs)) => inputs[*k].state(),
            (Src::Input(_), None) => ShapeState::Broken,
            (Src::Node(i), _) => shapes[*i].clone(),
        };
        let in_shapes: Vec<ShapeState> = srcs.iter().map(shape_of).collect();
        let source_names: Vec<String> = srcs
            .iter()
            .map(|src| match (src, &inputs) {
                (Src::Input(k), Some(inputs)) => inputs[*k].name.clone(),
                (Src::Node(i), _) => names[*i].clone(),
                (Src::Input(_), None) => String::new(),
            })
            .collect();
        let first_shape = in_shapes.first().cloned().unwrap_or(ShapeState::Broken);
        let op = check_layer_args(&cx, decl, &names, &kinds);
        let trail = match (srcs.first(), &inputs) {
            (Some(Src::Input(k)), Some(inputs)) => {
                inputs[*k].dims().map(|d| format!("input {}", fmt_dims(&d))).unwrap_or_default()
            }
            (Some(Src::Node(j)), _) => trails[*j].clone(),
            _ => String::new(),
        };
        let previous = match srcs.first() {
            Some(src) => {
                previous_of(*src, &inputs, &displays, &names, &shapes, graph).with_trail(trail.clone())
            }
            None => Previous::default(),
        };
        let mut out_values = Values::Floats;
        let output = match &op {
            // After a layer with an error the input is unknown: no dtype or shape rule applies.
            Some(_) if srcs.is_empty() || in_shapes.contains(&ShapeState::Broken) => ShapeState::Broken,
            Some(op) => {
                match check_dtype(
                    &cx, decl, &display, op, &srcs, &inputs, &kinds, &values, &displays, &names, graph,
                ) {
                    Some(carried) => {
                        out_values = carried;
                        match op {
                            Op::Shared { owner } => {
                                graph::check_shared(&cx, decl, *owner, &names, &layers, &first_shape)
                            }
                            _ => check_shape(&cx, decl, &display, op, &in_shapes, &source_names, &previous),
                        }
                    }
                    None => ShapeState::Broken,
                }
            }
            _ => ShapeState::Broken,
        };
        let in_values: Vec<Values> = srcs
            .iter()
            .map(|src| match (src, &inputs) {
                (Src::Input(k), Some(inputs)) => input_values(inputs[*k].dtype),
                (Src::Node(i), _) => values.get(*i).copied().unwrap_or(Values::Floats),
                (Src::Input(_), None) => Values::Floats,
            })
            .collect();
        values.push(out_values);
        trails.push(match &output {
            ShapeState::Known(dims) if !trail.is_empty() => {
                format!("{trail} → `{display}` {}", fmt_dims(dims))
            }
            _ => String::new(),
        });
        shapes.push(output.clone());
        displays.push(display.clone());
        kinds.push(op.as_ref().map(NodeKind::of));
        if let Some(op) = op {
            layers.push(PlannedLayer {
                decl,
                name: name.clone(),
                display,
                op,
                sources: srcs,
                input: first_shape,
                output,
                in_values,
            });
        }
    }
    let outputs = if graph {
        graph::check_outputs(&cx, def)
    } else {
        def.layers.len().checked_sub(1).into_iter().collect()
    };
    if let Some(inputs) = &inputs {
        if graph {
            graph::check_reachability(&cx, def, inputs, &names, &sources, &outputs);
        }
    }
    cx.check()?;
    Ok(Plan { inputs: inputs.expect("checked"), layers, outputs, graph })
}

/// Whether the model is written as a graph: a named input, a layer applied to names, or an
/// `output` mark.
fn is_graph(def: &ModelDef) -> bool {
    def.inputs.iter().any(|i| i.name.is_some())
        || def.layers.iter().any(|l| l.sources.is_some() || l.output.is_some())
}

/// How messages name the source of a layer's input.
fn previous_of(
    src: Src,
    inputs: &Option<Vec<PlannedInput<'_>>>,
    displays: &[String],
    names: &[String],
    shapes: &[ShapeState],
    graph: bool,
) -> Previous {
    match (src, inputs) {
        (Src::Input(k), Some(inputs)) => {
            let input = &inputs[k];
            let name = if graph { Some(input.name.as_str()) } else { None };
            match input.dims() {
                Some(dims) => Previous::input(name, &dims, input.dtype),
                None => Previous::default(),
            }
        }
        (Src::Node(i), _) => match &shapes[i] {
            ShapeState::Known(dims) if graph => Previous::node(&names[i], &displays[i], dims),
            ShapeState::Known(dims) => Previous::layer(&displays[i], dims),
            _ => Previous::default(),
        },
        (Src::Input(_), None) => Previous::default(),
    }
}

/// A model needs an `input:` line (a graph: one `input name:` line per input, at most
/// [`MAX_INPUTS`]) with positive dims, rank 1 to 5 (Keras fails only at `fit`).
fn check_inputs<'a>(cx: &Ctxt, def: &'a ModelDef, graph: bool) -> Option<Vec<PlannedInput<'a>>> {
    if def.inputs.is_empty() {
        cx.error(
            def.name.span(),
            format!(
                "model `{}` has no input shape; add it as the first line, like `input: [10],` for 10 features per sample (batch axis excluded)",
                def.name
            ),
        );
        return None;
    }
    if def.inputs.len() > MAX_INPUTS {
        cx.error(
            def.inputs[MAX_INPUTS].span,
            format!("a model has at most {MAX_INPUTS} inputs, but this is input {}", MAX_INPUTS + 1),
        );
        return None;
    }
    let mut planned = Vec::new();
    let mut ok = true;
    let mut seen: HashMap<String, Span> = HashMap::new();
    for input in &def.inputs {
        let name = match &input.name {
            Some(name) => name.to_string(),
            None if graph && def.inputs.len() > 1 => {
                cx.error(input.span, "a model with several inputs names each one: write `input name: [..],`");
                ok = false;
                continue;
            }
            None => "input".to_string(),
        };
        if let Some(first) = seen.insert(name.clone(), input.span) {
            let mut err = syn::Error::new(
                input.span,
                format!("two inputs are named `{name}`; give this one another name"),
            );
            err.combine(syn::Error::new(first, "the first is here"));
            cx.error(input.span, err.to_string());
            ok = false;
        }
        if (input.dtype.is_text() || input.dtype.is_optional())
            && !matches!(input.dims.as_slice(), [DimLit::Static(1, _)])
        {
            let what = if input.dtype.is_text() { "one string" } else { "one value that may be missing" };
            let article = if input.dtype.is_optional() { "an" } else { "a" };
            cx.error(
                input.span,
                format!(
                    "{article} `{}` input holds {what} per sample (one column of a table): declare it `{}[1]`, one input per column",
                    input.dtype.written(),
                    input.dtype.written()
                ),
            );
            ok = false;
            continue;
        }
        match check_input_dims(cx, input) {
            Some(sizes) => planned.push(PlannedInput { decl: input, name, sizes, dtype: input.dtype }),
            None => ok = false,
        }
    }
    ok.then_some(planned)
}

/// One input's dims: 1 to 5 of them, each positive, `None` or a const expression.
fn check_input_dims(cx: &Ctxt, input: &InputDecl) -> Option<Vec<Option<Size>>> {
    if input.dims.is_empty() || input.dims.len() > 5 {
        cx.error(
            input.span,
            format!(
                "the input shape must have 1 to 5 dimensions (batch axis excluded), but has {}",
                input.dims.len()
            ),
        );
        return None;
    }
    let mut dims = Vec::new();
    for d in &input.dims {
        match d {
            DimLit::Static(0, span) => {
                cx.error(*span, "an input dimension must be at least 1, but is 0");
                return None;
            }
            DimLit::Static(n, _) => dims.push(Some(Size::Lit(*n))),
            DimLit::None(_) => dims.push(None),
            DimLit::Expr(e) => dims.push(Some(Size::Expr(e.clone()))),
            DimLit::Infer(span) => {
                cx.error(
                    *span,
                    "`-1` is only for `Reshape`; an input dimension is a positive integer or `None`",
                );
                return None;
            }
        }
    }
    Some(dims)
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

/// Layer names are unique and differ from the inputs' names: explicit `name:` prefixes may
/// not repeat; automatic names follow Keras (`dense`, `dense_1`, ...) and skip the names
/// already taken. A node that applies another node's layer (`right: left(b)`) needs a name.
fn check_names(cx: &Ctxt, def: &ModelDef, inputs: &[PlannedInput<'_>]) -> Vec<String> {
    let mut explicit: HashMap<String, usize> = HashMap::new();
    for decl in &def.layers {
        let Some(name) = &decl.name else {
            if let LayerBody::Shared(owner) = &decl.body {
                cx.error(
                    owner.span(),
                    format!("name this second use of `{owner}`'s layer, like `{owner}_2: {owner}(..)`, so that later layers can read it"),
                );
            }
            continue;
        };
        let text = name.to_string();
        if text.starts_with("__shaped") {
            cx.error(
                name.span(),
                "layer names starting with `__shaped` are reserved for the macro; choose another name",
            );
        }
        if inputs.iter().any(|i| i.name == text && i.decl.name.is_some()) {
            cx.error(name.span(), format!("`{text}` is the name of an input; give this layer another name"));
        }
        match explicit.get(&text) {
            Some(first) => {
                let both_outputs =
                    decl.output.is_some() && def.layers.get(first - 1).is_some_and(|f| f.output.is_some());
                let message = if both_outputs {
                    format!(
                        "two outputs are named `{text}` (layer #{first} and layer #{}); each output needs its own name",
                        decl.number
                    )
                } else {
                    format!(
                        "two layers are named `{text}` (layer #{first} and layer #{}); give this one another name",
                        decl.number
                    )
                };
                cx.error(name.span(), message)
            }
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
                let base = layers::auto_name(&kind_name(decl));
                loop {
                    let n = counters.entry(base.clone()).or_insert(0);
                    let candidate = if *n == 0 { base.clone() } else { format!("{base}_{n}") };
                    *n += 1;
                    if !explicit.contains_key(&candidate) && !inputs.iter().any(|i| i.name == candidate) {
                        break candidate;
                    }
                }
            }
        })
        .collect()
}

/// The layer's type name: `Dense`, or the custom type's last path segment.
fn kind_name(decl: &LayerDecl) -> String {
    match &decl.body {
        LayerBody::Builtin(call) => call.ident.to_string(),
        LayerBody::Custom { ty, .. } => ty.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
        LayerBody::Shared(owner) => owner.to_string(),
    }
}

/// How a layer is named in messages: `Dense(128)` (first argument only), `Flatten`,
/// `Projection`; a node applying another's layer is shown as that layer.
fn display(decl: &LayerDecl, names: &[String], def: &ModelDef) -> String {
    match &decl.body {
        LayerBody::Builtin(call) => call.display(),
        LayerBody::Custom { .. } => kind_name(decl),
        LayerBody::Shared(owner) => match names.iter().position(|n| owner == n) {
            Some(i) if i + 1 < decl.number => display(&def.layers[i], names, def),
            _ => owner.to_string(),
        },
    }
}

/// Layer names must be known, and each argument must be one the layer takes, with a value of
/// the right kind and range (each layer's module reads its own); `-> [..]` belongs to custom
/// layers only.
fn check_layer_args<'a>(
    cx: &Ctxt,
    decl: &'a LayerDecl,
    names: &[String],
    kinds: &[Option<NodeKind>],
) -> Option<Op<'a>> {
    let call = match &decl.body {
        LayerBody::Shared(owner) => return graph::shared_owner(cx, decl, owner, names, kinds),
        LayerBody::Custom { expr, ty } => {
            let declared = decl.declared_out.as_ref().and_then(|(dims, _)| check_declared(cx, dims));
            if decl.declared_out.is_some() && declared.is_none() {
                return None;
            }
            return Some(Op::Custom { expr, ty, declared });
        }
        LayerBody::Builtin(call) => call,
    };
    if let Some((_, span)) = &decl.declared_out {
        cx.error(
            *span,
            format!(
                "`-> [..]` declares the output of a custom layer; `{}`'s output shape is already known to the macro, so remove it",
                call.ident
            ),
        );
    }
    layers::build(cx, call).map(Op::Builtin)
}

/// `-> [dims]` on a custom layer: integers, `None` or const expressions.
fn check_declared(cx: &Ctxt, dims: &[DimLit]) -> Option<Vec<Option<Size>>> {
    let mut out = Vec::new();
    for d in dims {
        match d {
            DimLit::Static(0, span) => {
                cx.error(*span, "a dimension must be at least 1, but is 0");
                return None;
            }
            DimLit::Static(n, _) => out.push(Some(Size::Lit(*n))),
            DimLit::None(_) => out.push(None),
            DimLit::Expr(e) => out.push(Some(Size::Expr(e.clone()))),
            DimLit::Infer(span) => {
                cx.error(
                    *span,
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
    match d {
        DimLit::Static(_, s) | DimLit::None(s) | DimLit::Infer(s) => *s,
        DimLit::Expr(e) => e.span(),
    }
}

/// Each layer's shape rule, applied to the shape the macro knows: a built-in's own rule and
/// message (its module), a custom layer's declared output. After a custom layer the macro
/// cannot see through, a built-in either follows at the type level (checked by the const tier)
/// or needs that layer's output declared.
#[allow(clippy::too_many_arguments)]
fn check_shape(
    cx: &Ctxt,
    decl: &LayerDecl,
    display: &str,
    op: &Op,
    inputs: &[ShapeState],
    source_names: &[String],
    previous: &Previous,
) -> ShapeState {
    let layer: &dyn Builtin = match op {
        Op::Custom { .. } if inputs.len() > 1 => {
            cx.error(
                decl_span(decl),
                format!("`{display}` takes one input, but reads {} (`{}`); merge them first, like `Concatenate()({})`", inputs.len(), source_names.join("`, `"), source_names.join(", ")),
            );
            return ShapeState::Broken;
        }
        Op::Custom { declared: Some(d), .. } => {
            return known_dims(d).map_or(ShapeState::Const, ShapeState::Known);
        }
        Op::Custom { declared: None, .. } => return ShapeState::Opaque,
        Op::Shared { .. } => return ShapeState::Broken,
        Op::Builtin(layer) => &**layer,
    };
    let span = decl_span(decl);
    let (min, max) = layer.arity();
    if inputs.len() < min || inputs.len() > max {
        let names = source_names.join("`, `");
        let message = if max == 1 {
            format!(
                "`{display}` reads one input, but is given {} (`{names}`); merge them first, like `Concatenate()({})`",
                inputs.len(),
                source_names.join(", ")
            )
        } else {
            let wanted = if min == max { format!("{min}") } else { format!("at least {min}") };
            format!("`{display}` merges {wanted} inputs, but reads {} (`{names}`)", inputs.len())
        };
        cx.error(span, message);
        return ShapeState::Broken;
    }
    if inputs.contains(&ShapeState::Broken) {
        return ShapeState::Broken;
    }
    if !layer.const_sizes().is_empty() || inputs.contains(&ShapeState::Const) {
        // A size or an input shape is a const expression the macro cannot evaluate: the const
        // tier checks this layer with the same rule and message.
        return ShapeState::Const;
    }
    if max > 1 {
        // A merge: every input's shape must be known to the macro.
        let mut dims = Vec::new();
        for (state, name) in inputs.iter().zip(source_names) {
            match state {
                ShapeState::Known(d) => dims.push((name.clone(), d.clone())),
                ShapeState::Broken | ShapeState::Const => return ShapeState::Broken,
                ShapeState::Opaque => {
                    cx.error(
                        span,
                        format!("`{display}` reads `{name}`, whose shape the macro cannot see (it comes from a custom layer); declare that layer's output with `-> [..]`"),
                    );
                    return ShapeState::Broken;
                }
            }
        }
        let slices: Vec<&[Option<usize>]> = dims.iter().map(|(_, d)| d.as_slice()).collect();
        let at = At { display, input: slices[0], previous, sources: &dims };
        return match layer.rule_many(&slices) {
            Ok(out) => ShapeState::Known(out.as_slice().to_vec()),
            Err(fail) => {
                cx.error(span, layer.message(fail, &at));
                ShapeState::Broken
            }
        };
    }
    let input = inputs.first().cloned().unwrap_or(ShapeState::Broken);
    let dims = match &input {
        ShapeState::Known(dims) => dims,
        ShapeState::Broken | ShapeState::Const => return ShapeState::Broken,
        ShapeState::Opaque => {
            if let Some(fixed) = layer.fixed_output() {
                return ShapeState::Known(fixed);
            }
            if layer.follow(&proc_macro2::TokenStream::new()).is_some() {
                return ShapeState::Opaque;
            }
            cx.error(
                span,
                format!("`{display}` follows a custom layer whose output the macro cannot see; declare that layer's output with `-> [..]` (for a sequence, `-> [None, features]`)"),
            );
            return ShapeState::Broken;
        }
    };
    let sources = [(source_names.first().cloned().unwrap_or_default(), dims.clone())];
    let at = At { display, input: dims, previous, sources: &sources };
    if let Some(message) = layer.refuse(dims, &at) {
        cx.error(span, message);
        return ShapeState::Broken;
    }
    match layer.rule(dims) {
        Ok(out) => ShapeState::Known(out.as_slice().to_vec()),
        Err(fail) => {
            cx.error(span, layer.message(fail, &at));
            ShapeState::Broken
        }
    }
}

/// Where errors about a layer's shape point: a built-in's name, a custom layer's expression.
fn decl_span(decl: &LayerDecl) -> Span {
    match &decl.body {
        LayerBody::Builtin(call) => call.ident.span(),
        LayerBody::Custom { expr, .. } => expr.span(),
        LayerBody::Shared(name) => name.span(),
    }
}
