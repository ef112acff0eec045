//! One `const fn` per merge layer's shape rule: the per-sample output dims for the per-sample
//! dims of several inputs (`None` for a runtime axis), or why they do not fit, exactly as Keras
//! 3.15.1 decides (`keras/src/layers/merging/`).
//!
//! Axes are written as Keras writes them: the batch axis is 0, so per-sample axis `k` is Keras
//! axis `k + 1`, and a negative axis counts from the end (`-1` is the last). A merge along the
//! batch axis is an error ([`Fail::BatchAxis`]): Keras would concatenate batches, which a model's
//! nodes, all of one batch, never do.

use crate::dims::{ConstDims, MAX_RANK};
use crate::fail::Fail;

/// The per-sample index of `axis`, written as Keras writes it, for input `input` of per-sample
/// dims `dims`: `1..=r` → `0..r`, `-r..=-1` → `0..r`; `0` and `-(r + 1)` are the batch axis.
pub const fn per_sample_axis(axis: isize, input: usize, dims: &[Option<usize>]) -> Result<usize, Fail> {
    let rank = dims.len();
    if rank > MAX_RANK {
        return Err(Fail::RankTooHigh { rank });
    }
    let r = rank as isize;
    if axis == 0 || axis == -(r + 1) {
        Err(Fail::BatchAxis { input, axis, rank })
    } else if axis > 0 && axis <= r {
        Ok((axis - 1) as usize)
    } else if axis < 0 && axis >= -r {
        Ok((r + axis) as usize)
    } else {
        Err(Fail::AxisOutOfRange { input, axis, rank })
    }
}

/// The check every merge makes first: `found` inputs, for a layer that takes `min..=max`
/// (`max = usize::MAX`: no limit).
pub const fn input_count(found: usize, min: usize, max: usize) -> Result<(), Fail> {
    if found < min || found > max {
        Err(Fail::InputCount { found, min, max })
    } else {
        Ok(())
    }
}

/// `Concatenate(axis)`: inputs of one rank, joined along `axis`; at least one input.
///
/// Every other axis must agree where sizes are known: a `None` is compatible with any size, as
/// in Keras's `Concatenate.build`, which compares only the known sizes. The output is input 0's
/// dims with the concatenation axis summed, `None` if any input's is `None` (a sum past
/// `usize::MAX` saturates; no such sample fits in memory, and the runtime rejects it); the other
/// axes are input 0's, `None` included, as Keras's `compute_output_shape` takes them.
///
/// `[T, 3]` and `[T, 2]` along `-1` → `[T, 5]`; `[4, 3]` and `[None, 3]` along `1` → `[None, 3]`.
pub const fn concatenate(inputs: &[&[Option<usize>]], axis: isize) -> Result<ConstDims, Fail> {
    if let Err(fail) = input_count(inputs.len(), 1, usize::MAX) {
        return Err(fail);
    }
    let first = inputs[0];
    let k = match per_sample_axis(axis, 0, first) {
        Ok(k) => k,
        Err(fail) => return Err(fail),
    };
    let mut i = 1;
    while i < inputs.len() {
        if inputs[i].len() != first.len() {
            return Err(Fail::RankMismatch { input: i, rank: inputs[i].len(), first: first.len() });
        }
        i += 1;
    }
    let mut a = 0;
    while a < first.len() {
        if a != k {
            if let Err(fail) = same_known_size(inputs, a, axis) {
                return Err(fail);
            }
        }
        a += 1;
    }
    let mut out = ConstDims::new(&[]);
    let mut a = 0;
    while a < first.len() {
        out = out.push(if a == k { concatenated_size(inputs, k) } else { first[a] });
        a += 1;
    }
    Ok(out)
}

/// The known sizes of every input on per-sample axis `a` are one size.
const fn same_known_size(inputs: &[&[Option<usize>]], a: usize, concat_axis: isize) -> Result<(), Fail> {
    let mut known: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < inputs.len() {
        if let Some(found) = inputs[i][a] {
            match known {
                None => known = Some((i, found)),
                Some((other, expected)) => {
                    if found != expected {
                        return Err(Fail::ConcatSize {
                            concat_axis,
                            axis: a + 1,
                            input: i,
                            found,
                            other,
                            expected,
                        });
                    }
                }
            }
        }
        i += 1;
    }
    Ok(())
}

