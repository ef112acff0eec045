//! Tokens → [`ast`](crate::ast). Fails fast on tokens that cannot form a model (syn's spans
//! already point at the exact token); every shape and argument rule waits for the check stage.

use crate::ast::{
    Arg, ArgValue, DType, DimLit, InputDecl, LayerBody, LayerCall, LayerDecl, ModelDef, Sources,
};
use crate::layers;
use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{braced, bracketed, Attribute, Error, Expr, Ident, Path, Result, Token, Visibility};

/// The tokens before a model's body: `#[attrs] vis struct Name`, and the body itself.
///
/// Parsed first and on its own, so that a mistake inside the body still leaves a name for the
/// fallback stub (code using the model then adds no errors of its own).
pub struct ModelHead {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    pub body: proc_macro2::TokenStream,
}

impl Parse for ModelHead {
    fn parse(input: ParseStream) -> Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        input.parse::<Token![struct]>()?;
        let name: Ident = input.parse()?;
        let body;
        braced!(body in input);
        let body: proc_macro2::TokenStream = body.parse()?;
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the model's `{ .. }` body"));
        }
        Ok(ModelHead { attrs, vis, name, body })
    }
}

/// Parses the body of `head` into the whole model.
pub fn parse_body(head: ModelHead) -> std::result::Result<ModelDef, Box<(ModelHead, Error)>> {
    let ModelHead { attrs, vis, name, body } = head;
    let mut model = ModelDef { attrs, vis, name, inputs: Vec::new(), layers: Vec::new() };
    let parser = |input: ParseStream| -> Result<()> {
        while !input.is_empty() {
            parse_entry(input, &mut model)?;
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(())
    };
    match syn::parse::Parser::parse2(parser, body.clone()) {
        Ok(()) => Ok(model),
        Err(err) => {
            let ModelDef { attrs, vis, name, .. } = model;
            Err(Box::new((ModelHead { attrs, vis, name, body }, err)))
        }
    }
}

/// `name:` when an identifier is followed by a single colon (not a path's `::`).
fn peek_label(input: ParseStream) -> bool {
    input.peek(Ident) && input.peek2(Token![:]) && !input.peek2(Token![::])
}

/// `keyword name:` (`input user:`): the keyword, then a label.
fn peek_keyword_label(input: ParseStream, keyword: &str) -> bool {
    let fork = input.fork();
    match fork.parse::<Ident>() {
        Ok(k) if k == keyword => peek_label(&fork),
        _ => false,
    }
}

/// `output` followed by a layer: an identifier that is not a label of its own.
fn peek_output(input: ParseStream) -> bool {
    let fork = input.fork();
    match fork.parse::<Ident>() {
        Ok(k) if k == "output" => fork.peek(Ident) && !fork.peek2(Token![::]) || fork.peek(Token![::]),
        _ => false,
    }
}

fn parse_entry(input: ParseStream, model: &mut ModelDef) -> Result<()> {
    if peek_keyword_label(input, "input") {
        let keyword: Ident = input.parse()?;
        let name: Ident = input.parse()?;
        input.parse::<Token![:]>()?;
        if !model.layers.is_empty() {
            return Err(Error::new(
                keyword.span(),
                "inputs come first: move this `input` line above the layers",
            ));
        }
        let span = keyword.span().join(name.span()).unwrap_or(name.span());
        let mut decl = parse_input(input, span)?;
        decl.name = Some(name);
        model.inputs.push(decl);
        return Ok(());
    }
    let output = if peek_output(input) { Some(input.parse::<Ident>()?.span()) } else { None };
    let mut name = None;
    if peek_label(input) {
        let label: Ident = input.parse()?;
        input.parse::<Token![:]>()?;
        if label == "input" && output.is_none() {
            if let Some(first) = model.inputs.first() {
                let mut err =
                    Error::new(label.span(), "a model has one `input:` line, but this is a second one");
                err.combine(Error::new(first.span, "the first `input:` line is here"));
                return Err(err);
            }
            if !model.layers.is_empty() {
                return Err(Error::new(
                    label.span(),
                    "`input:` must be the model's first line, before every layer; move it to the top",
                ));
            }
            model.inputs.push(parse_input(input, label.span())?);
            return Ok(());
        }
        name = Some(label);
    }
    // The expression ends at the entry's `,` or at `->`; collect its tokens first, since the
    // expression parser would read `x -> [..]` as a subtraction.
    let mut tokens = proc_macro2::TokenStream::new();
    while !input.is_empty() && !input.peek(Token![,]) && !input.peek(Token![->]) {
        tokens.extend(std::iter::once(input.parse::<proc_macro2::TokenTree>()?));
    }
    if tokens.is_empty() {
        return Err(Error::new(input.span(), "expected a layer, like `Dense(64)`"));
    }
    let expr: Expr = syn::parse2(tokens)?;
    let declared_out = if input.peek(Token![->]) {
        let arrow = input.parse::<Token![->]>()?;
        let (dims, span) = parse_dims(input, false)?;
        Some((dims, arrow.span().join(span).unwrap_or(span)))
    } else {
        None
    };
    let (layer, sources) = split_sources(expr)?;
    let body = match (&layer, &sources) {
        // The name of an earlier node, applied again: `left` in `right: left(b)`.
        (Expr::Path(p), Some(_)) if node_name(p).is_some() => {
            LayerBody::Shared(node_name(p).cloned().expect("checked above"))
        }
        _ => classify(layer)?,
    };
    model.layers.push(LayerDecl {
        number: model.layers.len() + 1,
        name,
        body,
        declared_out,
        sources,
        output,
    });
    Ok(())
}

/// `Dense(64)(a)` → the layer `Dense(64)` and the sources `(a)`; a layer written without
/// sources (a sequential model's line) is returned as it is. The layer part of an application
/// is a call (`Dense(64)`, `Flatten()`, `Encoder::new(seed)`), a parenthesised expression, or
/// the name of an earlier node whose layer is applied again (`left(b)`).
fn split_sources(expr: Expr) -> Result<(Expr, Option<Sources>)> {
    let Expr::Call(call) = expr else { return Ok((expr, None)) };
    let applies = match &*call.func {
        Expr::Call(_) | Expr::Paren(_) => true,
        // `left(b)`: only with names as arguments (`dense(64)` stays a misspelt layer).
        Expr::Path(p) => node_name(p).is_some() && call.args.iter().all(|a| matches!(a, Expr::Path(_))),
        _ => false,
    };
    if !applies {
        return Ok((Expr::Call(call), None));
    }
    let span = call.paren_token.span.join();
    let mut names = Vec::new();
    for arg in &call.args {
        match arg {
            Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some() => {
                names.push(p.path.get_ident().cloned().expect("checked above"));
            }
            other => {
                return Err(Error::new(
                    other.span(),
                    "a layer reads inputs and layers by name: write their names, like `Concatenate()(a, b)`",
                ))
            }
        }
    }
    let func = match *call.func {
        Expr::Paren(p) => *p.expr,
        other => other,
    };
    Ok((func, Some(Sources { names, span })))
}

/// `f32[28, 28, 1]`, `u32[None]`, `[64]`, `String[1]`, `Option<f32>[1]`, `Option<String>[1]`.
fn parse_input(input: ParseStream, label: Span) -> Result<InputDecl> {
    let unsupported = |ty: &Ident, what: &str| {
        Error::new(
            ty.span(),
            format!("unsupported input dtype `{what}`; write `f32` (the default, may be left out), `u32` for token ids, `String` for strings, or `Option<f32>` / `Option<String>` for values that may be missing"),
        )
    };
    let dtype = if input.peek(Ident) {
        let ty: Ident = input.parse()?;
        match ty.to_string().as_str() {
            "f32" => DType::F32,
            "u32" => DType::U32,
            "String" => DType::Text,
            "Option" => {
                input.parse::<Token![<]>()?;
                let inner: Ident = input.parse()?;
                input.parse::<Token![>]>()?;
                match inner.to_string().as_str() {
                    "f32" => DType::OptionalF32,
                    "String" => DType::OptionalText,
                    other => return Err(unsupported(&inner, &format!("Option<{other}>"))),
                }
            }
            other => return Err(unsupported(&ty, other)),
        }
    } else {
        DType::F32
    };
    if !input.peek(syn::token::Bracket) {
        return Err(Error::new(
            input.span(),
            "expected the per-sample input shape in brackets, like `input: [64],` (batch axis excluded)",
        ));
    }
    let (dims, span) = parse_dims(input, false)?;
    Ok(InputDecl { name: None, dtype, dims, span: label.join(span).unwrap_or(span) })
}

/// `[d, ...]` where each `d` is an integer literal or `None` (and `-1` when `allow_infer`).
pub fn parse_dims(input: ParseStream, allow_infer: bool) -> Result<(Vec<DimLit>, Span)> {
    let content;
    let bracket = bracketed!(content in input);
    let mut dims = Vec::new();
    while !content.is_empty() {
        dims.push(parse_dim(&content, allow_infer)?);
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok((dims, bracket.span.join()))
}

fn parse_dim(input: ParseStream, allow_infer: bool) -> Result<DimLit> {
    if input.peek(Ident) && input.fork().parse::<Ident>().is_ok_and(|id| id == "None") {
        let id: Ident = input.parse()?;
        return Ok(DimLit::None(id.span()));
    }
    let expr: Expr = input.parse()?;
    match &expr {
        Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(lit), .. }) => {
            Ok(DimLit::Static(lit.base10_parse::<usize>()?, lit.span()))
        }
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) && matches!(&*u.expr, Expr::Lit(_)) => {
            let is_one = matches!(&*u.expr, Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) if i.base10_digits() == "1");
            if allow_infer && is_one {
                Ok(DimLit::Infer(expr.span()))
            } else {
                Err(Error::new(expr.span(), "a dimension must be a positive integer or `None`"))
            }
        }
        // A const expression: `FEATURES`, `2 * HIDDEN`, checked by the const tier.
        _ => Ok(DimLit::Expr(Box::new(expr))),
    }
}

