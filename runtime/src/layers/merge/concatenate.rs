//! [`Concatenate`]: Keras's `Concatenate(axis)`, the inputs joined along one axis.
//!
//! Shape contract (`shaped::rules::concatenate`): one or more inputs of one rank, equal on every
//! axis but `axis`, which is summed: `[T, 3]` and `[T, 2]` along `-1` → `[T, 5]`; `[4, 3]` and
//! `[2, 3]` along `1` → `[6, 3]`. `axis` is written as Keras writes it (the batch axis is 0 and
//! is refused, `-1` is the last axis).
//!
//! Forward: with `k` the per-sample axis, every sample is `outer = Π dims[..k]` rows, and row
//! `o` of the output is row `o` of input 0, then of input 1, ...: `y[.., o, :] = x₀[.., o, :] ‖
//! x₁[.., o, :] ‖ …` (each input's row `dims_j[k] · Π dims[k+1..]` values long). Backward: each
//! input's gradient is its slice of `dy`.
//!
//! Mask ([`MaskRule::ProduceIf`] with [`Masked::Any`], Keras's `Concatenate.compute_mask`): no
//! mask when no input has one; otherwise an input without a mask counts as all real, and
//! - along the time axis (per-sample axis 0, `axis = 1`), the output's mask is the inputs' step
//!   masks one after the other (`[m₀ ‖ m₁ ‖ …]` per sample): Keras concatenates the masks,
//!   broadcast to each input's shape, along `axis` and reduces them with `any` over the last
//!   axis;
//! - along any other axis, step `t` is real when it is real in any input (that `any` again), so
//!   one input without a mask makes every step real.
//!
//! Keras computes these masks for sequences `[T, F]`; for higher ranks shaped applies the same
//! per-step rule (Keras's broadcast of a `[B, T]` mask against `[B, T, H, W]` fails there), and for
//! rank-1 inputs `[T]` along the time axis it concatenates the step masks where Keras reduces
//! them to one value per sample.

use crate::error::Result;
use crate::layers::merge::{check_input, resolve_axis, rule_dims, steps};
use crate::layers::stage::check_buffer;
use crate::layers::stage::{Backward, Forward, Input, MaskRule, Masked, Stage};
use crate::shape::Dims;

/// Keras's `Concatenate(axis)` (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Concatenate {
    axis: isize,
}

impl Concatenate {
    /// Keras's `Concatenate(axis)`; Keras's default is `axis = -1`, the features.
    pub fn new(axis: isize) -> Self {
        Concatenate { axis }
    }

    /// The axis as written.
    pub fn axis(&self) -> isize {
        self.axis
    }

    /// The output dims of `inputs` (by the shared rule) and the per-sample concatenation axis.
    fn layout(&self, inputs: &[Input<'_>]) -> Result<(Dims, usize)> {
        let out = rule_dims(
            "Concatenate",
            inputs.len(),
            |j| inputs[j].dims,
            |d| shaped_rules::concatenate(d, self.axis),
        )?;
        Ok((out, resolve_axis(self.axis, inputs[0].dims.rank())))
    }
}

impl Default for Concatenate {
    /// `Concatenate()`: along the last axis.
    fn default() -> Self {
        Concatenate::new(-1)
    }
}

/// Values per row of `dims` along per-sample axis `k`: `dims[k] · Π dims[k+1..]`.
fn row_len(dims: Dims, k: usize) -> usize {
    dims.as_slice()[k..].iter().product()
}

impl Stage for Concatenate {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        rule_dims("Concatenate", inputs.len(), |j| inputs[j], |d| shaped_rules::concatenate(d, self.axis))
    }

