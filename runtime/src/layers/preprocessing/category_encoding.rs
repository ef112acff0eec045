//! `CategoryEncoding(num_tokens, output_mode)`: token ids as vectors of `num_tokens` values,
//! Keras's encodings of categories.
//!
//! Shape contract (per sample, ids `[n]`): `one_hot` → `[n, num_tokens]` (`[num_tokens]` for
//! `n = 1`), one row per id with a 1 at the id; `multi_hot` → `[num_tokens]`, 1 at every id the
//! sample holds; `count` → `[num_tokens]`, how many times each id occurs. Padded positions of
//! ragged ids (mask 0) are not tokens: `multi_hot` and `count` skip them, `one_hot` gives them a
//! zero row and keeps the mask. An id not below `num_tokens` is an `Err` naming it (the data
//! checks name the sample first). No weights; ids have no gradient.

use crate::error::{Error, Result};
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::stage::{single_dims, Backward, Forward, MaskRule, Stage};
use crate::shape::Dims;

/// How [`CategoryEncoding`] encodes a sample's ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodingMode {
    /// One vector per id, 1 at the id.
    OneHot,
    /// One vector per sample, 1 at every id it holds (Keras's default).
    MultiHot,
    /// One vector per sample, the number of times each id occurs.
    Count,
}

/// Token ids as one-hot, multi-hot or count vectors (see the module docs).
#[derive(Clone, Copy, Debug)]
pub struct CategoryEncoding {
    num_tokens: usize,
    mode: EncodingMode,
}

impl CategoryEncoding {
    /// An encoding of ids below `num_tokens`.
    pub fn new(num_tokens: usize, mode: EncodingMode) -> CategoryEncoding {
        CategoryEncoding { num_tokens, mode }
    }
}

impl Stage for CategoryEncoding {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "CategoryEncoding")?;
        let one_hot = self.mode == EncodingMode::OneHot;
        rule_dims_one("CategoryEncoding", input, |d| {
            shaped_rules::category_encoding(d, self.num_tokens, one_hot)
        })
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let input = args.input("CategoryEncoding")?;
        let (t, n) = (self.num_tokens, input.dims.numel());
        for i in 0..input.len() {
            let (sample, position) = (i / n.max(1), i % n.max(1));
            match input.id(i) {
                Some(id) if (id as usize) < t => {}
                Some(id) => return Err(Error::InvalidArgument {
                    name: "input",
                    detail: format!("sample {sample} holds token id {id} at position {position}, but `CategoryEncoding` takes ids below {t} (its num_tokens)"),
                }),
                None => return Err(Error::InvalidArgument {
                    name: "input",
                    detail: format!("sample {sample} holds {} at position {position}, which is not a token id (a non-negative integer)", input.data.get(i).copied().unwrap_or(f32::NAN)),
                }),
            }
        }
        encode(self.mode, t, n, args.batch, input.mask, |i| input.id(i).map(|id| id as usize), y);
        Ok(())
    }

    fn backward(&mut self, _args: Backward<'_>, _grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        // Ids have no gradient and the layer no weights.
        Ok(())
    }

    fn mask_rule(&self) -> MaskRule {
        match self.mode {
            EncodingMode::OneHot => MaskRule::Keep,
            EncodingMode::MultiHot | EncodingMode::Count => MaskRule::Drop,
        }
    }

    fn kind(&self) -> String {
        "CategoryEncoding".into()
    }
}

/// Writes the encoding of `batch` samples of `n` category indices each (`index(i)` for the
/// `i`-th over the batch, each below `depth`; `None` for a position that is no category, such
/// as a lookup's mask token) into `y`, positions whose `mask` is 0 skipped:
/// one row of `depth` per index for `OneHot`, one per sample for `MultiHot` and `Count`.
/// What `CategoryEncoding` does with ids and `Discretization` with its bins.
pub(crate) fn encode(
    mode: EncodingMode,
    depth: usize,
    n: usize,
    batch: usize,
    mask: Option<&[f32]>,
    index: impl Fn(usize) -> Option<usize>,
    y: &mut [f32],
) {
    y.fill(0.0);
    let real = |i: usize| mask.is_none_or(|m| m.get(i).is_some_and(|&v| v != 0.0));
    match mode {
        EncodingMode::OneHot => {
            for (i, row) in y.chunks_exact_mut(depth.max(1)).take(batch * n).enumerate() {
                if let Some(k) = index(i).filter(|_| real(i)) {
                    row[k] = 1.0;
                }
            }
        }
        EncodingMode::MultiHot | EncodingMode::Count => {
            for (b, row) in y.chunks_exact_mut(depth.max(1)).take(batch).enumerate() {
                for i in b * n..(b + 1) * n {
                    if let Some(k) = index(i).filter(|_| real(i)) {
                        row[k] = if mode == EncodingMode::Count { row[k] + 1.0 } else { 1.0 };
                    }
                }
            }
        }
    }
}
