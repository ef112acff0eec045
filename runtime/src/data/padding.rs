//! `pad_sequences`: ragged sequences to one length, as `keras.utils.pad_sequences`.
//!
//! Each sequence of length `n` becomes `maxlen` items (`maxlen` defaults to the longest
//! sequence): the `k = min(n, maxlen)` items kept are the **last** `k` with
//! [`Truncating::Pre`] and the first `k` with [`Truncating::Post`]; they are placed at the end
//! of the row with [`Padding::Pre`] and at its start with [`Padding::Post`]; every other slot
//! holds `value`. Keras's defaults are `Pre`, `Pre`, `0`:
//!
//! ```
//! use shaped_runtime::data::{pad_sequences, Padding, Truncating};
//!
//! let seqs = vec![vec![1, 2, 3], vec![4, 5], vec![6, 7, 8, 9, 10]];
//! let padded = pad_sequences(&seqs, Some(4), Padding::Pre, Truncating::Pre, 0)?;
//! assert_eq!(padded, [[0, 1, 2, 3], [0, 0, 4, 5], [7, 8, 9, 10]]);
//! # Ok::<(), shaped_runtime::Error>(())
//! ```
//!
//! Differences from Keras (`utils/sequence_utils.py`), all where Keras fails or loses data:
//! - the element type is the input's, so floats are never cast: Keras's default
//!   `dtype="int32"` silently turns `[[0.5, 1.7]]` into `[[0, 1]]`;
//! - an empty list gives an empty result (Keras raises "zero-size array to reduction
//!   operation maximum"), and `maxlen = Some(0)` gives empty rows (Keras raises a broadcast
//!   error);
//! - feature-vector steps go through [`pad_sequences_f32`], which also returns the mask that the
//!   padding implies (`1.0` for a real step), in the layout the model's mask uses.

use crate::buffer::try_filled;
use crate::error::{Error, Result};

/// Where the padding goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Padding {
    /// Before the sequence (Keras's default `"pre"`): the items end the row.
    #[default]
    Pre,
    /// After the sequence (`"post"`, what the cuDNN RNN path needs).
    Post,
}

/// Which end of a sequence longer than `maxlen` is cut off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Truncating {
    /// Drop the start, keep the last `maxlen` items (Keras's default `"pre"`).
    #[default]
    Pre,
    /// Drop the end, keep the first `maxlen` items (`"post"`).
    Post,
}

/// For a sequence of `len` items: the range of items kept and the row offset they go to.
fn placement(len: usize, maxlen: usize, padding: Padding, truncating: Truncating) -> (usize, usize, usize) {
    let kept = len.min(maxlen);
    let from = match truncating {
        Truncating::Pre => len - kept,
        Truncating::Post => 0,
    };
    let to = match padding {
        Padding::Pre => maxlen - kept,
        Padding::Post => 0,
    };
    (from, kept, to)
}

/// `maxlen`, or the longest sequence's length.
fn resolve_maxlen(lengths: impl Iterator<Item = usize>, maxlen: Option<usize>) -> usize {
    maxlen.unwrap_or_else(|| lengths.max().unwrap_or(0))
}

/// Pads (and truncates) every sequence to `maxlen` items, or to the longest length when
/// `maxlen` is `None`; see the module docs for where items and `value` go.
///
/// Returns `sequences.len()` rows of `maxlen` items each, or an `Err` when a `maxlen` that
/// large cannot be allocated (checked before anything is, never an abort).
pub fn pad_sequences<T: Copy>(
    sequences: &[Vec<T>],
    maxlen: Option<usize>,
    padding: Padding,
    truncating: Truncating,
    value: T,
) -> Result<Vec<Vec<T>>> {
    let maxlen = resolve_maxlen(sequences.iter().map(Vec::len), maxlen);
    padded_len(sequences.len(), maxlen, 1)?;
    sequences
        .iter()
        .map(|seq| {
            let (from, kept, to) = placement(seq.len(), maxlen, padding, truncating);
            let mut row = try_filled(maxlen, value, || format!("a row of maxlen = {maxlen}"))?;
            row[to..to + kept].copy_from_slice(&seq[from..from + kept]);
            Ok(row)
        })
        .collect()
}

/// `n · maxlen · features`, or an `Err` naming `maxlen` when that overflows.
fn padded_len(n: usize, maxlen: usize, features: usize) -> Result<usize> {
    n.checked_mul(maxlen).and_then(|v| v.checked_mul(features)).ok_or_else(|| Error::InvalidArgument {
        name: "maxlen",
        detail: format!("{n} sequences of maxlen = {maxlen} steps of {features} values hold more values than this machine can address"),
    })
}

