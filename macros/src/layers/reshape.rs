//! Layers that lay the same elements out anew: `Flatten` and `Reshape(target_shape)`.
//!
//! ```text
//! input: [8, 8],
//! Flatten,                  [8, 8] → [64]
//! Reshape([4, -1]),         [64] → [4, 16]
//! ```

use crate::args::target_shape;
use crate::layers::previous::fixed_example;
use crate::layers::{fmt_dims, At, Builtin, ConfigValue, Follow, Init, LayerDef};
use crate::size::{dims_tokens, known_dims, Size};
use crate::typenum_tokens::uint_tokens;
use proc_macro2::TokenStream;
use quote::quote;
use shaped_rules::{ConstDims, Fail};

pub const FLATTEN: LayerDef =
    LayerDef { name: "Flatten", auto_name: "flatten", params: &[], build: |_, _| Some(Box::new(Flatten)) };

pub const RESHAPE: LayerDef = LayerDef {
    name: "Reshape",
    auto_name: "reshape",
    params: &["target_shape"],
    build: |cx, args| {
        let value = args.required(
            cx,
            "target_shape",
            "`Reshape` needs the target shape (batch axis excluded): `Reshape([4, 32])`",
        )?;
        let target = target_shape(cx, value, "Reshape")?;
        let known = known_dims(&target);
        Some(Box::new(Reshape { target, known }))
    },
};

/// `Flatten`.
struct Flatten;

/// `Reshape(target)`, `None` standing for the `-1` axis.
struct Reshape {
    target: Vec<Option<Size>>,
    /// The target when every size is a literal.
    known: Option<Vec<Option<usize>>>,
}

/// The fix for a layer that needs every dimension known: declare the input fixed, when it is
/// the model's input.
fn fix_all_known(at: &At<'_>) -> String {
    if at.previous.is_input() {
        at.previous.fix_input(&fixed_example(at.input), |l| {
            format!("; pad or truncate the data to a fixed size and declare it, like {l}")
        })
    } else {
        "; the layer before it must output fixed dimensions".to_string()
    }
}

impl Builtin for Flatten {
    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
        shaped_rules::flatten(input)
    }

    fn message(&self, _fail: Fail, at: &At<'_>) -> String {
        let fix = match at.input {
            [None, Some(_)] => "; pool over the steps instead: replace `Flatten` with `GlobalAvgPool1d`, or pad or truncate the sequences to a fixed length".to_string(),
            [_, _, Some(_)] => "; images of any size have no fixed number of values: pool over the pixels instead, replace `Flatten` with `GlobalAvgPool2d` (or `GlobalMaxPool2d`)".to_string(),
            _ => fix_all_known(at),
        };
        format!("`Flatten` needs every dimension known, but its input is {}{fix}", fmt_dims(at.input))
    }

    fn follow(&self, prev: &TokenStream) -> Option<Follow> {
        Some(Follow {
            ty: quote!(::shaped::shape::Flattened<#prev>),
            bounds: vec![quote!(#prev: ::shaped::shape::Numel)],
        })
    }

    fn rule_tokens(&self, input: TokenStream) -> TokenStream {
        quote!(::shaped::rules::flatten(#input))
    }

    fn stage_type(&self) -> TokenStream {
        quote!(::shaped::layers::Flatten)
    }

    fn stage_init(&self, _at: &Init<'_>) -> TokenStream {
        quote!(::shaped::layers::Flatten)
    }
}

impl Builtin for Reshape {
    fn config(&self) -> Vec<(&'static str, ConfigValue)> {
        // Keras's `target_shape`, with -1 for the axis to infer.
        let axes = self.target.iter().map(|s| s.as_ref().map_or(ConfigValue::plain(-1), ConfigValue::size));
        vec![("target_shape", ConfigValue::List(axes.collect()))]
    }

    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
        // Called only when the target is all literals (see `const_sizes`).
        shaped_rules::reshape(input, self.known.as_deref().unwrap_or_default())
    }

    fn message(&self, fail: Fail, at: &At<'_>) -> String {
        let (display, previous) = (at.display, at.previous);
        match fail {
            Fail::NotAMultiple { of, found, .. } => format!(
                "`{display}` needs an input whose element count is a multiple of {of}, but {previous} ({found} elements)"
            ),
            Fail::ElementCount { needed, found, .. } => format!(
                "`{display}` needs an input with {needed} elements, but {previous} ({found} elements); choose target dims whose product is {found}"
            ),
            _ => format!("`{display}` needs every dimension of its input known, but {previous}{}", fix_all_known(at)),
        }
    }

    fn fixed_output(&self) -> Option<Vec<Option<usize>>> {
        self.known.clone().filter(|target| !target.contains(&None))
    }

    fn const_sizes(&self) -> Vec<(&'static str, &Size)> {
        self.target.iter().flatten().filter(|s| s.known().is_none()).map(|s| ("target_shape", s)).collect()
    }

    fn follow(&self, prev: &TokenStream) -> Option<Follow> {
        let target = self.known.as_ref()?;
        let known_ty = uint_tokens(target.iter().flatten().product());
        let parts = target.iter().map(|d| match d {
            Some(n) => uint_tokens(*n),
            None => quote!(<<#prev as ::shaped::shape::Numel>::Output as ::shaped::shape::DimDiv<#known_ty>>::Output),
        });
        Some(Follow {
            ty: quote!((#(#parts,)*)),
            bounds: vec![
                quote!(#prev: ::shaped::shape::Numel),
                quote!(<#prev as ::shaped::shape::Numel>::Output: ::shaped::shape::DimDiv<#known_ty>),
            ],
        })
    }

    fn rule_tokens(&self, input: TokenStream) -> TokenStream {
        let target = dims_tokens(&self.target);
        quote!(::shaped::rules::reshape(#input, #target))
    }

    fn stage_type(&self) -> TokenStream {
        quote!(::shaped::layers::Reshape)
    }

    fn stage_init(&self, _at: &Init<'_>) -> TokenStream {
        let dims = dims_tokens(&self.target);
        quote!(::shaped::layers::Reshape::new(#dims))
    }
}