/// A layer expression is a built-in (`Dense(..)`, `Flatten`) when it is a single capitalised
/// name, called or not; anything else is a custom layer whose type the expression names.
fn classify(expr: Expr) -> Result<LayerBody> {
    match expr {
        Expr::Call(call) => {
            if let Some(ident) = single_ident(&call.func).filter(|i| names_builtin(&i.to_string())) {
                let args = call.args.into_iter().map(to_arg).collect();
                return Ok(LayerBody::Builtin(LayerCall { ident, args }));
            }
            let ty = match &*call.func {
                // A tuple struct of the user's: `Scale(2.0)`.
                Expr::Path(p) if single_ident(&call.func).is_some() => p.path.clone(),
                Expr::Path(p) if p.path.segments.len() >= 2 => parent_path(&p.path),
                _ => return Err(untyped(&call.func)),
            };
            Ok(LayerBody::Custom { expr: Expr::Call(call), ty })
        }
        Expr::Path(p)
            if p.qself.is_none() && p.path.segments.len() == 1 && p.path.segments[0].arguments.is_none() =>
        {
            let ident = p.path.segments[0].ident.clone();
            if !ident.to_string().starts_with(char::is_uppercase) {
                Err(untyped(&Expr::Path(p)))
            } else if names_builtin(&ident.to_string()) {
                Ok(LayerBody::Builtin(LayerCall { ident, args: Vec::new() }))
            } else {
                // A unit struct of the user's, like `FirstHalf`.
                let ty = p.path.clone();
                Ok(LayerBody::Custom { expr: Expr::Path(p), ty })
            }
        }
        Expr::Struct(s) => {
            let ty = s.path.clone();
            Ok(LayerBody::Custom { expr: Expr::Struct(s), ty })
        }
        Expr::Path(p) if p.path.segments.len() >= 2 => {
            let ty = parent_path(&p.path);
            Ok(LayerBody::Custom { expr: Expr::Path(p), ty })
        }
        other => Err(untyped(&other)),
    }
}

