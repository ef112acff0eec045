//! [`Fail`]: why a layer's shape rule rejects its input, with the numbers its message needs.

use crate::dims::ConstDims;
use crate::message::Message;

/// Why a layer's shape rule (`crate::dense`, ...) rejects its input.
///
/// The macro words its own messages from it (with the layer before, and a fix in the model's
/// text); [`Fail::message`] is the wording of the const checks and of run-time errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fail {
    /// The last axis is `None`, or the input is a scalar: the layer sizes its weights from it
    /// (`Dense`, `TimeDistributed`).
    UnknownLast,
    /// An axis is `None`, and the layer needs every one to `what` (`"flatten it"`).
    NotAllStatic {
        /// What the layer does with the whole input.
        what: &'static str,
    },
    /// A reshape to `target`, which holds `needed` elements, of an input holding `found`.
    ElementCount {
        /// The elements of the target.
        needed: usize,
        /// The elements of the input.
        found: usize,
        /// The target shape.
        target: ConstDims,
    },
    /// A reshape with `-1` (a `None` in `target`), of an input whose element count `found` is not
    /// a multiple of `of`, the product of the target's other axes.
    NotAMultiple {
        /// The product of the target's known axes.
        of: usize,
        /// The elements of the input.
        found: usize,
        /// The target shape.
        target: ConstDims,
    },
    /// The input does not have the rank the layer works on, written as `wanted`
    /// (`"[timesteps, features]"`).
    Rank {
        /// The layout the layer expects.
        wanted: &'static str,
    },
    /// A sequence whose features per step are `None` (recurrent layers size weights from them).
    UnknownFeatures,
}

impl Fail {
    /// The reason in words, continuing the sentence ``layer #2 `Dense(10)` …``, for an input of
    /// per-sample dims `input`: a verb first, lowercase, both numbers in it.
    pub const fn message(&self, input: &[Option<usize>]) -> Message {
        let m = Message::new();
        match *self {
            Fail::UnknownLast => m
                .str("needs a known last dimension, but its input is ")
                .dims(input)
                .str("; give that axis a fixed size (pad or truncate the data to it)"),
            Fail::NotAllStatic { what } => {
                m.str("needs every dimension known to ").str(what).str(", but its input is ").dims(input)
            }
            Fail::ElementCount { needed, found, target } => m
                .str("needs an input with ")
                .num(needed)
                .str(" elements to reshape to ")
                .dims(target.as_slice())
                .str(", but its input ")
                .dims(input)
                .str(" has ")
                .num(found),
            Fail::NotAMultiple { of, found, target } => m
                .str("needs an input whose element count is a multiple of ")
                .num(of)
                .str(" to reshape to ")
                .dims(target.as_slice())
                .str(" (-1 inferred), but its input ")
                .dims(input)
                .str(" has ")
                .num(found),
            Fail::Rank { wanted } => {
                m.str("expects ").str(wanted).str(" input, but its input is ").dims(input)
            }
            Fail::UnknownFeatures => {
                m.str("needs a known number of features per step, but its input is ").dims(input)
            }
        }
    }
}
