//! [`IndexLookup`]: what `StringLookup` and `IntegerLookup` share, Keras 3's `IndexLookup` —
//! a vocabulary, the index of each token, and the vocabulary learned by `adapt`.
//!
//! Indices (Keras's order): with `output_mode = int`, index 0 is the mask token when there is
//! one, then `num_oov_indices` out-of-vocabulary indices, then the vocabulary. In the encoded
//! modes (`one_hot`, `multi_hot`, `count`) the mask token has no index (it is dropped), so
//! the OOV indices start at 0.
//!
//! ```text
//! token_start = [mask_token, int mode] + num_oov_indices
//! index(t)    = 0                                   t is the mask token (int mode)
//!             = token_start + position of t         t in the vocabulary
//!             = oov_start + bucket(t)               otherwise (bucket 0 when num_oov_indices = 1;
//!                                                   FarmHash64(t) mod n for strings, t mod n for
//!                                                   integers, as Keras's `floormod`)
//! ```
//!
//! A missing value (`Option<String>`'s `None`) is out of vocabulary: it gets the first OOV
//! index. With `num_oov_indices = 0`, an unknown token is an `Err` naming it (Keras asserts).
//!
//! `adapt` counts every token, drops the mask and OOV tokens, and orders the rest by count,
//! the most frequent first, ties broken by the token, the larger first (Keras's `np.lexsort`
//! reversed). The width is fixed when the model is declared (`max_tokens`, or the size of the
//! given `vocabulary`): data with more distinct tokens than fit is an `Err` naming both counts,
//! where Keras silently keeps the most frequent. In the encoded modes the width is always
//! `max_tokens` (Keras's `pad_to_max_tokens = True`), since the compiler must know it.
//!
//! The vocabulary is the layer's state ([`IndexLookup::state`]), saved in whole-model files.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

use crate::error::{Error, Result};
use crate::layers::preprocessing::category_encoding::encode;
use crate::layers::preprocessing::hash_fn::fingerprint64;
use crate::layers::EncodingMode;

/// A token of a lookup's vocabulary: a string or an integer, looked up as its borrowed form
/// (`str`, `u32`) so that a batch's tokens are never copied.
pub trait VocabularyToken:
    Clone + Eq + Hash + Ord + Borrow<Self::Ref> + serde::Serialize + serde::de::DeserializeOwned
{
    /// The borrowed form: `str` for `String`.
    type Ref: ?Sized + Eq + Hash + ToOwned<Owned = Self>;

    /// Which of `n > 1` OOV buckets an unknown token falls in: FarmHash64 of a string's bytes
    /// mod `n` (TensorFlow's `to_hash_bucket_fast`), an integer mod `n` (Keras's `floormod`).
    fn oov_bucket(token: &Self::Ref, n: usize) -> usize;

    /// How messages write the token: `"red"` quoted, `7` as it is.
    fn quoted(token: &Self::Ref) -> String;
}

impl VocabularyToken for String {
    type Ref = str;

    fn oov_bucket(token: &str, n: usize) -> usize {
        (fingerprint64(token.as_bytes()) % n as u64) as usize
    }

    fn quoted(token: &str) -> String {
        format!("{token:?}")
    }
}

impl VocabularyToken for u32 {
    type Ref = u32;

    fn oov_bucket(token: &u32, n: usize) -> usize {
        *token as usize % n
    }

    fn quoted(token: &u32) -> String {
        token.to_string()
    }
}

/// A lookup's arguments, as `model!` writes them (Keras's names and defaults).
#[derive(Clone, Debug)]
pub struct LookupOptions<T> {
    /// The width of the output: every index is below it. `None` when a `vocabulary` is given
    /// (the width is then the vocabulary's size plus the special indices).
    pub max_tokens: Option<usize>,
    /// How many indices unknown tokens share (Keras's default 1).
    pub num_oov_indices: usize,
    /// The token that marks padding, index 0 in `int` mode (Keras's default `None`).
    pub mask_token: Option<T>,
    /// The token that stands for unknown ones in the vocabulary's listing (`"[UNK]"`, `-1`).
    pub oov_token: Option<T>,
    /// A fixed vocabulary instead of `adapt`'s.
    pub vocabulary: Option<Vec<T>>,
    /// `None` for `int` (one index per token), else the encoding of a sample's indices.
    pub output_mode: Option<EncodingMode>,
}

