//! One `const fn` per built-in layer's shape rule: the per-sample output dims for per-sample
//! input dims (`None` for a runtime axis), or why the input does not fit.
//!
//! The `model!` macro, the runtime's const checks after a custom layer, and each layer's
//! `output_dims` at run time all call these, so the three cannot disagree.

use crate::dims::{numel, ConstDims};
use crate::fail::Fail;

/// The layout a sequence layer expects.
const SEQUENCE: &str = "[timesteps, features]";

/// `Activation`, `Dropout`: the shape is unchanged.
pub const fn same(input: &[Option<usize>]) -> Result<ConstDims, Fail> {
    Ok(ConstDims::new(input))
}

/// `Dense(units)`: `[.., in]` → `[.., units]`; the last axis must be known (it sizes the kernel).
pub const fn dense(input: &[Option<usize>], units: usize) -> Result<ConstDims, Fail> {
    match input.last() {
        Some(Some(_)) => Ok(ConstDims::new(input).with_last(Some(units))),
        _ => Err(Fail::UnknownLast),
    }
}

/// `Flatten`: every axis into one, `[a, b, c]` → `[a·b·c]`; every axis must be known.
pub const fn flatten(input: &[Option<usize>]) -> Result<ConstDims, Fail> {
    match numel(input) {
        Some(n) => Ok(ConstDims::new(&[Some(n)])),
        None => Err(Fail::NotAllStatic { what: "flatten it" }),
    }
}

/// `Reshape(target)`, `None` in `target` standing for Keras's `-1` (at most one): the input's
/// elements, all known, laid out as `target`.
pub const fn reshape(input: &[Option<usize>], target: &[Option<usize>]) -> Result<ConstDims, Fail> {
    let Some(found) = numel(input) else {
        return Err(Fail::NotAllStatic { what: "reshape it" });
    };
    let target_dims = ConstDims::new(target);
    let mut known = 1usize;
    let mut inferred = false;
    let mut i = 0;
    while i < target.len() {
        match target[i] {
            Some(d) => known = known.saturating_mul(d),
            None => inferred = true,
        }
        i += 1;
    }
    if !inferred {
        return if known == found {
            Ok(target_dims)
        } else {
            Err(Fail::ElementCount { needed: known, found, target: target_dims })
        };
    }
    if known == 0 || found % known != 0 {
        return Err(Fail::NotAMultiple { of: known, found, target: target_dims });
    }
    let mut out = ConstDims::new(&[]);
    let mut i = 0;
    while i < target.len() {
        out = out.push(match target[i] {
            Some(d) => Some(d),
            None => Some(found / known),
        });
        i += 1;
    }
    Ok(out)
}

/// `Embedding(input_dim, output_dim)`: one token id per step, `[T]` → `[T, output_dim]`.
pub const fn embedding(input: &[Option<usize>], output_dim: usize) -> Result<ConstDims, Fail> {
    match input {
        [t] => Ok(ConstDims::new(&[*t, Some(output_dim)])),
        _ => Err(Fail::Rank { wanted: "[length] (one token id per step)" }),
    }
}

/// `CategoryEncoding(num_tokens, output_mode)` on token ids `[n]`: `one_hot` gives one vector
/// per id, `[n, num_tokens]` (`[num_tokens]` for a single id, as Keras squeezes a last axis of
/// 1); `multi_hot` and `count` give one vector per sample, `[num_tokens]`.
pub const fn category_encoding(
    input: &[Option<usize>],
    num_tokens: usize,
    one_hot: bool,
) -> Result<ConstDims, Fail> {
    match input {
        [Some(1)] if one_hot => Ok(ConstDims::new(&[Some(num_tokens)])),
        [n] if one_hot => Ok(ConstDims::new(&[*n, Some(num_tokens)])),
        [_] => Ok(ConstDims::new(&[Some(num_tokens)])),
        _ => Err(Fail::Rank { wanted: "[ids] (token ids per sample)" }),
    }
}