/// The sum of the inputs' sizes on per-sample axis `k`, `None` if any is `None`.
const fn concatenated_size(inputs: &[&[Option<usize>]], k: usize) -> Option<usize> {
    let mut sum = 0usize;
    let mut i = 0;
    while i < inputs.len() {
        match inputs[i][k] {
            Some(d) => sum = sum.saturating_add(d),
            None => return None,
        }
        i += 1;
    }
    Some(sum)
}

/// `Add`, `Subtract`, `Multiply`, `Average`, `Maximum`, `Minimum`: `min_inputs..=max_inputs`
/// inputs (`ElementwiseOp::min_inputs` / `max_inputs`: 1 or more, `Subtract` exactly 2)
/// broadcast to one shape, Keras's `Merge._compute_elemwise_op_output_shape` folded over the
/// inputs in order.
///
/// Axes are aligned from the last; an input of lower rank counts as having leading axes of size
/// 1 (Keras expands it at axis 1 before merging). On each aligned axis: `None` on either side →
/// `None` (also against 1, as Keras has it); 1 → the other size; otherwise both must be equal.
///
/// `[T, 3]` and `[1, 3]` → `[T, 3]`; `[4, 3]` and `[3]` → `[4, 3]`; `[None, 3]` and `[5, 3]` →
/// `[None, 3]`; `[4, 3]` and `[5, 3]` → [`Fail::Broadcast`].
pub const fn elementwise(
    inputs: &[&[Option<usize>]],
    min_inputs: usize,
    max_inputs: usize,
) -> Result<ConstDims, Fail> {
    if let Err(fail) = input_count(inputs.len(), min_inputs, max_inputs) {
        return Err(fail);
    }
    let mut i = 0;
    while i < inputs.len() {
        if inputs[i].len() > MAX_RANK {
            return Err(Fail::RankTooHigh { rank: inputs[i].len() });
        }
        i += 1;
    }
    let mut merged = ConstDims::new(inputs[0]);
    let mut i = 1;
    while i < inputs.len() {
        merged = match broadcast(merged, i, inputs[i]) {
            Ok(d) => d,
            Err(fail) => return Err(fail),
        };
        i += 1;
    }
    Ok(merged)
}

/// The broadcast of the dims `merged` of the inputs before input `input` with its dims `dims`.
const fn broadcast(merged: ConstDims, input: usize, dims: &[Option<usize>]) -> Result<ConstDims, Fail> {
    let before = merged.as_slice();
    let rank = if before.len() > dims.len() { before.len() } else { dims.len() };
    let mut out = ConstDims::new(&[]);
    let mut a = 0;
    while a < rank {
        // Aligned from the last axis: a lower-rank side has no size (an implicit 1) here.
        let x = aligned(before, a, rank);
        let y = aligned(dims, a, rank);
        let d = match (x, y) {
            (None, None) => None,
            (None, Some(y)) => y,
            (Some(x), None) => x,
            (Some(None), Some(_)) | (Some(_), Some(None)) => None,
            (Some(Some(1)), Some(y)) => y,
            (Some(x), Some(Some(1))) => x,
            (Some(Some(expected)), Some(Some(found))) => {
                if expected != found {
                    return Err(Fail::Broadcast { input, axis: a + 1, found, expected });
                }
                Some(found)
            }
        };
        out = out.push(d);
        a += 1;
    }
    Ok(out)
}

/// The size of `dims` on output axis `a` of an output of `rank` axes aligned from the last:
/// `None` when `dims` has no such axis, else `Some(size)`.
const fn aligned(dims: &[Option<usize>], a: usize, rank: usize) -> Option<Option<usize>> {
    let lead = rank - dims.len();
    if a < lead {
        None
    } else {
        Some(dims[a - lead])
    }
}

