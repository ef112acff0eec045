//! `StringLookup(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary, output_mode)`:
//! strings as indices of a vocabulary that `adapt` learns, Keras 3's `StringLookup`.
//!
//! Shape contract: a string per sample (`input: String[1]`, or `Option<String>[1]`) → `[1]`
//! index in `int` mode (an `Embedding` reads it), `[depth]` in `one_hot`, `multi_hot` and
//! `count` (`depth` = `max_tokens`, or the given vocabulary's size plus the special indices).
//! The index rule, the vocabulary's order and what a missing value becomes are
//! [`IndexLookup`]'s. No weights; strings have no gradient. The learned vocabulary is the
//! layer's state, saved in whole-model files (a weights-only file does not hold it).

use crate::error::{Error, Result};
use crate::layers::adapt::Adapt;
use crate::layers::preprocessing::index_lookup::{IndexLookup, LookupOptions};
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::stage::{single_dims, Backward, Forward, Input, MaskRule, Stage};
use crate::shape::Dims;
use crate::tensor::TextColumn;

/// Strings as vocabulary indices (see the module docs).
#[derive(Clone, Debug)]
pub struct StringLookup {
    lookup: IndexLookup<String>,
}

impl StringLookup {
    /// A lookup with Keras's arguments; ready when `options` give a vocabulary, else after
    /// `adapt`.
    pub fn new(options: LookupOptions<String>) -> StringLookup {
        StringLookup { lookup: IndexLookup::new(options) }
    }

    /// The vocabulary without the mask and OOV tokens, most frequent first (Keras's
    /// `get_vocabulary(include_special_tokens=False)`).
    pub fn vocabulary(&self) -> &[String] {
        self.lookup.vocabulary()
    }
}

/// The strings of a `StringLookup`'s (or `Hashing`'s) input, or an `Err` naming `layer`.
pub(crate) fn text_of<'a>(input: &Input<'a>, layer: &str) -> Result<TextColumn<'a>> {
    input.text.ok_or_else(|| Error::InvalidArgument {
        name: "input",
        detail: format!("`{layer}` reads strings (an input declared `String[1]`), but was given numbers"),
    })
}

impl Stage for StringLookup {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "StringLookup")?;
        match self.lookup.output_mode() {
            None => Ok(input),
            Some(mode) => rule_dims_one("StringLookup", input, |d| {
                shaped_rules::category_encoding(
                    d,
                    self.lookup.depth(),
                    mode == crate::layers::EncodingMode::OneHot,
                )
            }),
        }
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let input = args.input("StringLookup")?;
        let text = text_of(&input, "StringLookup")?;
        let n = input.dims.numel();
        self.lookup.lookup("StringLookup", n, args.batch, input.mask, |i| text.get(i), y)
    }

    fn backward(&mut self, _args: Backward<'_>, _grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        // Strings have no gradient and the layer no weights.
        Ok(())
    }

    fn mask_rule(&self) -> MaskRule {
        MaskRule::Drop
    }

    fn kind(&self) -> String {
        "StringLookup".into()
    }

    fn adapter(&mut self) -> Option<&mut dyn Adapt> {
        if self.lookup.has_fixed_vocabulary() {
            None
        } else {
            Some(self)
        }
    }

    fn state(&self) -> Option<String> {
        self.lookup.state()
    }

    fn load_state(&mut self, state: &str) -> Result<()> {
        self.lookup.load_state(state)
    }
}

impl Adapt for StringLookup {
    fn begin(&mut self) {
        self.lookup.begin();
    }

    /// Counts every string present (a missing value is no token).
    fn update(&mut self, input: Input<'_>, _batch: usize) -> Result<()> {
        for token in text_of(&input, "StringLookup")?.iter().flatten() {
            self.lookup.count(token);
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        self.lookup.finish("StringLookup")
    }
}