    /// `y[b, o, :] = x₀[b, o, :] ‖ x₁[b, o, :] ‖ …`, rows `o` over the axes before `axis`.
    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let (out, k) = self.layout(args.inputs)?;
        for (j, input) in args.inputs.iter().enumerate() {
            check_input("Concatenate", j, input, args.batch)?;
        }
        check_buffer("Concatenate", "output", out.batch_numel(args.batch).unwrap_or(usize::MAX), y.len())?;
        let out_row = row_len(out, k);
        let mut start = 0;
        for input in args.inputs {
            let row = row_len(input.dims, k);
            if row > 0 {
                for (src, dst) in input.data.chunks_exact(row).zip(y.chunks_exact_mut(out_row.max(1))) {
                    dst[start..start + row].copy_from_slice(src);
                }
            }
            start += row;
        }
        Ok(())
    }

    /// `dx_j[b, o, :] = dy[b, o, start_j..start_j + row_j]`.
    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        let (out, k) = self.layout(args.inputs)?;
        check_buffer("Concatenate", "gradient inputs", args.inputs.len(), grad_inputs.len())?;
        let out_len = out.batch_numel(args.batch).unwrap_or(usize::MAX);
        check_buffer("Concatenate", "output gradient", out_len, args.grad_output.len())?;
        let out_row = row_len(out, k);
        let mut start = 0;
        for (j, (input, dx)) in args.inputs.iter().zip(grad_inputs.iter_mut()).enumerate() {
            let row = row_len(input.dims, k);
            if let Some(dx) = dx.as_deref_mut() {
                check_input("Concatenate", j, input, args.batch)?;
                check_buffer("Concatenate", "input gradient", input.data.len(), dx.len())?;
                if row > 0 {
                    for (dst, src) in
                        dx.chunks_exact_mut(row).zip(args.grad_output.chunks_exact(out_row.max(1)))
                    {
                        dst.copy_from_slice(&src[start..start + row]);
                    }
                }
            }
            start += row;
        }
        Ok(())
    }

    fn mask_rule(&self) -> MaskRule {
        MaskRule::ProduceIf(Masked::Any)
    }

    /// Along the time axis, the step masks one after the other; along another axis, the OR of
    /// the step masks; an input without a mask counts as all real.
    fn produce_mask(&self, args: Forward<'_>, out_mask: &mut [f32]) -> Result<()> {
        let (out, k) = self.layout(args.inputs)?;
        for (j, input) in args.inputs.iter().enumerate() {
            check_input("Concatenate", j, input, args.batch)?;
        }
        let out_steps = steps(out);
        check_buffer("Concatenate", "output mask", args.batch * out_steps, out_mask.len())?;
        if k == 0 {
            let mut start = 0;
            for input in args.inputs {
                let t = steps(input.dims);
                for (b, row) in out_mask.chunks_exact_mut(out_steps.max(1)).enumerate() {
                    let dst = &mut row[start..start + t];
                    match input.mask {
                        Some(m) => dst.copy_from_slice(&m[b * t..(b + 1) * t]),
                        None => dst.fill(1.0),
                    }
                }
                start += t;
            }
        } else if args.inputs.iter().any(|input| input.mask.is_none()) {
            out_mask.fill(1.0);
        } else {
            out_mask.fill(0.0);
            for m in args.inputs.iter().filter_map(|input| input.mask) {
                for (o, &v) in out_mask.iter_mut().zip(m) {
                    if v != 0.0 {
                        *o = 1.0;
                    }
                }
            }
        }
        Ok(())
    }

    fn kind(&self) -> String {
        "Concatenate".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Mode;
    use crate::testing::{backward_many, forward_many, produce_mask_many};

    fn dims(d: &[usize]) -> Dims {
        Dims::new(d).unwrap()
    }

    #[test]
    fn joins_features_and_steps() {
        // Two samples of [2, 2] and [2, 1] along the features: rows interleave.
        let (a, b) = ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [10.0, 20.0, 30.0, 40.0]);
        let inputs = [Input::new(&a, dims(&[2, 2])), Input::new(&b, dims(&[2, 1]))];
        let mut y = [0.0; 12];
        forward_many(&mut Concatenate::new(-1), &inputs, 2, &mut y, Mode::Inference).unwrap();
        assert_eq!(y, [1.0, 2.0, 10.0, 3.0, 4.0, 20.0, 5.0, 6.0, 30.0, 7.0, 8.0, 40.0]);
        // Along the steps (axis 1): each sample's steps, then the other input's.
        let inputs = [Input::new(&a, dims(&[2, 2])), Input::new(&b, dims(&[1, 2]))];
        let mut y = [0.0; 12];
        forward_many(&mut Concatenate::new(1), &inputs, 2, &mut y, Mode::Inference).unwrap();
        assert_eq!(y, [1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 5.0, 6.0, 7.0, 8.0, 30.0, 40.0]);
        // Backward hands each input its slice: dx₀ = dy[.., :4], dx₁ = dy[.., 4..].
        let dy: Vec<f32> = (0..12).map(|i| i as f32).collect();
        let (mut da, mut db) = ([0.0; 8], [0.0; 4]);
        let mut grads = [Some(&mut da[..]), Some(&mut db[..])];
        backward_many(&mut Concatenate::new(1), &inputs, 2, &y, &dy, &mut grads).unwrap();
        assert_eq!(da, [0.0, 1.0, 2.0, 3.0, 6.0, 7.0, 8.0, 9.0]);
        assert_eq!(db, [4.0, 5.0, 10.0, 11.0]);
    }

    #[test]
    fn masks_concatenate_along_time_and_or_elsewhere() {
        let (a, b) = ([0.0; 8], [0.0; 12]);
        let (ma, mb) = ([1.0, 0.0, 0.0, 1.0], [1.0, 1.0, 0.0, 0.0, 1.0, 1.0]);
        let inputs = [
            Input::new(&a, dims(&[2, 2])).with_mask(Some(&ma)),
            Input::new(&b, dims(&[3, 2])).with_mask(Some(&mb)),
        ];
        // Along the time axis: [a's 2 steps ‖ b's 3 steps] per sample.
        let mut m = [9.0; 10];
        produce_mask_many(&Concatenate::new(1), &inputs, 2, &mut m).unwrap();
        assert_eq!(m, [1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0]);
        let inputs = [inputs[0], Input::new(&b[..4], dims(&[1, 2]))];
        let mut m = [9.0; 6];
        produce_mask_many(&Concatenate::new(-2), &inputs, 2, &mut m).unwrap();
        assert_eq!(m, [1.0, 0.0, 1.0, 0.0, 1.0, 1.0]);
        let inputs = [
            Input::new(&a, dims(&[2, 2])).with_mask(Some(&ma)),
            Input::new(&a, dims(&[2, 2])).with_mask(Some(&[0.0, 1.0, 0.0, 0.0])),
        ];
        let mut m = [9.0; 4];
        produce_mask_many(&Concatenate::new(-1), &inputs, 2, &mut m).unwrap();
        assert_eq!(m, [1.0, 1.0, 0.0, 1.0]);
        assert_eq!(Concatenate::default().mask_rule(), MaskRule::ProduceIf(Masked::Any));
    }

    #[test]
    fn mismatched_runtime_dims_are_errors_naming_them() {
        let (a, b) = ([0.0; 6], [0.0; 4]);
        let inputs = [Input::new(&a, dims(&[3, 2])), Input::new(&b, dims(&[2, 2]))];
        let mut y = [0.0; 10];
        let err = forward_many(&mut Concatenate::new(-1), &inputs, 1, &mut y, Mode::Inference).unwrap_err();
        assert_eq!(
            err.to_string(),
            "layer `Concatenate` needs equal sizes on every axis but the concatenation axis (-1), but input #1 \
             has 2 on axis 1 where input #0 has 3; concatenate along axis 1, or make the sizes agree"
        );
        let err = Concatenate::new(0).output_dims(&[dims(&[3, 2])]).unwrap_err().to_string();
        assert!(err.contains("uses axis 0, the batch axis"), "{err}");
        let err = Concatenate::new(-1).output_dims(&[]).unwrap_err().to_string();
        assert_eq!(err, "layer `Concatenate` takes at least 1 input, but is given 0");
        // A buffer of the wrong length is an error, not a panic.
        let inputs = [Input::new(&a, dims(&[3, 2])), Input::new(&a, dims(&[3, 2]))];
        let err = forward_many(&mut Concatenate::new(-1), &inputs, 1, &mut y, Mode::Inference).unwrap_err();
        assert!(err.to_string().contains("have 12 and 10"), "{err}");
    }
}