/// The vocabulary and index rule of a lookup layer (see the module docs).
#[derive(Clone, Debug)]
pub struct IndexLookup<T: VocabularyToken> {
    options: LookupOptions<T>,
    /// The learned or given vocabulary, most frequent first.
    vocabulary: Vec<T>,
    table: HashMap<T, u32>,
    /// Whether there is a vocabulary to look up (given, adapted or loaded).
    ready: bool,
    /// Why a given vocabulary was refused.
    invalid: Option<String>,
    /// `adapt`'s counts.
    counts: HashMap<T, u64>,
    /// Each position's index in the last batch (`None`: a mask token, dropped).
    indices: Vec<Option<u32>>,
}

impl<T: VocabularyToken> IndexLookup<T> {
    /// A lookup with `options`; ready at once when they give a vocabulary, else after `adapt`.
    /// A given vocabulary that repeats a token or does not fit (which `model!` refuses at
    /// compile time) leaves the layer without one: its first call is an `Err` saying why.
    pub fn new(options: LookupOptions<T>) -> IndexLookup<T> {
        let mut lookup = IndexLookup {
            options,
            vocabulary: Vec::new(),
            table: HashMap::new(),
            ready: false,
            invalid: None,
            counts: HashMap::new(),
            indices: Vec::new(),
        };
        if let Some(mut vocabulary) = lookup.options.vocabulary.clone() {
            // Keras drops a leading run of the special tokens, as `get_vocabulary()` lists them.
            let special: Vec<Option<&T>> =
                std::iter::repeat_n(lookup.options.mask_token.as_ref(), lookup.oov_start())
                    .chain(std::iter::repeat_n(
                        lookup.options.oov_token.as_ref(),
                        lookup.options.num_oov_indices,
                    ))
                    .collect();
            let leading = vocabulary.iter().map(Some).take(special.len()).collect::<Vec<_>>();
            if !special.is_empty() && leading == special {
                vocabulary.drain(..special.len());
                lookup.options.vocabulary = Some(vocabulary.clone());
            }
            if let Err(e) = lookup.set_vocabulary(vocabulary) {
                lookup.invalid = Some(e.to_string());
            }
        }
        lookup
    }

    /// Whether the mask token has index 0 (`int` mode with a mask token).
    fn oov_start(&self) -> usize {
        usize::from(self.options.mask_token.is_some() && self.options.output_mode.is_none())
    }

    /// The first vocabulary index.
    fn token_start(&self) -> usize {
        self.oov_start() + self.options.num_oov_indices
    }

    /// The output width, or the bound of every index in `int` mode: `max_tokens`, or the
    /// special indices plus the given vocabulary.
    pub fn depth(&self) -> usize {
        let given = self.options.vocabulary.as_ref().map_or(0, Vec::len);
        self.options.max_tokens.unwrap_or(self.token_start() + given)
    }

    /// What the indices before the vocabulary are for: "1 index for out-of-vocabulary tokens",
    /// "index 0 for the mask token and 2 for out-of-vocabulary tokens".
    fn special_indices(&self) -> String {
        let oov = match self.options.num_oov_indices {
            1 => "1 index for out-of-vocabulary tokens".to_string(),
            n => format!("{n} indices for out-of-vocabulary tokens"),
        };
        if self.oov_start() == 1 {
            format!("index 0 for the mask token and {oov}")
        } else {
            oov
        }
    }

    /// How many tokens the vocabulary holds at most.
    fn capacity(&self) -> usize {
        self.depth().saturating_sub(self.token_start())
    }

    /// The vocabulary, most frequent first, without the special tokens.
    pub fn vocabulary(&self) -> &[T] {
        &self.vocabulary
    }

    /// The encoding, `None` for `int`.
    pub fn output_mode(&self) -> Option<EncodingMode> {
        self.options.output_mode
    }

    /// Whether a vocabulary was given, so `adapt` has nothing to learn.
    pub fn has_fixed_vocabulary(&self) -> bool {
        self.options.vocabulary.is_some()
    }

    /// Sets the vocabulary: `Err` when it holds a token twice, or more tokens than fit.
    fn set_vocabulary(&mut self, vocabulary: Vec<T>) -> Result<()> {
        if vocabulary.len() > self.capacity() {
            return Err(Error::InvalidArgument {
                name: "vocabulary",
                detail: format!(
                    "{} tokens do not fit in a lookup of {} indices ({} of them for the mask and out-of-vocabulary tokens)",
                    vocabulary.len(),
                    self.depth(),
                    self.token_start()
                ),
            });
        }
        let mut table = HashMap::with_capacity(vocabulary.len());
        for (k, token) in vocabulary.iter().enumerate() {
            if table.insert(token.clone(), (self.token_start() + k) as u32).is_some() {
                return Err(Error::InvalidArgument {
                    name: "vocabulary",
                    detail: format!("the vocabulary holds {} twice", T::quoted(token.borrow())),
                });
            }
        }
        self.vocabulary = vocabulary;
        self.table = table;
        self.ready = true;
        Ok(())
    }