/// `Masking`: a sequence `[T, F]`, unchanged.
pub const fn masking(input: &[Option<usize>]) -> Result<ConstDims, Fail> {
    match input {
        [_, _] => Ok(ConstDims::new(input)),
        _ => Err(Fail::Rank { wanted: SEQUENCE }),
    }
}

/// `SimpleRnn`, `Lstm`, `Gru` (and `Bidirectional` of one, with `width` twice the units when it
/// concatenates): `[T, F]` with `F` known → `[T, width]` with `return_sequences`, else `[width]`.
pub const fn recurrent(
    input: &[Option<usize>],
    width: usize,
    return_sequences: bool,
) -> Result<ConstDims, Fail> {
    match input {
        [t, Some(_)] => Ok(if return_sequences {
            ConstDims::new(&[*t, Some(width)])
        } else {
            ConstDims::new(&[Some(width)])
        }),
        [_, None] => Err(Fail::UnknownFeatures),
        _ => Err(Fail::Rank { wanted: SEQUENCE }),
    }
}

/// `TimeDistributed(Dense(units))`: `[T, .., F]` with `F` known → `[T, .., units]`.
pub const fn time_distributed_dense(input: &[Option<usize>], units: usize) -> Result<ConstDims, Fail> {
    if input.len() < 2 {
        return Err(Fail::Rank { wanted: SEQUENCE });
    }
    dense(input, units)
}

/// `GlobalAvgPool1d`, `GlobalMaxPool1d`: a sequence `[T, F]` → `[F]`.
pub const fn global_pool_1d(input: &[Option<usize>]) -> Result<ConstDims, Fail> {
    match input {
        [_, f] => Ok(ConstDims::new(&[*f])),
        _ => Err(Fail::Rank { wanted: SEQUENCE }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(r: Result<ConstDims, Fail>) -> ConstDims {
        match r {
            Ok(d) => d,
            Err(f) => panic!("{}", f.message(&[])),
        }
    }

    #[test]
    fn rules() {
        assert_eq!(ok(dense(&[None, Some(12)], 4)).as_slice(), &[None, Some(4)]);
        assert_eq!(dense(&[None, None], 4), Err(Fail::UnknownLast));
        assert_eq!(ok(flatten(&[Some(4), Some(8)])).as_slice(), &[Some(32)]);
        assert_eq!(ok(reshape(&[Some(64)], &[None, Some(4)])).as_slice(), &[Some(16), Some(4)]);
        assert!(matches!(
            reshape(&[Some(64)], &[Some(5), Some(5)]),
            Err(Fail::ElementCount { needed: 25, found: 64, .. })
        ));
        assert!(matches!(
            reshape(&[Some(10)], &[None, Some(4)]),
            Err(Fail::NotAMultiple { of: 4, found: 10, .. })
        ));
        assert_eq!(ok(embedding(&[None], 8)).as_slice(), &[None, Some(8)]);
        assert_eq!(ok(recurrent(&[None, Some(3)], 5, false)).as_slice(), &[Some(5)]);
        assert_eq!(recurrent(&[None, None], 5, false), Err(Fail::UnknownFeatures));
        assert_eq!(ok(global_pool_1d(&[None, Some(3)])).as_slice(), &[Some(3)]);
        assert!(time_distributed_dense(&[Some(3)], 2).is_err());
    }

    #[test]
    fn messages() {
        let m = Fail::UnknownLast.message(&[None, None]);
        assert_eq!(m.as_str(), "needs a known last dimension, but its input is [None, None]; give that axis a fixed size (pad or truncate the data to it)");
        let f = reshape(&[Some(64)], &[Some(4), Some(32)]).unwrap_err();
        assert_eq!(
            f.message(&[Some(64)]).as_str(),
            "needs an input with 128 elements to reshape to [4, 32], but its input [64] has 64"
        );
    }
}
