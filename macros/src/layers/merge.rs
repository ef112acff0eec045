//! Keras's merge layers, which read two or more nodes of a graph: `Concatenate(axis = -1)`,
//! `Add`, `Subtract`, `Multiply`, `Average`, `Maximum`, `Minimum` (elementwise, with size-1
//! broadcasting) and `Dot(axes, normalize = false)`.
//!
//! ```text
//! input user: [8],
//! input item: [8],
//! both: Concatenate()(user, item),        [8], [8] → [16]
//! score: Dot(axes = 1)(user, item),       [8], [8] → [1]
//! ```
//!
//! Their messages name the branches by the names the layer reads, with each one's shape.

use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::layers::{fmt_dims, At, Builtin, ConfigValue, Follow, Init, LayerDef, Values};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use shaped_rules::{ConstDims, ElementwiseOp, Fail};

pub const CONCATENATE: LayerDef = LayerDef {
    name: "Concatenate",
    auto_name: "concatenate",
    params: &["axis"],
    build: |cx, args| Some(Box::new(Merge::Concatenate { axis: args.axis(cx, "axis", -1)? })),
};

pub const ADD: LayerDef = elementwise("Add", "add", ElementwiseOp::Add);
pub const SUBTRACT: LayerDef = elementwise("Subtract", "subtract", ElementwiseOp::Subtract);
pub const MULTIPLY: LayerDef = elementwise("Multiply", "multiply", ElementwiseOp::Multiply);
pub const AVERAGE: LayerDef = elementwise("Average", "average", ElementwiseOp::Average);
pub const MAXIMUM: LayerDef = elementwise("Maximum", "maximum", ElementwiseOp::Maximum);
pub const MINIMUM: LayerDef = elementwise("Minimum", "minimum", ElementwiseOp::Minimum);

pub const DOT: LayerDef = LayerDef {
    name: "Dot",
    auto_name: "dot",
    params: &["axes", "normalize"],
    build: |cx, args| Some(Box::new(read_dot(cx, args)?)),
};

/// The definition of one elementwise merge.
const fn elementwise(name: &'static str, auto_name: &'static str, op: ElementwiseOp) -> LayerDef {
    LayerDef {
        name,
        auto_name,
        params: &[],
        build: match op {
            ElementwiseOp::Add => |_, _| Some(Box::new(Merge::Elementwise(ElementwiseOp::Add))),
            ElementwiseOp::Subtract => |_, _| Some(Box::new(Merge::Elementwise(ElementwiseOp::Subtract))),
            ElementwiseOp::Multiply => |_, _| Some(Box::new(Merge::Elementwise(ElementwiseOp::Multiply))),
            ElementwiseOp::Average => |_, _| Some(Box::new(Merge::Elementwise(ElementwiseOp::Average))),
            ElementwiseOp::Maximum => |_, _| Some(Box::new(Merge::Elementwise(ElementwiseOp::Maximum))),
            ElementwiseOp::Minimum => |_, _| Some(Box::new(Merge::Elementwise(ElementwiseOp::Minimum))),
        },
    }
}

fn read_dot(cx: &Ctxt, args: &Args<'_>) -> Option<Merge> {
    let axes = args.axis_pair(cx, "axes")?;
    let normalize = args.flag(cx, "normalize", false)?;
    Some(Merge::Dot { axes, normalize })
}

/// A merge layer's configuration.
enum Merge {
    Concatenate { axis: isize },
    Elementwise(ElementwiseOp),
    Dot { axes: [isize; 2], normalize: bool },
}

