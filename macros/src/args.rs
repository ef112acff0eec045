//! A built-in layer's arguments: bound to the layer's parameters (Keras's names and positional
//! order) and read as typed values, each mistake recorded in the [`Ctxt`] with the value's span.
//! Every layer module reads its arguments through [`Args`], so the wording of argument errors is
//! the same for every layer.

use crate::ast::{compact, Arg, ArgValue, LayerCall};
use crate::ctxt::Ctxt;
use crate::size::Size;
use shaped_rules::nearest;
use shaped_rules::Activation;
use std::collections::HashMap;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit};

/// A layer call's arguments bound to its parameters by position and keyword.
pub struct Args<'a> {
    /// shaped's name of the layer: `Dense`.
    pub layer: &'static str,
    pub call: &'a LayerCall,
    bound: HashMap<&'static str, &'a ArgValue>,
}

impl<'a> Args<'a> {
    /// Binds `call`'s arguments to `params` (Keras's positional order). `None`, with the errors
    /// recorded, for an extra positional argument, an unknown keyword or one given twice.
    pub fn bind(
        cx: &Ctxt,
        layer: &'static str,
        params: &'static [&'static str],
        call: &'a LayerCall,
    ) -> Option<Self> {
        let mut bound: HashMap<&'static str, &ArgValue> = HashMap::new();
        let mut ok = true;
        let list = if params.is_empty() {
            "it takes no arguments".to_string()
        } else {
            format!("its arguments are {}", params.join(", "))
        };
        let mut position = 0;
        for arg in &call.args {
            match arg {
                Arg::Positional(value) => {
                    if position >= params.len() {
                        cx.error(
                            value.span(),
                            format!(
                                "`{layer}` takes {} positional argument{}, but this is argument {}; {list}",
                                params.len(),
                                if params.len() == 1 { "" } else { "s" },
                                position + 1
                            ),
                        );
                        ok = false;
                    } else {
                        bound.insert(params[position], value);
                    }
                    position += 1;
                }
                Arg::Keyword(key, value) => {
                    let key_text = key.to_string();
                    match params.iter().find(|p| **p == key_text) {
                        Some(p) if bound.contains_key(p) => {
                            cx.error(key.span(), format!("`{layer}` got `{key_text}` twice"));
                            ok = false;
                        }
                        Some(p) => {
                            bound.insert(p, value);
                        }
                        None => {
                            let hint = nearest(&key_text, params.iter().copied())
                                .map(|n| format!("did you mean `{n}`? "))
                                .unwrap_or_default();
                            cx.error(
                                key.span(),
                                format!("`{layer}` has no argument `{key_text}`; {hint}{list}"),
                            );
                            ok = false;
                        }
                    }
                }
            }
        }
        ok.then_some(Args { layer, call, bound })
    }

    /// The value given for `param`, if any.
    pub fn get(&self, param: &str) -> Option<&'a ArgValue> {
        self.bound.get(param).copied()
    }

    /// Where errors about the whole layer point: its name.
    pub fn span(&self) -> proc_macro2::Span {
        self.call.ident.span()
    }

    /// A required argument: `Some` when given, else the error `missing` on the layer's name.
    pub fn required(&self, cx: &Ctxt, param: &str, missing: &str) -> Option<&'a ArgValue> {
        let value = self.get(param);
        if value.is_none() {
            cx.error(self.span(), missing);
        }
        value
    }

    /// A positive integer literal: `param` is the argument, `meaning` what it is for messages.
    pub fn positive(&self, cx: &Ctxt, value: &ArgValue, param: &str, meaning: &str) -> Option<usize> {
        let layer = self.layer;
        let e = &value.expr;
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

    /// A size: a positive integer literal, or a const expression (`HIDDEN`, `2 * N`) that the
    /// const tier checks. A bare activation name (`Dense(relu)`) or a string or float literal
    /// is an error, as for [`Args::positive`].
    pub fn size(&self, cx: &Ctxt, value: &ArgValue, param: &str, meaning: &str) -> Option<Size> {
        let e = &value.expr;
        let literal_or_name = matches!(e, Expr::Lit(_))
            || matches!(e, Expr::Path(p) if p.path.get_ident().is_some_and(|i| Activation::from_name(&i.to_string()).is_some() || i == "None"));
        if literal_or_name || int_lit(e).is_some() {
            return self.positive(cx, value, param, meaning).map(Size::Lit);
        }
        Some(Size::Expr(Box::new(e.clone())))
    }

    /// An optional positive integer, `default` when not given.
    pub fn positive_or(
        &self,
        cx: &Ctxt,
        param: &str,
        meaning: &str,
        default: Option<usize>,
    ) -> Option<Option<usize>> {
        match self.get(param) {
            Some(value) => self.positive(cx, value, param, meaning).map(Some),
            None => Some(default),
        }
    }

    /// A float (or integer) literal.
    pub fn float(&self, cx: &Ctxt, value: &ArgValue, param: &str) -> Option<f64> {
        let layer = self.layer;
        let e = &value.expr;
        let parsed = match e {
            Expr::Lit(ExprLit { lit: Lit::Float(f), .. }) => f.base10_parse::<f64>().ok(),
            Expr::Lit(ExprLit { lit: Lit::Int(i), .. }) => i.base10_parse::<f64>().ok(),
            _ => None,
        };
        if parsed.is_none() {
            cx.error(
                e.span(),
                format!(
                    "`{layer}` needs `{param}` as a number, like `{layer}(0.2)`, but got `{}`",
                    compact(e)
                ),
            );
        }
        parsed
    }

    /// `true` / `false` (Python's `True` / `False` get a hint), `default` when not given.
    pub fn flag(&self, cx: &Ctxt, param: &str, default: bool) -> Option<bool> {
        let Some(value) = self.get(param) else { return Some(default) };
        let e = &value.expr;
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

    /// An activation by name, `relu` or `"relu"` (`None` is Keras's linear), `default` when not
    /// given.
    pub fn activation(&self, cx: &Ctxt, param: &str, default: Activation) -> Option<Activation> {
        match self.get(param) {
            Some(value) => activation(cx, value),
            None => Some(default),
        }
    }

    /// An axis as Keras counts it (the batch axis is 0, `-1` the last), `default` when not
    /// given.
    pub fn axis(&self, cx: &Ctxt, param: &str, default: isize) -> Option<isize> {
        let Some(value) = self.get(param) else { return Some(default) };
        let e = &value.expr;
        let found = signed_int(e);
        if found.is_none() {
            cx.error(
                e.span(),
                format!(
                    "`{}` needs `{param}` as an integer axis, like `{param} = -1`, but got `{}`",
                    self.layer,
                    compact(e)
                ),
            );
        }
        found
    }

    /// A pair of axes, `(1, 2)` or `[1, 2]`, or one axis for both, `1`.
    pub fn axis_pair(&self, cx: &Ctxt, param: &str) -> Option<[isize; 2]> {
        let value = self.required(cx, param, &format!("`{}` needs `{param}`, the axis of each input to take the dot product over: `{}({param} = 1)`", self.layer, self.layer))?;
        let e = &value.expr;
        let elems: Vec<&Expr> = match e {
            Expr::Array(a) => a.elems.iter().collect(),
            Expr::Tuple(t) => t.elems.iter().collect(),
            other => vec![other],
        };
        let axes: Option<Vec<isize>> = elems.iter().map(|el| signed_int(el)).collect();
        match axes.as_deref() {
            Some([a]) => Some([*a, *a]),
            Some([a, b]) => Some([*a, *b]),
            _ => {
                cx.error(
                    e.span(),
                    format!("`{}` needs `{param}` as one axis or a pair, like `{param} = 1` or `{param} = (1, 2)`, but got `{}`", self.layer, compact(e)),
                );
                None
            }
        }
    }

    /// One of `choices` (`(keyword, value)`), written bare or quoted, `default` when not given;
    /// the error lists the choices as `described`.
    pub fn choice<T: Copy>(
        &self,
        cx: &Ctxt,
        param: &str,
        choices: &[(&str, T)],
        default: T,
        described: &str,
    ) -> Option<T> {
        let Some(value) = self.get(param) else { return Some(default) };
        let e = &value.expr;
        let text = match e {
            Expr::Path(p) if p.path.get_ident().is_some() => p.path.get_ident().map(|i| i.to_string()),
            Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Some(s.value()),
            _ => None,
        };
        match text.and_then(|t| choices.iter().find(|(k, _)| *k == t)) {
            Some((_, v)) => Some(*v),
            None => {
                cx.error(e.span(), format!("`{param}` must be {described}, but got `{}`", compact(e)));
                None
            }
        }
    }
}

impl Args<'_> {
    /// A window argument over `axes` spatial axes (`kernel_size`, `strides`, `pool_size`,
    /// `dilation_rate`, `size`): one integer for every axis (`3`), or one per axis (`(3, 2)`,
    /// `[3, 2]`), each at least 1; `default` for every axis when not given. Unused axes are 1.
    pub fn per_axis(
        &self,
        cx: &Ctxt,
        param: &str,
        axes: usize,
        default: Option<usize>,
    ) -> Option<[usize; 2]> {
        let layer = self.layer;
        let value = match (self.get(param), default) {
            (Some(value), _) => value,
            (None, Some(d)) => return Some(if axes == 1 { [d, 1] } else { [d, d] }),
            (None, None) => {
                cx.error(self.span(), format!("`{layer}` needs `{param}`: `{layer}(.., {param} = 3)`"));
                return None;
            }
        };
        let e = &value.expr;
        let elems = list_elems(e);
        let ints: Option<Vec<usize>> =
            elems.iter().map(|el| int_lit(el).and_then(|i| i.base10_parse::<usize>().ok())).collect();
        let example = if axes == 1 { "3".to_string() } else { "3 or (3, 3)".to_string() };
        match ints.as_deref() {
            Some(v) if v.contains(&0) => {
                cx.error(
                    e.span(),
                    format!("`{layer}` needs `{param}` of at least 1, but got `{}`", compact(e)),
                );
                None
            }
            Some([n]) => Some(if axes == 1 { [*n, 1] } else { [*n, *n] }),
            Some([a, b]) if axes == 2 => Some([*a, *b]),
            _ => {
                cx.error(
                    e.span(),
                    format!(
                        "`{layer}` needs `{param}` as {}, like `{param} = {example}`, but got `{}`",
                        if axes == 1 {
                            "a positive integer"
                        } else {
                            "a positive integer or one per axis (height, width)"
                        },
                        compact(e)
                    ),
                );
                None
            }
        }
    }

    /// The rows and columns added or removed on each side of an image (`ZeroPadding2d`'s
    /// `padding`, `Cropping2d`'s `cropping`), as Keras takes them: `n` for every side, `(h, w)`
    /// for top and bottom `h`, left and right `w`, or `((top, bottom), (left, right))`;
    /// `default` on every side when not given. Zero is allowed.
    pub fn sides(&self, cx: &Ctxt, param: &str, default: usize) -> Option<[[usize; 2]; 2]> {
        let Some(value) = self.get(param) else { return Some([[default; 2]; 2]) };
        let e = &value.expr;
        let int = |el: &Expr| int_lit(el).and_then(|i| i.base10_parse::<usize>().ok());
        let elems = list_elems(e);
        let parsed = match elems.as_slice() {
            [n] => int(n).map(|n| [[n; 2]; 2]),
            [h, w] => match (int(h), int(w)) {
                (Some(h), Some(w)) => Some([[h; 2], [w; 2]]),
                _ => match (list_elems(h).as_slice(), list_elems(w).as_slice()) {
                    ([t, b], [l, r]) => match (int(t), int(b), int(l), int(r)) {
                        (Some(t), Some(b), Some(l), Some(r)) => Some([[t, b], [l, r]]),
                        _ => None,
                    },
                    _ => None,
                },
            },
            _ => None,
        };
        if parsed.is_none() {
            cx.error(
                e.span(),
                format!(
                    "`{}` needs `{param}` as one integer, (height, width) or ((top, bottom), (left, right)), like `{param} = 1` or `{param} = ((1, 2), (0, 1))`, but got `{}`",
                    self.layer,
                    compact(e)
                ),
            );
        }
        parsed
    }

    /// A list of numbers, `[0.0, 1.5, 3]` (negative ones too), strictly increasing when
    /// `increasing`; `None` after an error recorded in `cx`.
    pub fn float_list(&self, cx: &Ctxt, value: &ArgValue, param: &str, increasing: bool) -> Option<Vec<f64>> {
        let e = &value.expr;
        let number = |el: &Expr| -> Option<f64> {
            match el {
                Expr::Lit(ExprLit { lit: Lit::Float(f), .. }) => f.base10_parse::<f64>().ok(),
                Expr::Lit(ExprLit { lit: Lit::Int(i), .. }) => i.base10_parse::<f64>().ok(),
                Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => match &*u.expr {
                    Expr::Lit(ExprLit { lit: Lit::Float(f), .. }) => f.base10_parse::<f64>().ok().map(|v| -v),
                    Expr::Lit(ExprLit { lit: Lit::Int(i), .. }) => i.base10_parse::<f64>().ok().map(|v| -v),
                    _ => None,
                },
                _ => None,
            }
        };
        let elems = match e {
            Expr::Array(a) => a.elems.iter().collect::<Vec<_>>(),
            _ => Vec::new(),
        };
        let values: Option<Vec<f64>> = elems.iter().map(|el| number(el)).collect();
        match values {
            Some(v) if !v.is_empty() => {
                if increasing && v.windows(2).any(|w| w[0] >= w[1]) {
                    cx.error(
                        e.span(),
                        format!(
                            "`{}` needs `{param}` in increasing order, but got `{}`",
                            self.layer,
                            compact(e)
                        ),
                    );
                    return None;
                }
                Some(v)
            }
            _ => {
                cx.error(e.span(), format!("`{}` needs `{param}` as a list of numbers, like `{param} = [0.0, 1.5, 3.0]`, but got `{}`", self.layer, compact(e)));
                None
            }
        }
    }

    /// A string literal, `"[UNK]"`; `None` for the literal `None` (Keras's "no such token")
    /// as `Some(None)`; an error for anything else.
    pub fn text_or_none(&self, cx: &Ctxt, value: &ArgValue, param: &str) -> Option<Option<String>> {
        match &value.expr {
            Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Some(Some(s.value())),
            Expr::Path(p) if p.path.is_ident("None") => Some(None),
            e => {
                cx.error(
                    e.span(),
                    format!(
                        "`{}` needs `{param}` as a string, like `{param} = \"\"`, or `None`, but got `{}`",
                        self.layer,
                        compact(e)
                    ),
                );
                None
            }
        }
    }

    /// A signed integer literal (`-1`, `7`); `Some(None)` for the literal `None`.
    pub fn int_or_none(&self, cx: &Ctxt, value: &ArgValue, param: &str) -> Option<Option<i64>> {
        match &value.expr {
            Expr::Path(p) if p.path.is_ident("None") => Some(None),
            e => {
                match signed_int(e) {
                    Some(n) => Some(Some(n as i64)),
                    None => {
                        cx.error(e.span(), format!("`{}` needs `{param}` as an integer, like `{param} = 0`, or `None`, but got `{}`", self.layer, compact(e)));
                        None
                    }
                }
            }
        }
    }

    /// A non-empty list of string literals, `["red", "green"]`, each once.
    pub fn text_list(&self, cx: &Ctxt, value: &ArgValue, param: &str) -> Option<Vec<String>> {
        let e = &value.expr;
        let items: Option<Vec<String>> = match e {
            Expr::Array(a) if !a.elems.is_empty() => a
                .elems
                .iter()
                .map(|el| match el {
                    Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Some(s.value()),
                    _ => None,
                })
                .collect(),
            _ => None,
        };
        let Some(items) = items else {
            cx.error(e.span(), format!("`{}` needs `{param}` as a list of strings, like `{param} = [\"red\", \"green\"]`, but got `{}`", self.layer, compact(e)));
            return None;
        };
        self.each_once(cx, e, param, &items, |t| format!("{t:?}"))
    }

    /// A non-empty list of non-negative integer literals, `[7, 42]`, each once.
    pub fn id_list(&self, cx: &Ctxt, value: &ArgValue, param: &str) -> Option<Vec<u32>> {
        let e = &value.expr;
        let items: Option<Vec<u32>> = match e {
            Expr::Array(a) if !a.elems.is_empty() => {
                a.elems.iter().map(|el| int_lit(el).and_then(|i| i.base10_parse::<u32>().ok())).collect()
            }
            _ => None,
        };
        let Some(items) = items else {
            cx.error(e.span(), format!("`{}` needs `{param}` as a list of non-negative integers, like `{param} = [7, 42]`, but got `{}`", self.layer, compact(e)));
            return None;
        };
        self.each_once(cx, e, param, &items, |t| t.to_string())
    }

    /// `items` when none repeats, else an error naming the first repeated one.
    fn each_once<T: PartialEq + Clone>(
        &self,
        cx: &Ctxt,
        e: &Expr,
        param: &str,
        items: &[T],
        show: impl Fn(&T) -> String,
    ) -> Option<Vec<T>> {
        if let Some((_, item)) = items.iter().enumerate().find(|(i, t)| items[..*i].contains(t)) {
            cx.error(
                e.span(),
                format!("`{}`'s `{param}` holds {} twice; each token has one index", self.layer, show(item)),
            );
            return None;
        }
        Some(items.to_vec())
    }

    /// An optional number, `default` when not given.
    pub fn float_or(&self, cx: &Ctxt, param: &str, default: f64) -> Option<f64> {
        match self.get(param) {
            Some(value) => self.float(cx, value, param),
            None => Some(default),
        }
    }
}

