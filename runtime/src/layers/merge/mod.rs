//! Keras's merge layers: stages that read two or more nodes and combine them into one output,
//! computed as Keras 3.15.1 computes them (`keras/src/layers/merging/`), masks included.
//!
//! - [`Concatenate`]: the inputs joined along one axis.
//! - [`Elementwise`]: `Add`, `Subtract`, `Multiply`, `Average`, `Maximum`, `Minimum`
//!   ([`ElementwiseOp`]), with size-1 broadcasting.
//! - [`Dot`]: a batched dot product over one axis of each input, optionally of L2-normalised
//!   inputs.
//!
//! Every shape is decided by the shared rules (`shaped::rules::concatenate`, `elementwise`,
//! `dot`), the same `const fn`s the `model!` macro runs, so a merge that compiles never fails
//! at run time for its static axes; a runtime axis (a ragged time axis) that does not fit gives
//! [`crate::Error::Inputs`] with the rule's message.
//!
//! Masks: the mask of input `j` is per step, `mask[b · T_j + t]` with `T_j` its first axis;
//! a merge reads it at every element of that step. What each merge does with masks is in its
//! own docs; which output gets a mask is [`crate::layers::MaskRule::ProduceIf`].

mod broadcast;
mod concatenate;
mod dot;
mod elementwise;

pub use concatenate::Concatenate;
pub use dot::Dot;
pub use elementwise::Elementwise;
pub use shaped_rules::ElementwiseOp;

use crate::error::{Error, Result};
pub(crate) use crate::layers::shape_rule::rule_dims;
use crate::layers::stage::Input;
use crate::shape::Dims;

/// The per-sample index of `axis`, written as Keras writes it (`1..=rank` or `-rank..=-1`), for
/// a per-sample rank `rank`; only for an axis the shared rule has accepted.
fn resolve_axis(axis: isize, rank: usize) -> usize {
    if axis < 0 {
        (rank as isize + axis) as usize
    } else {
        (axis - 1) as usize
    }
}

/// The positions a mask of a per-sample shape covers ([`Dims::mask_positions`]).
fn steps(dims: Dims) -> usize {
    dims.mask_positions()
}

/// Checks that input `j` holds `batch` samples of its dims and, when it has a mask, one value
/// per step of each; `Err` naming `layer`, the input and both lengths.
fn check_input(layer: &str, j: usize, input: &Input<'_>, batch: usize) -> Result<()> {
    let needed = input.dims.batch_numel(batch).unwrap_or(usize::MAX);
    if input.data.len() != needed {
        return Err(Error::LengthMismatch {
            context: format!("`{layer}` input #{j} ({batch} samples of {}) and its values", input.dims),
            left: needed,
            right: input.data.len(),
        });
    }
    if let Some(mask) = input.mask {
        let needed = batch * steps(input.dims);
        if mask.len() != needed {
            return Err(Error::LengthMismatch {
                context: format!(
                    "`{layer}` input #{j} ({batch} samples of {} steps) and its mask",
                    steps(input.dims)
                ),
                left: needed,
                right: mask.len(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dims(d: &[usize]) -> Dims {
        Dims::new(d).unwrap()
    }

    #[test]
    fn rule_dims_converts_both_ways_and_words_failures() {
        let inputs = [dims(&[4, 3]), dims(&[4, 2])];
        let out = rule_dims("Concatenate", 2, |j| inputs[j], |d| shaped_rules::concatenate(d, -1)).unwrap();
        assert_eq!(out.as_slice(), &[4, 5]);
        let inputs = [dims(&[4, 3]), dims(&[5, 2])];
        let err =
            rule_dims("Concatenate", 2, |j| inputs[j], |d| shaped_rules::concatenate(d, -1)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "layer `Concatenate` needs equal sizes on every axis but the concatenation axis (-1), but input #1 \
             has 5 on axis 1 where input #0 has 4; concatenate along axis 1, or make the sizes agree"
        );
        // More inputs than the stack holds take the allocating path, with the same answer.
        let many = rule_dims("Add", 40, |_| dims(&[2, 3]), |d| shaped_rules::elementwise(d, 1, usize::MAX));
        assert_eq!(many.unwrap().as_slice(), &[2, 3]);
    }

    #[test]
    fn input_checks_name_the_input_and_both_lengths() {
        let x = [0.0; 5];
        let input = Input::new(&x, dims(&[3]));
        let err = check_input("Add", 1, &input, 2).unwrap_err().to_string();
        assert_eq!(
            err,
            "`Add` input #1 (2 samples of [3]) and its values must have the same length, but have 6 and 5"
        );
        let x = [0.0; 6];
        let mask = [1.0; 3];
        let input = Input::new(&x, dims(&[3])).with_mask(Some(&mask));
        let err = check_input("Add", 0, &input, 2).unwrap_err().to_string();
        assert!(err.contains("have 6 and 3"), "{err}");
    }
}