impl Builtin for Merge {
    fn config(&self) -> Vec<(&'static str, ConfigValue)> {
        match self {
            Merge::Concatenate { axis } => vec![("axis", ConfigValue::plain(axis))],
            Merge::Elementwise(_) => Vec::new(),
            Merge::Dot { axes, normalize } => {
                vec![("axes", ConfigValue::list(axes)), ("normalize", ConfigValue::plain(normalize))]
            }
        }
    }

    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
        self.rule_many(&[input])
    }

    /// `Concatenate` joins columns whose values may be missing too (a table's `Option<f32>`
    /// columns, to normalise together): its output may then hold missing values.
    fn accepts(&self, values: Values) -> bool {
        match self {
            Merge::Concatenate { .. } => matches!(values, Values::Floats | Values::MaybeMissing),
            _ => values == Values::Floats,
        }
    }

    fn output_values(&self, inputs: &[Values]) -> Values {
        if inputs.contains(&Values::MaybeMissing) {
            Values::MaybeMissing
        } else {
            Values::Floats
        }
    }

    fn arity(&self) -> (usize, usize) {
        match self {
            // Keras 3 takes one input too, but a merge of one input is a mistake in a model.
            Merge::Concatenate { .. } => (2, usize::MAX),
            Merge::Elementwise(op) => (op.min_inputs().max(2), op.max_inputs()),
            Merge::Dot { .. } => (2, 2),
        }
    }

    fn rule_many(&self, inputs: &[&[Option<usize>]]) -> Result<ConstDims, Fail> {
        match self {
            Merge::Concatenate { axis } => shaped_rules::concatenate(inputs, *axis),
            Merge::Elementwise(op) => shaped_rules::elementwise(inputs, op.min_inputs(), op.max_inputs()),
            Merge::Dot { axes, .. } => match inputs {
                [a, b] => shaped_rules::dot(a, b, *axes),
                _ => Err(Fail::InputCount { found: inputs.len(), min: 2, max: 2 }),
            },
        }
    }

    fn message(&self, fail: Fail, at: &At<'_>) -> String {
        let display = at.display;
        // `user` [8]: a branch as the message names it.
        let branch = |i: usize| match at.sources.get(i) {
            Some((name, dims)) => format!("`{name}` {}", fmt_dims(dims)),
            None => format!("input #{i}"),
        };
        let shapes = || {
            at.sources.iter().map(|(n, d)| format!("`{n}` is {}", fmt_dims(d))).collect::<Vec<_>>().join(", ")
        };
        match fail {
            Fail::ConcatSize { concat_axis, axis, input, found, other, expected } => format!(
                "`{display}` joins its inputs along axis {concat_axis} and needs the same sizes on every other axis, but {} has {found} on axis {axis} where {} has {expected}; concatenate along axis {axis}, or make the sizes agree",
                branch(input),
                branch(other)
            ),
            Fail::Broadcast { input, axis, found, expected } => {
                // On the last axis, a `Dense` gives the input the size the others have.
                let fix = match at.sources.get(input) {
                    Some((name, dims)) if axis == dims.len() => format!(
                        "; project `{name}` to {expected} first, like `{name}_{expected}: Dense({expected})({name})`, and merge that"
                    ),
                    _ => String::new(),
                };
                format!(
                    "`{display}` needs inputs of the same shape (or size 1 on an axis), but {} has {found} on axis {axis} where the inputs before it have {expected} ({}){fix}",
                    branch(input),
                    shapes()
                )
            }
            Fail::DotSize { axes, sizes } => format!(
                "`{display}` takes the dot product over axis {} of {} and axis {} of {}, whose sizes must be equal, but they are {} and {}",
                axes[0],
                branch(0),
                axes[1],
                branch(1),
                sizes[0].map_or("None".to_string(), |s| s.to_string()),
                sizes[1].map_or("None".to_string(), |s| s.to_string())
            ),
            Fail::RankMismatch { input, rank, first } => format!(
                "`{display}` needs inputs of one rank, but {} has rank {rank} and {} has rank {first}; add or remove axes with `Reshape`",
                branch(input),
                branch(0)
            ),
            other => format!("`{display}` {} ({})", other.message(&[]).as_str(), shapes()),
        }
    }

    fn follow(&self, _prev: &TokenStream) -> Option<Follow> {
        None
    }

    fn rule_tokens(&self, input: TokenStream) -> TokenStream {
        self.rule_tokens_many(&[input])
    }

    fn rule_tokens_many(&self, inputs: &[TokenStream]) -> TokenStream {
        match self {
            Merge::Concatenate { axis } => quote!(::shaped::rules::concatenate(&[#(#inputs),*], #axis)),
            Merge::Elementwise(op) => {
                let (min, max) = (op.min_inputs(), op.max_inputs());
                quote!(::shaped::rules::elementwise(&[#(#inputs),*], #min, #max))
            }
            Merge::Dot { axes: [a, b], .. } => match inputs {
                [x, y] => quote!(::shaped::rules::dot(#x, #y, [#a, #b])),
                _ => {
                    let found = inputs.len();
                    quote!(::core::result::Result::Err(::shaped::rules::Fail::InputCount { found: #found, min: 2, max: 2 }))
                }
            },
        }
    }

    fn stage_type(&self) -> TokenStream {
        match self {
            Merge::Concatenate { .. } => quote!(::shaped::layers::Concatenate),
            Merge::Elementwise(_) => quote!(::shaped::layers::Elementwise),
            Merge::Dot { .. } => quote!(::shaped::layers::Dot),
        }
    }

    fn stage_init(&self, _at: &Init<'_>) -> TokenStream {
        match self {
            Merge::Concatenate { axis } => quote!(::shaped::layers::Concatenate::new(#axis)),
            Merge::Elementwise(op) => {
                let variant = format_ident!("{}", op.keras_name());
                quote!(::shaped::layers::Elementwise::new(::shaped::layers::ElementwiseOp::#variant))
            }
            Merge::Dot { axes: [a, b], normalize } => {
                quote!(::shaped::layers::Dot::new([#a, #b], #normalize))
            }
        }
    }
}
