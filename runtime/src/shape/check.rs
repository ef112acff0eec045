//! Const-evaluated shape checks with messages in plain decimal numbers ([`Message`], from the
//! shared `shaped_rules` crate).
//!
//! A layer the `model!` macro cannot see into (a custom layer, a nested model, a built-in after
//! them) states its rule as `Layer::CHECK`, a [`Check`] computed from its input's dims in a const
//! context. The macro emits one `const _` item per such layer, spanned at the layer's line; a
//! failed check becomes a compile error that `cargo check` reports, for example
//! ``model `Net`, layer #2 `Projection` expects 128 input features, but its input has 64``.

pub use shaped_rules::Message;
use shaped_rules::{ConstDims, Fail};

/// The outcome of a layer's shape rule for a given input shape.
///
/// A failure's text continues the sentence ``layer #2 `Projection` …``: start it with a verb,
/// lowercase, no trailing period, both numbers in it (`expects 128 input features, but its input
/// has 64`).
// The message is inline because a `Check` is built in const contexts, where nothing can be
// boxed; it lives only at compile time and in tests, so its size costs nothing at run time.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug)]
pub enum Check {
    /// The input shape is accepted.
    Pass,
    /// The input shape is rejected, with the reason.
    Fail(Message),
}

impl Check {
    /// Whether the check passed.
    pub const fn is_pass(&self) -> bool {
        matches!(self, Check::Pass)
    }

    /// The first failure of two checks.
    pub const fn and(self, other: Check) -> Check {
        match self {
            Check::Pass => other,
            fail => fail,
        }
    }

    /// Requires the last axis of `input` to be static and equal to `expected`
    /// (e.g. `what = "input features"`).
    pub const fn last_dim(input: &[Option<usize>], expected: usize, what: &str) -> Check {
        if input.is_empty() {
            return Check::Fail(
                Message::new()
                    .str("expects ")
                    .num(expected)
                    .str(" ")
                    .str(what)
                    .str(", but its input is a scalar []"),
            );
        }
        match input[input.len() - 1] {
            Some(found) if found == expected => Check::Pass,
            Some(found) => Check::Fail(
                Message::new()
                    .str("expects ")
                    .num(expected)
                    .str(" ")
                    .str(what)
                    .str(", but its input has ")
                    .num(found),
            ),
            None => Check::Fail(
                Message::new()
                    .str("expects ")
                    .num(expected)
                    .str(" ")
                    .str(what)
                    .str(", but its input's last dimension is None (only known at run time): ")
                    .dims(input),
            ),
        }
    }

    /// Requires `input` to be exactly `expected` (`None` axes must be `None` on both sides).
    pub const fn exact(input: &[Option<usize>], expected: &[Option<usize>]) -> Check {
        let mut same = input.len() == expected.len();
        let mut i = 0;
        while same && i < input.len() {
            same = match (input[i], expected[i]) {
                (Some(a), Some(b)) => a == b,
                (None, None) => true,
                _ => false,
            };
            i += 1;
        }
        if same {
            Check::Pass
        } else {
            Check::Fail(
                Message::new().str("expects input ").dims(expected).str(", but its input is ").dims(input),
            )
        }
    }

    /// Requires every axis of `input` to be static (for layers that size weights from it).
    pub const fn all_static(input: &[Option<usize>], what: &str) -> Check {
        let mut i = 0;
        while i < input.len() {
            if input[i].is_none() {
                return Check::Fail(
                    Message::new()
                        .str("needs every dimension known to ")
                        .str(what)
                        .str(", but its input is ")
                        .dims(input),
                );
            }
            i += 1;
        }
        Check::Pass
    }

    /// The outcome of a built-in layer's shared shape rule (`shaped::rules`) for an input of
    /// dims `input`: what the const checks after a custom layer evaluate, so they word a
    /// failure as the runtime does.
    pub const fn from_rule(result: Result<ConstDims, Fail>, input: &[Option<usize>]) -> Check {
        match result {
            Ok(_) => Check::Pass,
            Err(fail) => Check::Fail(fail.message(input)),
        }
    }

    /// Requires a size given as a const expression (`Dense(HIDDEN)`) to be at least 1, as a
    /// literal must be: `param` is the argument's name, `written` the expression as written.
    pub const fn positive(value: usize, param: &str, written: &str) -> Check {
        if value >= 1 {
            return Check::Pass;
        }
        Check::Fail(
            Message::new().str("needs `").str(param).str("` of at least 1, but `").str(written).str("` is 0"),
        )
    }

    /// Requires a custom layer's `Layer::Out` to match the shape it declares with `-> [dims]`.
    pub const fn declared(actual: &[Option<usize>], declared: &[Option<usize>]) -> Check {
        match Check::exact(actual, declared) {
            Check::Pass => Check::Pass,
            Check::Fail(_) => Check::Fail(
                Message::new()
                    .str("declares its output as ")
                    .dims(declared)
                    .str(" with `->`, but its `Layer` impl outputs ")
                    .dims(actual)
                    .str("; correct the `-> [..]` declaration"),
            ),
        }
    }

    /// The failure text prefixed with the model and layer, as the generated const items report
    /// it: ``model `Net`, layer #2 `Projection` expects …``. `None` when the check passed.
    pub const fn in_model(&self, model: &str, index: usize, layer: &str) -> Option<Message> {
        match self {
            Check::Pass => None,
            Check::Fail(reason) => Some(
                Message::new()
                    .str("model `")
                    .str(model)
                    .str("`, layer #")
                    .num(index)
                    .str(" `")
                    .str(layer)
                    .str("` ")
                    .str(reason.as_str()),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(c: Check) -> String {
        match c {
            Check::Pass => "pass".into(),
            Check::Fail(m) => m.as_str().to_string(),
        }
    }

    #[test]
    fn messages_hold_decimal_numbers() {
        assert_eq!(
            text(Check::last_dim(&[Some(64)], 128, "input features")),
            "expects 128 input features, but its input has 64"
        );
        assert_eq!(text(Check::last_dim(&[Some(128)], 128, "input features")), "pass");
        assert!(text(Check::last_dim(&[Some(3), None], 12, "features")).contains("[3, None]"));
        assert_eq!(text(Check::exact(&[Some(32)], &[Some(64)])), "expects input [64], but its input is [32]");
        assert_eq!(
            text(Check::from_rule(shaped_rules::reshape(&[Some(64)], &[Some(4), Some(32)]), &[Some(64)])),
            "needs an input with 128 elements to reshape to [4, 32], but its input [64] has 64"
        );
    }

    #[test]
    fn prefixes_model_and_layer() {
        const C: Check = Check::last_dim(&[Some(64)], 128, "input features");
        const M: Option<Message> = C.in_model("Net", 2, "Projection");
        assert_eq!(
            M.unwrap().as_str(),
            "model `Net`, layer #2 `Projection` expects 128 input features, but its input has 64"
        );
    }
}
