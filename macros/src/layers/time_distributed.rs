//! `TimeDistributed(Dense(..))`: a `Dense` applied to every step of a sequence, with one set of
//! weights named `time_distributed/dense/kernel` as in Keras.
//!
//! ```text
//! input: [None, 12],
//! TimeDistributed(Dense(8)),      [None, 12] → [None, 8]
//! ```

use crate::args::Args;
use crate::ast::compact;
use crate::layers::dense::{Dense, DENSE};
use crate::layers::{fmt_dims, At, Builtin, ConfigValue, Follow, Init, LayerDef};
use crate::size::Size;
use proc_macro2::TokenStream;
use quote::quote;
use shaped_rules::{ConstDims, Fail};

pub const TIME_DISTRIBUTED: LayerDef = LayerDef {
    name: "TimeDistributed",
    auto_name: "time_distributed",
    params: &["layer"],
    build: |cx, args| {
        let value = args.required(
            cx,
            "layer",
            "`TimeDistributed` wraps the layer to apply at every step: `TimeDistributed(Dense(10))`",
        )?;
        let Some(inner) = &value.layer else {
            cx.error(
                value.span(),
                format!(
                    "`TimeDistributed` wraps a `Dense` layer: `TimeDistributed(Dense(10))`, but got `{}`",
                    compact(&value.expr)
                ),
            );
            return None;
        };
        if inner.ident != DENSE.name {
            // Reports what is wrong with the inner layer itself first.
            crate::layers::build(cx, inner)?;
            cx.error(value.span(), "`TimeDistributed` wraps `Dense` in this version: `TimeDistributed(Dense(10))` (a `Dense` on a sequence already applies to every step)");
            return None;
        }
        let inner_args = Args::bind(cx, DENSE.name, DENSE.params, inner)?;
        Some(Box::new(TimeDistributed(Dense::read(cx, &inner_args)?)))
    },
};

/// `TimeDistributed(Dense(..))`.
struct TimeDistributed(Dense);

impl Builtin for TimeDistributed {
    fn config(&self) -> Vec<(&'static str, ConfigValue)> {
        vec![("layer", ConfigValue::Layer("Dense", self.0.config()))]
    }

    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
        // Called only when `units` is a literal (see `const_sizes`).
        shaped_rules::time_distributed_dense(input, self.0.units.known().unwrap_or(1))
    }

    fn const_sizes(&self) -> Vec<(&'static str, &Size)> {
        self.0.const_sizes()
    }

    fn message(&self, _fail: Fail, at: &At<'_>) -> String {
        format!(
            "`{}` applies its layer to every step of [timesteps, features], but its input is {}{}",
            at.display,
            fmt_dims(at.input),
            at.previous.one_value_per_step(at.input)
        )
    }

    fn follow(&self, _prev: &TokenStream) -> Option<Follow> {
        None
    }

    fn rule_tokens(&self, input: TokenStream) -> TokenStream {
        let units = self.0.units.tokens();
        quote!(::shaped::rules::time_distributed_dense(#input, #units))
    }

    fn stage_type(&self) -> TokenStream {
        quote!(::shaped::layers::TimeDistributed)
    }

    fn stage_init(&self, at: &Init<'_>) -> TokenStream {
        let dense = self.0.constructor(at.last_dim(), at.rng());
        quote!(::shaped::layers::TimeDistributed::new(::std::boxed::Box::new(#dense), "dense"))
    }
}