    /// The index of `token` (`None` for a missing value), `None` in the result for a mask
    /// token dropped by an encoded mode; `Err` for an unknown token without OOV indices.
    fn index(&self, token: Option<&T::Ref>, sample: usize) -> Result<Option<u32>> {
        let Some(token) = token else {
            return self.oov_index(None, sample).map(Some);
        };
        if self.options.mask_token.as_ref().map(Borrow::borrow) == Some(token) {
            return Ok(self.options.output_mode.is_none().then_some(0));
        }
        match self.table.get(token) {
            Some(&index) => Ok(Some(index)),
            None => self.oov_index(Some(token), sample).map(Some),
        }
    }

    /// The OOV index of an unknown (or missing) token.
    fn oov_index(&self, token: Option<&T::Ref>, sample: usize) -> Result<u32> {
        let n = self.options.num_oov_indices;
        let bucket = match (n, token) {
            (0, _) => {
                let what = token.map_or("a missing value".to_string(), T::quoted);
                return Err(Error::InvalidArgument {
                    name: "input",
                    detail: format!("sample {sample} holds {what}, which is not in the vocabulary, and the lookup has no out-of-vocabulary index (num_oov_indices = 0); set num_oov_indices = 1"),
                });
            }
            (1, _) | (_, None) => 0,
            (n, Some(t)) => T::oov_bucket(t, n),
        };
        Ok((self.oov_start() + bucket) as u32)
    }

    /// `Err` before a vocabulary exists: the model must be adapted (or loaded) first.
    fn check_ready(&self, layer: &str) -> Result<()> {
        if self.ready {
            return Ok(());
        }
        if let Some(why) = &self.invalid {
            return Err(Error::InvalidArgument { name: "vocabulary", detail: format!("`{layer}`: {why}") });
        }
        Err(Error::InvalidArgument {
            name: "model",
            detail: format!("`{layer}` has no vocabulary yet: call `model.adapt(&x)` on the training data before `fit` or `predict` (or give it `vocabulary = [..]`)"),
        })
    }

    /// Writes the output for `batch` samples of `n` positions each, token `i` (over the batch)
    /// given by `token(i)` (`None`: missing): the indices as `f32` in `int` mode, else their
    /// encoding. `layer` names the layer in errors.
    pub fn lookup<K: Borrow<T::Ref>>(
        &mut self,
        layer: &str,
        n: usize,
        batch: usize,
        mask: Option<&[f32]>,
        token: impl Fn(usize) -> Option<K>,
        y: &mut [f32],
    ) -> Result<()> {
        self.check_ready(layer)?;
        let mut indices = std::mem::take(&mut self.indices);
        indices.clear();
        for i in 0..batch * n {
            match self.index(token(i).as_ref().map(Borrow::borrow), i / n.max(1)) {
                Ok(index) => indices.push(index),
                Err(e) => {
                    self.indices = indices;
                    return Err(e);
                }
            }
        }
        match self.options.output_mode {
            None => {
                for (y, index) in y.iter_mut().zip(&indices) {
                    *y = index.unwrap_or(0) as f32;
                }
            }
            Some(mode) => encode(mode, self.depth(), n, batch, mask, |i| indices[i].map(|k| k as usize), y),
        }
        self.indices = indices;
        Ok(())
    }

    /// `adapt`'s start: forgets the counts.
    pub fn begin(&mut self) {
        self.counts.clear();
    }

    /// Counts one token of the data.
    pub fn count(&mut self, token: &T::Ref) {
        match self.counts.get_mut(token) {
            Some(c) => *c += 1,
            None => {
                self.counts.insert(token.to_owned(), 1);
            }
        }
    }

    /// `adapt`'s end: the vocabulary from the counts (see the module docs); `Err` when no token
    /// was seen, or more distinct tokens than fit.
    pub fn finish(&mut self, layer: &str) -> Result<()> {
        let counts = std::mem::take(&mut self.counts);
        let mut tokens: Vec<(u64, T)> = counts
            .into_iter()
            .filter(|(t, _)| {
                Some(t) != self.options.mask_token.as_ref() && Some(t) != self.options.oov_token.as_ref()
            })
            .map(|(t, c)| (c, t))
            .collect();
        if tokens.is_empty() {
            return Err(Error::InvalidArgument {
                name: "x",
                detail: format!(
                    "`{layer}` learns its vocabulary from data, but the data given to `adapt` has no token"
                ),
            });
        }
        if tokens.len() > self.capacity() {
            let needed = tokens.len() + self.token_start();
            return Err(Error::InvalidArgument {
                name: "x",
                detail: format!(
                    "the data holds {} distinct tokens, but `{layer}(max_tokens = {})` has room for {} ({}); declare it with max_tokens = {needed}",
                    tokens.len(),
                    self.depth(),
                    self.capacity(),
                    self.special_indices()
                ),
            });
        }
        tokens.sort_unstable_by(|a, b| b.cmp(a));
        self.set_vocabulary(tokens.into_iter().map(|(_, t)| t).collect())
    }