/// Pads sequences of `F`-feature steps for a sequence model: returns `(x, mask)` where `x` is
/// flat `n × maxlen × F` (padded steps hold `value` in every feature) and `mask` is flat
/// `n × maxlen`, `mask[i · maxlen + t] = 1.0` for a step that came from the data, `0.0` for
/// padding. The mask comes from positions, not values: a real step that equals `value` stays
/// real (unlike the `Masking` layer). `maxlen` and the rules are those of [`pad_sequences`].
pub fn pad_sequences_f32<const F: usize>(
    sequences: &[Vec<[f32; F]>],
    maxlen: Option<usize>,
    padding: Padding,
    truncating: Truncating,
    value: f32,
) -> Result<(Vec<f32>, Vec<f32>)> {
    let maxlen = resolve_maxlen(sequences.iter().map(Vec::len), maxlen);
    let what = || format!("{} sequences of maxlen = {maxlen}", sequences.len());
    let mut x = try_filled(padded_len(sequences.len(), maxlen, F)?, value, what)?;
    let mut mask = try_filled(padded_len(sequences.len(), maxlen, 1)?, 0.0, what)?;
    for (i, seq) in sequences.iter().enumerate() {
        let (from, kept, to) = placement(seq.len(), maxlen, padding, truncating);
        let row = &mut x[(i * maxlen + to) * F..(i * maxlen + to + kept) * F];
        for (dst, step) in row.chunks_exact_mut(F.max(1)).zip(&seq[from..from + kept]) {
            dst.copy_from_slice(step);
        }
        mask[i * maxlen + to..i * maxlen + to + kept].fill(1.0);
    }
    Ok((x, mask))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keras_doc_example() {
        let seqs = vec![vec![1, 2, 3], vec![4, 5], vec![6, 7, 8, 9, 10]];
        let padded = pad_sequences(&seqs, Some(4), Padding::default(), Truncating::default(), 0).unwrap();
        assert_eq!(padded, [[0, 1, 2, 3], [0, 0, 4, 5], [7, 8, 9, 10]]);
    }

    #[test]
    fn floats_keep_their_values() {
        let padded =
            pad_sequences(&[vec![0.5, 1.7], vec![2.2]], None, Padding::Pre, Truncating::Pre, 0.0).unwrap();
        assert_eq!(padded, [[0.5, 1.7], [0.0, 2.2]]);
    }

    #[test]
    fn feature_steps_and_their_mask() {
        let seqs = vec![vec![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], vec![[0.0, 0.0]], vec![]];
        let (x, mask) = pad_sequences_f32(&seqs, Some(2), Padding::Post, Truncating::Post, -1.0).unwrap();
        assert_eq!(x, [1.0, 2.0, 3.0, 4.0, 0.0, 0.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0]);
        // The real step [0, 0] is real even though a Masking(0.0) layer would mask it.
        assert_eq!(mask, [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn degenerate_inputs_do_not_fail() {
        assert!(pad_sequences::<u32>(&[], None, Padding::Pre, Truncating::Pre, 0).unwrap().is_empty());
        let none: [[u8; 0]; 2] = [[], []];
        assert_eq!(
            pad_sequences(&[vec![1, 2], vec![]], Some(0), Padding::Pre, Truncating::Pre, 0).unwrap(),
            none
        );
        assert_eq!(pad_sequences(&[vec![], vec![]], None, Padding::Pre, Truncating::Pre, 0).unwrap(), none);
        let (x, mask) = pad_sequences_f32::<3>(&[], None, Padding::Pre, Truncating::Pre, 0.0).unwrap();
        assert!(x.is_empty() && mask.is_empty());
    }

    #[test]
    fn a_maxlen_too_large_for_memory_is_an_error() {
        let seqs = vec![vec![1u32, 2], vec![3]];
        let err = pad_sequences(&seqs, Some(usize::MAX / 2), Padding::Pre, Truncating::Pre, 0).unwrap_err();
        assert!(err.to_string().contains("maxlen"), "{err}");
        let err = pad_sequences(&seqs, Some(1 << 60), Padding::Pre, Truncating::Pre, 0).unwrap_err();
        assert!(err.to_string().contains("more memory than can be allocated"), "{err}");
        let err = pad_sequences_f32::<4>(
            &[vec![[0.0; 4]]],
            Some(usize::MAX / 2),
            Padding::Pre,
            Truncating::Pre,
            0.0,
        );
        assert!(err.is_err());
    }
}