/// The elements of a list or tuple, `(3, 3)` or `[3, 3]`, through invisible groups; the
/// expression itself when it is neither.
fn list_elems(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::Array(a) => a.elems.iter().collect(),
        Expr::Tuple(t) => t.elems.iter().collect(),
        Expr::Paren(p) => vec![&*p.expr],
        Expr::Group(g) => list_elems(&g.expr),
        other => vec![other],
    }
}

/// A signed integer literal (`-1`, `2`), through invisible groups; `None` for anything else.
pub fn signed_int(e: &Expr) -> Option<isize> {
    match e {
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => {
            int_lit(&u.expr).and_then(|i| i.base10_parse::<isize>().ok()).map(|n| -n)
        }
        Expr::Group(g) => signed_int(&g.expr),
        _ => int_lit(e).and_then(|i| i.base10_parse::<isize>().ok()),
    }
}

/// An integer literal, through the invisible groups a `macro_rules!` caller may add.
fn int_lit(e: &Expr) -> Option<&syn::LitInt> {
    match e {
        Expr::Lit(ExprLit { lit: Lit::Int(i), .. }) => Some(i),
        Expr::Group(g) => int_lit(&g.expr),
        _ => None,
    }
}

/// An activation by name: `relu` or `"relu"`; `None` is Keras's linear.
pub fn activation(cx: &Ctxt, value: &ArgValue) -> Option<Activation> {
    let e = &value.expr;
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
        return Some(Activation::Linear);
    }
    if let Some(found) = Activation::from_name(&name) {
        return Some(found);
    }
    let names = Activation::NAMES.iter().copied();
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

