//! The rules of the `model!` language that span layers, one `check_*` function per rule: the
//! input line, layer names, dtypes, and the flow of shapes from layer to layer. Each layer's
//! own arguments and shape rule live in its module of [`crate::layers`]. Every rule records its
//! errors in the [`Ctxt`] and carries on, so one build shows every mistake.

use crate::ast::{DType, DimLit, LayerBody, LayerDecl, ModelDef};
use crate::ctxt::Ctxt;
use crate::layers::{self, At, Builtin, Previous};
use crate::plan::{Op, Plan, PlannedLayer, ShapeState};
use proc_macro2::Span;
use std::collections::HashMap;
use syn::spanned::Spanned;

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
                check_shape(&cx, decl, &display, op, &shape, &previous)
            }
            _ => ShapeState::Broken,
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
                format!(
                    "two layers are named `{text}` (layer #{first} and layer #{}); give this one another name",
                    decl.number
                ),
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
                let base = layers::auto_name(&kind_name(decl));
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

/// Token ids (`u32` input) go into an `Embedding` first, and only there: an `Embedding` on
/// float input, or a float layer on ids, is an error.
fn check_dtype(cx: &Ctxt, decl: &LayerDecl, display: &str, op: &Op, dtype: DType) -> bool {
    let (LayerBody::Builtin(call), Op::Builtin(layer)) = (&decl.body, op) else { return true };
    let span = call.ident.span();
    let first = decl.number == 1;
    match (layer.reads_ids(), dtype) {
        (true, DType::U32) if first => return true,
        (true, DType::U32) => cx.error(
            span,
            format!("`{display}` takes the model's token ids, so it must be the first layer after `input: u32[..]`"),
        ),
        (true, DType::F32) => cx.error(
            span,
            format!(
                "`{display}` takes integer token ids, but {}; declare the input as ids, `input: u32[None],` (or `u32[length]`)",
                if first { "the model's input is `f32`" } else { "the layer before it outputs floats" }
            ),
        ),
        (false, DType::U32) if first => cx.error(
            span,
            format!("`{display}` needs float input, but the model's input is `u32` token ids; put an `Embedding(vocab_size, dim)` layer first to turn ids into vectors"),
        ),
        _ => return true,
    }
    false
}

/// The layer's type name: `Dense`, or the custom type's last path segment.
fn kind_name(decl: &LayerDecl) -> String {
    match &decl.body {
        LayerBody::Builtin(call) => call.ident.to_string(),
        LayerBody::Custom { ty, .. } => ty.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
    }
}

/// How a layer is named in messages: `Dense(128)` (first argument only), `Flatten`, `Projection`.
fn display(decl: &LayerDecl) -> String {
    match &decl.body {
        LayerBody::Builtin(call) => call.display(),
        LayerBody::Custom { .. } => kind_name(decl),
    }
}

/// Layer names must be known, and each argument must be one the layer takes, with a value of
/// the right kind and range (each layer's module reads its own); `-> [..]` belongs to custom
/// layers only.
fn check_layer_args<'a>(cx: &Ctxt, decl: &'a LayerDecl) -> Option<Op<'a>> {
    let call = match &decl.body {
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

/// Each layer's shape rule, applied to the shape the macro knows: a built-in's own rule and
/// message (its module), a custom layer's declared output. After a custom layer the macro
/// cannot see through, a built-in either follows at the type level (checked by the const tier)
/// or needs that layer's output declared.
fn check_shape(
    cx: &Ctxt,
    decl: &LayerDecl,
    display: &str,
    op: &Op,
    input: &ShapeState,
    previous: &Previous,
) -> ShapeState {
    let layer: &dyn Builtin = match op {
        Op::Custom { declared: Some(d), .. } => return ShapeState::Known(d.clone()),
        Op::Custom { declared: None, .. } => return ShapeState::Opaque,
        Op::Builtin(layer) => &**layer,
    };
    let span = match &decl.body {
        LayerBody::Builtin(call) => call.ident.span(),
        LayerBody::Custom { expr, .. } => expr.span(),
    };
    let dims = match input {
        ShapeState::Known(dims) => dims,
        ShapeState::Broken => return ShapeState::Broken,
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
    let at = At { display, input: dims, previous };
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