    /// The learned vocabulary as JSON (a list of tokens), `None` when it was given.
    pub fn state(&self) -> Option<String> {
        if self.has_fixed_vocabulary() {
            return None;
        }
        serde_json::to_string(&self.vocabulary).ok()
    }

    /// Takes a vocabulary [`IndexLookup::state`] wrote.
    pub fn load_state(&mut self, state: &str) -> Result<()> {
        let vocabulary: Vec<T> = serde_json::from_str(state).map_err(|e| Error::InvalidArgument {
            name: "state",
            detail: format!("a lookup's vocabulary does not read as a list of tokens: {e}"),
        })?;
        if vocabulary.is_empty() {
            // Saved before `adapt`: still none.
            self.vocabulary.clear();
            self.table.clear();
            self.ready = false;
            return Ok(());
        }
        self.set_vocabulary(vocabulary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(mode: Option<EncodingMode>, mask: bool) -> LookupOptions<String> {
        LookupOptions {
            max_tokens: Some(6),
            num_oov_indices: 1,
            mask_token: mask.then(String::new),
            oov_token: Some("[UNK]".into()),
            vocabulary: None,
            output_mode: mode,
        }
    }

    fn adapted(mode: Option<EncodingMode>, mask: bool) -> IndexLookup<String> {
        let mut lookup = IndexLookup::new(options(mode, mask));
        lookup.begin();
        for t in ["b", "a", "c", "a", "b", "d", "a", ""] {
            lookup.count(t);
        }
        lookup.finish("StringLookup").unwrap();
        lookup
    }

    #[test]
    fn orders_by_count_then_by_the_larger_token() {
        // Counts: a 3, b 2, c 1, d 1, "" 1 (the mask when there is one).
        assert_eq!(adapted(None, true).vocabulary(), ["a", "b", "d", "c"]);
        assert_eq!(adapted(None, false).vocabulary(), ["a", "b", "d", "c", ""]);
    }

    #[test]
    fn gives_the_mask_index_0_in_int_mode_only() {
        let tokens = ["", "a", "zzz", "c"];
        let mut y = vec![9.0; 4];
        let mut lookup = adapted(None, true);
        lookup.lookup("StringLookup", 1, 4, None, |i| Some(tokens[i]), &mut y).unwrap();
        assert_eq!(y, [0.0, 2.0, 1.0, 5.0]);
        let mut lookup = adapted(Some(EncodingMode::OneHot), true);
        let mut y = vec![9.0; 4 * 6];
        lookup.lookup("StringLookup", 1, 4, None, |i| Some(tokens[i]), &mut y).unwrap();
        let hot: Vec<Option<usize>> = y.chunks(6).map(|r| r.iter().position(|&v| v == 1.0)).collect();
        assert_eq!(hot, [None, Some(1), Some(0), Some(4)]);
    }

    #[test]
    fn refuses_more_tokens_than_fit_and_names_both_counts() {
        let mut lookup = IndexLookup::new(options(None, false));
        lookup.begin();
        for t in ["a", "b", "c", "d", "e", "f"] {
            lookup.count(t);
        }
        let e = lookup.finish("StringLookup").unwrap_err().to_string();
        assert!(
            e.contains("6 distinct tokens") && e.contains("room for 5") && e.contains("max_tokens = 7"),
            "{e}"
        );
    }

    #[test]
    fn refuses_to_run_before_adapt() {
        let mut lookup = IndexLookup::new(options(None, false));
        let e = lookup.lookup("StringLookup", 1, 0, None, |_| None::<&str>, &mut []).unwrap_err();
        assert!(e.to_string().contains("model.adapt"), "{e}");
    }

    #[test]
    fn saves_and_loads_the_vocabulary() {
        let lookup = adapted(None, false);
        let mut fresh = IndexLookup::new(options(None, false));
        fresh.load_state(&lookup.state().unwrap()).unwrap();
        assert_eq!(fresh.vocabulary(), lookup.vocabulary());
    }
}