/// A list of sizes, `[4, 32]` or `(4, 32)`, 1 to 5 of them, each a positive integer, a const
/// expression, or (at most once) `-1`, read as `None`; `layer` names the layer in messages.
pub fn target_shape(cx: &Ctxt, value: &ArgValue, layer: &str) -> Option<Vec<Option<Size>>> {
    let e = &value.expr;
    let elems: Vec<&Expr> = match e {
        Expr::Array(a) => a.elems.iter().collect(),
        Expr::Tuple(t) => t.elems.iter().collect(),
        _ => {
            cx.error(e.span(), format!("`{layer}` needs its target shape as a list of sizes, like `{layer}([4, 32])`, but got `{}`", compact(e)));
            return None;
        }
    };
    if elems.is_empty() || elems.len() > 5 {
        cx.error(
            e.span(),
            format!(
                "`{layer}` needs a target shape of 1 to 5 dimensions (batch axis excluded), but got {}",
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
            Expr::Path(_) | Expr::Binary(_) | Expr::Paren(_) | Expr::Call(_) | Expr::Block(_) => {
                Some(Size::Expr(Box::new((*el).clone())))
            }
            _ => match int_lit(el).and_then(|i| i.base10_parse::<usize>().ok()) {
                Some(n) if n > 0 => Some(Size::Lit(n)),
                _ => {
                    cx.error(
                        el.span(),
                        format!(
                            "a `{layer}` dimension must be a positive integer or `-1`, but got `{}`",
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
        cx.error(e.span(), format!("`{layer}` can infer only one dimension, but the target has more than one `-1`; give all but one of them a size"));
        return None;
    }
    Some(target)
}
