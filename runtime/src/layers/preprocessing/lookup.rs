//! `StringLookup` and `IntegerLookup(max_tokens, num_oov_indices, mask_token, oov_token,
//! vocabulary, output_mode)`: strings, or integers (`u32` ids: a user id, a year, a code), as
//! indices of a vocabulary that `adapt` learns — Keras 3's lookup layers, one [`Lookup`] over
//! the token type.
//!
//! Shape contract: `[n]` tokens per sample (a `String[1]` input, or `u32[1]`, `u32[n]`,
//! `u32[None]`) → `[n]` indices in `int` mode (an `Embedding` reads them), `[depth]` in
//! `multi_hot` and `count`, `[n, depth]` (`[depth]` for `n = 1`) in `one_hot`; `depth` =
//! `max_tokens`, or the given vocabulary's size plus the special indices. Padded positions of
//! ragged ids are no tokens. The index rule, the vocabulary's order and what a missing value
//! becomes are [`IndexLookup`]'s. No weights; tokens have no gradient. The learned vocabulary
//! is the layer's state, saved in whole-model files (a weights-only file does not hold it).

use std::borrow::Borrow;

use crate::error::{Error, Result};
use crate::layers::adapt::Adapt;
use crate::layers::preprocessing::index_lookup::{IndexLookup, LookupOptions, VocabularyToken};
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::stage::{single_dims, Backward, Forward, Input, MaskRule, Stage};
use crate::layers::EncodingMode;
use crate::shape::Dims;

/// Strings as vocabulary indices (see the module docs).
pub type StringLookup = Lookup<String>;

/// Integers as vocabulary indices (see the module docs). An unknown integer falls in OOV
/// bucket `x mod num_oov_indices` (Keras's `floormod`).
pub type IntegerLookup = Lookup<u32>;

/// A token type a lookup reads from its input: strings from a string input, integers from
/// ids.
pub trait LookupToken: VocabularyToken {
    /// The layer's name in messages and summaries: `StringLookup`.
    const LAYER: &'static str;

    /// A token as the input holds it: `&str`, `u32`.
    type Key<'a>: Borrow<Self::Ref>;

    /// `Err` naming the layer when the input does not hold such tokens (or holds a value that
    /// is no token).
    fn check(input: &Input<'_>) -> Result<()>;

    /// VocabularyToken `i` over the batch, `None` when it is missing or padding.
    fn key<'a>(input: &Input<'a>, i: usize) -> Option<Self::Key<'a>>;
}

impl LookupToken for String {
    const LAYER: &'static str = "StringLookup";
    type Key<'a> = &'a str;

    fn check(input: &Input<'_>) -> Result<()> {
        input.strings(Self::LAYER).map(|_| ())
    }

    fn key<'a>(input: &Input<'a>, i: usize) -> Option<&'a str> {
        input.text.and_then(|text| text.get(i))
    }
}

impl LookupToken for u32 {
    const LAYER: &'static str = "IntegerLookup";
    type Key<'a> = u32;

    fn check(input: &Input<'_>) -> Result<()> {
        let n = input.dims.numel().max(1);
        match (0..input.len()).find(|&i| !padding(input, i) && input.id(i).is_none()) {
            None => Ok(()),
            Some(i) => Err(Error::InvalidArgument {
                name: "input",
                detail: format!(
                    "sample {} holds {} at position {}, but `IntegerLookup` reads non-negative integers",
                    i / n,
                    input.data.get(i).copied().unwrap_or(f32::NAN),
                    i % n
                ),
            }),
        }
    }

    fn key(input: &Input<'_>, i: usize) -> Option<u32> {
        if padding(input, i) {
            None
        } else {
            input.id(i)
        }
    }
}

/// Whether position `i` of the input is padding (mask 0).
fn padding(input: &Input<'_>, i: usize) -> bool {
    input.mask.is_some_and(|m| m.get(i).is_some_and(|&v| v == 0.0))
}

/// Tokens as vocabulary indices: [`StringLookup`] or [`IntegerLookup`] (see the module docs).
#[derive(Clone, Debug)]
pub struct Lookup<T: VocabularyToken> {
    lookup: IndexLookup<T>,
}

impl<T: LookupToken> Lookup<T> {
    /// A lookup with Keras's arguments; ready when `options` give a vocabulary, else after
    /// `adapt`.
    pub fn new(options: LookupOptions<T>) -> Lookup<T> {
        Lookup { lookup: IndexLookup::new(options) }
    }

    /// The vocabulary without the mask and OOV tokens, most frequent first (Keras's
    /// `get_vocabulary(include_special_tokens=False)`).
    pub fn vocabulary(&self) -> &[T] {
        self.lookup.vocabulary()
    }
}

impl<T: LookupToken> Stage for Lookup<T> {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, T::LAYER)?;
        match self.lookup.output_mode() {
            None => Ok(input),
            Some(mode) => rule_dims_one(T::LAYER, input, |d| {
                shaped_rules::category_encoding(d, self.lookup.depth(), mode == EncodingMode::OneHot)
            }),
        }
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let input = args.input(T::LAYER)?;
        T::check(&input)?;
        let n = input.dims.numel();
        self.lookup.lookup(T::LAYER, n, args.batch, input.mask, |i| T::key(&input, i), y)
    }

    fn backward(&mut self, _args: Backward<'_>, _grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        // Tokens have no gradient and the layer no weights.
        Ok(())
    }

    fn mask_rule(&self) -> MaskRule {
        match self.lookup.output_mode() {
            None | Some(EncodingMode::OneHot) => MaskRule::Keep,
            Some(_) => MaskRule::Drop,
        }
    }

    fn kind(&self) -> String {
        T::LAYER.into()
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

impl<T: LookupToken> Adapt for Lookup<T> {
    fn begin(&mut self) {
        self.lookup.begin();
    }

    /// Counts every token present (a missing value or padding is no token).
    fn update(&mut self, input: Input<'_>, _batch: usize) -> Result<()> {
        T::check(&input)?;
        for i in 0..input.len() {
            if let Some(key) = T::key(&input, i) {
                self.lookup.count(key.borrow());
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        self.lookup.finish(T::LAYER)
    }
}
