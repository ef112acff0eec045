//! `IntegerLookup(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary, output_mode)`:
//! integers (`u32` ids: a user id, a year, a code) as indices of a vocabulary that `adapt`
//! learns, Keras 3's `IntegerLookup`.
//!
//! Shape contract: `[n]` integers per sample (`input: u32[1]`, `u32[n]`, or `u32[None]`) →
//! `[n]` indices in `int` mode, `[depth]` in `multi_hot` and `count`, `[n, depth]` (`[depth]`
//! for `n = 1`) in `one_hot`. Padded positions of ragged input are no tokens. The index rule
//! and the vocabulary's order are [`IndexLookup`]'s; an unknown integer falls in OOV bucket
//! `x mod num_oov_indices` (Keras's `floormod`). No weights; ids have no gradient.

use crate::error::{Error, Result};
use crate::layers::adapt::Adapt;
use crate::layers::preprocessing::index_lookup::{IndexLookup, LookupOptions};
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::stage::{single_dims, Backward, Forward, Input, MaskRule, Stage};
use crate::layers::EncodingMode;
use crate::shape::Dims;

/// Integers as vocabulary indices (see the module docs).
#[derive(Clone, Debug)]
pub struct IntegerLookup {
    lookup: IndexLookup<u32>,
    /// The batch's integers, `None` at padded positions.
    tokens: Vec<Option<u32>>,
}

impl IntegerLookup {
    /// A lookup with Keras's arguments; ready when `options` give a vocabulary, else after
    /// `adapt`.
    pub fn new(options: LookupOptions<u32>) -> IntegerLookup {
        IntegerLookup { lookup: IndexLookup::new(options), tokens: Vec::new() }
    }

    /// The vocabulary without the mask and OOV tokens, most frequent first.
    pub fn vocabulary(&self) -> &[u32] {
        self.lookup.vocabulary()
    }

    /// The input's integers into `self.tokens`, `None` at padded positions; `Err` naming a
    /// value that is no integer.
    fn read(&mut self, input: &Input<'_>) -> Result<()> {
        let n = input.dims.numel().max(1);
        self.tokens.clear();
        for i in 0..input.len() {
            if input.mask.is_some_and(|m| m.get(i).is_some_and(|&v| v == 0.0)) {
                self.tokens.push(None);
                continue;
            }
            match input.id(i) {
                Some(id) => self.tokens.push(Some(id)),
                None => {
                    return Err(Error::InvalidArgument {
                        name: "input",
                        detail: format!(
                        "sample {} holds {} at position {}, but `IntegerLookup` reads non-negative integers",
                        i / n,
                        input.data.get(i).copied().unwrap_or(f32::NAN),
                        i % n
                    ),
                    })
                }
            }
        }
        Ok(())
    }
}

impl Stage for IntegerLookup {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "IntegerLookup")?;
        match self.lookup.output_mode() {
            None => Ok(input),
            Some(mode) => rule_dims_one("IntegerLookup", input, |d| {
                shaped_rules::category_encoding(d, self.lookup.depth(), mode == EncodingMode::OneHot)
            }),
        }
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let input = args.input("IntegerLookup")?;
        self.read(&input)?;
        let tokens = std::mem::take(&mut self.tokens);
        let n = input.dims.numel();
        let result = self.lookup.lookup(
            "IntegerLookup",
            n,
            args.batch,
            input.mask,
            |i| tokens.get(i).and_then(Option::as_ref),
            y,
        );
        self.tokens = tokens;
        result
    }

    fn backward(&mut self, _args: Backward<'_>, _grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        // Ids have no gradient and the layer no weights.
        Ok(())
    }

    fn mask_rule(&self) -> MaskRule {
        match self.lookup.output_mode() {
            None | Some(EncodingMode::OneHot) => MaskRule::Keep,
            Some(_) => MaskRule::Drop,
        }
    }

    fn kind(&self) -> String {
        "IntegerLookup".into()
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

impl Adapt for IntegerLookup {
    fn begin(&mut self) {
        self.lookup.begin();
    }

    /// Counts every integer at a real position.
    fn update(&mut self, input: Input<'_>, _batch: usize) -> Result<()> {
        self.read(&input)?;
        for token in self.tokens.iter().flatten() {
            self.lookup.count(token);
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        self.lookup.finish("IntegerLookup")
    }
}