/// The lowercase single identifier a path is when it names a node (`left`), not a type.
fn node_name(p: &syn::ExprPath) -> Option<&Ident> {
    let ident = p.path.get_ident().filter(|_| p.qself.is_none())?;
    ident.to_string().starts_with(|c: char| c.is_lowercase() || c == '_').then_some(ident)
}

fn untyped(expr: &Expr) -> Error {
    Error::new(
        expr.span(),
        "expected a layer: a built-in like `Dense(64)`, or a custom layer written as `Type::new(..)`, `Type { .. }` or `Type::CONST`, so that its type can be read from it",
    )
}

/// Whether a bare capitalised name means a built-in layer (or a misspelling of one) rather
/// than a user's unit struct.
fn names_builtin(name: &str) -> bool {
    let known = layers::known_names();
    known.clone().any(|k| k == name) || shaped_rules::nearest(name, known).is_some()
}

/// `Dense` in `Dense(..)`: a capitalised single-segment path.
fn single_ident(func: &Expr) -> Option<proc_macro2::Ident> {
    match func {
        Expr::Path(p)
            if p.qself.is_none()
                && p.path.leading_colon.is_none()
                && p.path.segments.len() == 1
                && p.path.segments[0].arguments.is_none()
                && p.path.segments[0].ident.to_string().starts_with(char::is_uppercase) =>
        {
            Some(p.path.segments[0].ident.clone())
        }
        _ => None,
    }
}

/// `a::Scale` from `a::Scale::new`.
fn parent_path(path: &Path) -> Path {
    let mut ty = path.clone();
    ty.segments.pop();
    let last = ty.segments.pop().map(|pair| pair.into_value());
    if let Some(last) = last {
        ty.segments.push(last);
    }
    ty
}

/// An argument of a layer call: `key = value` or a positional value; a value that is itself a
/// layer (`Lstm(64)`, `Flatten`) is parsed as one.
fn to_arg(expr: Expr) -> Arg {
    match expr {
        Expr::Assign(assign) => match *assign.left {
            Expr::Path(ref p) if p.path.get_ident().is_some() => {
                Arg::Keyword(p.path.get_ident().cloned().expect("checked above"), to_value(*assign.right))
            }
            _ => Arg::Positional(to_value(Expr::Assign(assign))),
        },
        other => Arg::Positional(to_value(other)),
    }
}

/// The value of an argument, with the layer it names parsed when it names one.
fn to_value(expr: Expr) -> ArgValue {
    let layer = match &expr {
        Expr::Call(call) => single_ident(&call.func)
            .map(|ident| LayerCall { ident, args: call.args.iter().cloned().map(to_arg).collect() }),
        Expr::Path(_) => single_ident(&expr).map(|ident| LayerCall { ident, args: Vec::new() }),
        _ => None,
    };
    ArgValue { expr, layer }
}