/// `Dot(axes, normalize)`: two inputs, summed over one axis each; `axes = [a0, a1]` as written
/// (Keras's `Dot(axes=k)` is `[k, k]`, each resolved against its own input's rank).
///
/// The sizes at the two axes must be equal, where a `None` matches only a `None` (Keras's
/// `Dot.build` compares them with `!=`). The output is input 0's dims without its dot axis
/// followed by input 1's without its dot axis, or `[1]` when both are left empty (two vectors):
/// `[T, F]·[S, F]` on `(2, 2)` → `[T, S]`; `[F]·[F]` on `(1, 1)` → `[1]`; `[T, F]·[F]` on
/// `(2, 1)` → `[T]`. A negative axis is taken from the end of its input; Keras wraps an integer
/// `axes` outside the rank around modulo the rank, which shaped rejects
/// ([`Fail::AxisOutOfRange`]).
pub const fn dot(a: &[Option<usize>], b: &[Option<usize>], axes: [isize; 2]) -> Result<ConstDims, Fail> {
    let ka = match per_sample_axis(axes[0], 0, a) {
        Ok(k) => k,
        Err(fail) => return Err(fail),
    };
    let kb = match per_sample_axis(axes[1], 1, b) {
        Ok(k) => k,
        Err(fail) => return Err(fail),
    };
    let same = match (a[ka], b[kb]) {
        (Some(x), Some(y)) => x == y,
        (None, None) => true,
        _ => false,
    };
    if !same {
        return Err(Fail::DotSize { axes, sizes: [a[ka], b[kb]] });
    }
    let rank = a.len() + b.len() - 2;
    if rank > MAX_RANK {
        return Err(Fail::RankTooHigh { rank });
    }
    if rank == 0 {
        return Ok(ConstDims::new(&[Some(1)]));
    }
    let mut out = ConstDims::new(&[]);
    let mut i = 0;
    while i < a.len() {
        if i != ka {
            out = out.push(a[i]);
        }
        i += 1;
    }
    let mut i = 0;
    while i < b.len() {
        if i != kb {
            out = out.push(b[i]);
        }
        i += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elementwise_op::ElementwiseOp;
    use crate::message::Message;

    const T: Option<usize> = None;

    fn ok(r: Result<ConstDims, Fail>) -> ConstDims {
        match r {
            Ok(d) => d,
            Err(f) => panic!("{}", f.message(&[])),
        }
    }

    fn text(r: Result<ConstDims, Fail>) -> Message {
        match r {
            Ok(d) => panic!("expected a failure, got {:?}", d.as_slice()),
            Err(f) => f.message(&[]),
        }
    }

    fn s(d: &[usize]) -> [Option<usize>; 3] {
        let mut out = [None; 3];
        for (o, &v) in out.iter_mut().zip(d) {
            *o = Some(v);
        }
        out
    }

    #[test]
    fn axes_as_keras_counts_them() {
        let d = &[Some(4), Some(3)][..];
        assert_eq!(per_sample_axis(1, 0, d), Ok(0));
        assert_eq!(per_sample_axis(2, 0, d), Ok(1));
        assert_eq!(per_sample_axis(-1, 0, d), Ok(1));
        assert_eq!(per_sample_axis(-2, 0, d), Ok(0));
        assert!(matches!(per_sample_axis(0, 0, d), Err(Fail::BatchAxis { axis: 0, .. })));
        assert!(matches!(per_sample_axis(-3, 0, d), Err(Fail::BatchAxis { axis: -3, .. })));
        assert!(matches!(per_sample_axis(3, 1, d), Err(Fail::AxisOutOfRange { input: 1, axis: 3, .. })));
        assert!(matches!(per_sample_axis(-4, 0, d), Err(Fail::AxisOutOfRange { axis: -4, .. })));
        assert!(matches!(per_sample_axis(-1, 0, &[]), Err(Fail::BatchAxis { axis: -1, .. })));
    }

    #[test]
    fn concatenate_sums_the_axis_and_checks_the_others() {
        // Keras: (None, T, 3) + (None, T, 2) on -1 → (None, T, 5).
        assert_eq!(ok(concatenate(&[&[T, Some(3)], &[T, Some(2)]], -1)).as_slice(), &[T, Some(5)]);
        // On the time axis, three inputs: 4 + 2 + 1.
        let c = concatenate(&[&[Some(4), Some(3)], &[Some(2), Some(3)], &[Some(1), Some(3)]], 1);
        assert_eq!(ok(c).as_slice(), &[Some(7), Some(3)]);
        // A runtime size on the concatenation axis makes the sum a runtime size.
        assert_eq!(ok(concatenate(&[&[Some(4), Some(3)], &[T, Some(3)]], -2)).as_slice(), &[T, Some(3)]);
        // A None is compatible with a size on another axis; the output takes input 0's
        // (Keras: (None, None, 3) + (None, 5, 2) → (None, None, 5); the reverse → (None, 5, 5)).
        assert_eq!(ok(concatenate(&[&[T, Some(3)], &[Some(5), Some(2)]], -1)).as_slice(), &[T, Some(5)]);
        assert_eq!(
            ok(concatenate(&[&[Some(5), Some(3)], &[T, Some(2)]], -1)).as_slice(),
            &[Some(5), Some(5)]
        );
        // One input is accepted, as in Keras 3.
        assert_eq!(ok(concatenate(&[&[Some(3)]], -1)).as_slice(), &[Some(3)]);
        assert_eq!(concatenate(&[], -1), Err(Fail::InputCount { found: 0, min: 1, max: usize::MAX }));
    }

    #[test]
    fn concatenate_failures() {
        let f = concatenate(&[&s(&[4, 3])[..2], &s(&[5, 2])[..2]], -1);
        assert!(matches!(
            f,
            Err(Fail::ConcatSize { axis: 1, input: 1, found: 5, other: 0, expected: 4, .. })
        ));
        // The size that differs is compared with the first known one, past a None.
        let f = concatenate(&[&[T, Some(1)], &[Some(4), Some(1)], &[Some(5), Some(1)]], -1);
        assert!(matches!(f, Err(Fail::ConcatSize { input: 2, other: 1, expected: 4, found: 5, .. })));
        assert!(matches!(
            concatenate(&[&[Some(4), Some(3)], &[Some(3)]], -1),
            Err(Fail::RankMismatch { input: 1, .. })
        ));
        // No broadcasting: (1, 3) and (4, 3) on -1 fail in Keras too.
        assert!(concatenate(&[&[Some(1), Some(3)], &[Some(4), Some(3)]], -1).is_err());
        assert!(matches!(concatenate(&[&[Some(3)], &[Some(3)]], 0), Err(Fail::BatchAxis { .. })));
        assert!(matches!(concatenate(&[&[Some(3)], &[Some(3)]], 2), Err(Fail::AxisOutOfRange { .. })));
    }

    #[test]
    fn elementwise_broadcasts_as_keras() {
        let (min, max) = (ElementwiseOp::Add.min_inputs(), ElementwiseOp::Add.max_inputs());
        let same = elementwise(&[&[T, Some(3)], &[T, Some(3)], &[T, Some(3)]], min, max);
        assert_eq!(ok(same).as_slice(), &[T, Some(3)]);
        // Size 1 against a size: the size (Keras: (1, 3) and (5, 3) → (5, 3)).
        assert_eq!(
            ok(elementwise(&[&[Some(1), Some(3)], &[Some(5), Some(3)]], min, max)).as_slice(),
            &s(&[5, 3])[..2]
        );
        // None against anything, even 5 or 1: None (Keras: (None, 3) and (5, 3) → (None, 3)).
        assert_eq!(
            ok(elementwise(&[&[T, Some(3)], &[Some(5), Some(3)]], min, max)).as_slice(),
            &[T, Some(3)]
        );
        assert_eq!(
            ok(elementwise(&[&[Some(1), Some(3)], &[T, Some(3)]], min, max)).as_slice(),
            &[T, Some(3)]
        );
        // Lower ranks get leading axes of size 1 (Keras: (5, 3) and (3,) → (5, 3); (5, 1) and
        // (3,) → (5, 3)).
        assert_eq!(
            ok(elementwise(&[&[Some(3)], &[Some(5), Some(3)]], min, max)).as_slice(),
            &s(&[5, 3])[..2]
        );
        assert_eq!(
            ok(elementwise(&[&[Some(5), Some(1)], &[Some(3)]], min, max)).as_slice(),
            &s(&[5, 3])[..2]
        );
        // Scalars per sample broadcast to anything.
        assert_eq!(ok(elementwise(&[&[], &[Some(2), Some(3)]], min, max)).as_slice(), &s(&[2, 3])[..2]);
        assert_eq!(ok(elementwise(&[&[Some(7)]], min, max)).as_slice(), &[Some(7)]);
    }

    #[test]
    fn elementwise_failures() {
        let (min, max) = (ElementwiseOp::Add.min_inputs(), ElementwiseOp::Add.max_inputs());
        let f = elementwise(&[&[Some(4), Some(3)], &[Some(5), Some(3)]], min, max);
        assert!(matches!(f, Err(Fail::Broadcast { input: 1, axis: 1, found: 5, expected: 4, .. })));
        // The third input against the broadcast of the first two, on the last axis.
        let f = elementwise(&[&[Some(1), Some(3)], &[Some(4), Some(1)], &[Some(2)]], min, max);
        assert!(matches!(f, Err(Fail::Broadcast { input: 2, axis: 2, found: 2, expected: 3, .. })));
        let (min, max) = (ElementwiseOp::Subtract.min_inputs(), ElementwiseOp::Subtract.max_inputs());
        let three: [&[Option<usize>]; 3] = [&[Some(3)], &[Some(3)], &[Some(3)]];
        assert_eq!(elementwise(&three, min, max), Err(Fail::InputCount { found: 3, min: 2, max: 2 }));
        assert_eq!(elementwise(&three[..1], min, max), Err(Fail::InputCount { found: 1, min: 2, max: 2 }));
        assert_eq!(
            elementwise(&[], 1, usize::MAX),
            Err(Fail::InputCount { found: 0, min: 1, max: usize::MAX })
        );
        let deep = [Some(1); 6];
        assert_eq!(elementwise(&[&deep, &[Some(1)]], 1, usize::MAX), Err(Fail::RankTooHigh { rank: 6 }));
    }

    #[test]
    fn dot_contracts_one_axis_each() {
        // Keras: (None, 4, 3)·(None, 5, 3) on 2 → (None, 4, 5).
        assert_eq!(ok(dot(&s(&[4, 3])[..2], &s(&[5, 3])[..2], [2, 2])).as_slice(), &s(&[4, 5])[..2]);
        assert_eq!(ok(dot(&[T, Some(3)], &[T, Some(3)], [-1, -1])).as_slice(), &[T, T]);
        // Vectors: (None, 3)·(None, 3) → (None, 1).
        assert_eq!(ok(dot(&[Some(3)], &[Some(3)], [1, 1])).as_slice(), &[Some(1)]);
        // Different ranks: (None, 4, 3)·(None, 3) on -1 → (None, 4).
        assert_eq!(ok(dot(&s(&[4, 3])[..2], &[Some(3)], [-1, -1])).as_slice(), &[Some(4)]);
        // (None, 3, 4, 5)·(None, 6, 3) on (1, 2) → (None, 4, 5, 6).
        assert_eq!(ok(dot(&s(&[3, 4, 5]), &s(&[6, 3])[..2], [1, 2])).as_slice(), &s(&[4, 5, 6]));
        // None on both dot axes is accepted.
        assert_eq!(ok(dot(&[T, Some(3)], &[T, Some(2)], [1, 1])).as_slice(), &s(&[3, 2])[..2]);
    }

    #[test]
    fn dot_failures() {
        assert!(matches!(
            dot(&[Some(3)], &[Some(4)], [1, 1]),
            Err(Fail::DotSize { sizes: [Some(3), Some(4)], .. })
        ));
        // A None matches only a None (Keras: "axis values None (at axis 1) != 5").
        assert!(matches!(dot(&[T, Some(3)], &[Some(5), Some(3)], [1, 1]), Err(Fail::DotSize { .. })));
        assert!(matches!(dot(&[Some(3)], &[Some(3)], [0, 0]), Err(Fail::BatchAxis { input: 0, .. })));
        assert!(matches!(dot(&[Some(3)], &[Some(3)], [1, 2]), Err(Fail::AxisOutOfRange { input: 1, .. })));
        let big = [Some(2); 4];
        assert_eq!(dot(&big, &big, [1, 1]), Err(Fail::RankTooHigh { rank: 6 }));
    }

    #[test]
    fn messages_name_the_inputs_the_axes_and_both_sizes() {
        assert_eq!(
            text(concatenate(&[&s(&[4, 3])[..2], &s(&[5, 2])[..2]], -1)).as_str(),
            "needs equal sizes on every axis but the concatenation axis (-1), but input #1 has 5 on axis 1 \
             where input #0 has 4; concatenate along axis 1, or make the sizes agree"
        );
        assert_eq!(
            text(concatenate(&[&s(&[4, 3])[..2], &[Some(3)]], -1)).as_str(),
            "needs inputs of one rank, but input #1 has rank 1 and input #0 has rank 2; add or remove axes with `Reshape`"
        );
        assert_eq!(
            text(concatenate(&[&s(&[4, 3])[..2]], -3)).as_str(),
            "uses axis -3, the batch axis; use an axis of the samples instead: 1 to 2 (or -2 to -1) for input #0 of rank 2"
        );
        assert_eq!(
            text(concatenate(&[&s(&[4, 3])[..2]], 3)).as_str(),
            "uses axis 3, but input #0 of rank 2 has axes 1 to 2 (or -2 to -1)"
        );
        assert_eq!(
            text(elementwise(&[&s(&[4, 3])[..2], &s(&[5, 3])[..2]], 1, usize::MAX)).as_str(),
            "needs sizes that are equal or 1 on each axis, but input #1 has 5 on axis 1 where the inputs before it have 4"
        );
        assert_eq!(
            text(elementwise(&[&[Some(3)][..]; 3], 2, 2)).as_str(),
            "takes exactly 2 inputs, but is given 3"
        );
        assert_eq!(text(elementwise(&[], 1, usize::MAX)).as_str(), "takes at least 1 input, but is given 0");
        assert_eq!(
            text(dot(&[Some(3)], &[Some(4)], [1, 1])).as_str(),
            "needs equal sizes on its dot axes (1, 1), but input #0 has 3 on axis 1 and input #1 has 4 on axis 1"
        );
        assert_eq!(
            text(dot(&[T, Some(3)], &[Some(5), Some(3)], [1, 1])).as_str(),
            "needs equal sizes on its dot axes (1, 1), but input #0 has None on axis 1 and input #1 has 5 on axis 1; \
             as in Keras, a size known only at run time matches only another such size: give both \
             axes the same fixed size"
        );
        let big = [Some(2); 4];
        assert_eq!(
            text(dot(&big, &big, [1, 1])).as_str(),
            "would work on 6 axes per sample, more than the 5 shaped supports"
        );
    }

    #[test]
    fn rules_run_in_const_contexts() {
        const OUT: ConstDims = match concatenate(&[&[None, Some(3)], &[None, Some(2)]], -1) {
            Ok(d) => d,
            Err(_) => ConstDims::new(&[]),
        };
        const DOT: Result<ConstDims, Fail> = dot(&[Some(4), Some(3)], &[Some(5), Some(3)], [2, 2]);
        const SUM: Result<ConstDims, Fail> = elementwise(&[&[Some(2)], &[Some(1)]], 1, usize::MAX);
        assert_eq!(OUT.as_slice(), &[None, Some(5)]);
        assert!(DOT.is_ok() && SUM.is_ok());
    }
}
