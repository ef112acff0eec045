//! [`Timeline`]: how a recurrent layer lays out one batch (time-major, in processing order,
//! rows sorted by length and packed), and the checks of its input against the layer.
//!
//! Masks are `mask[b · T + t]`, 0.0 for padding. Packing is PyTorch's `PackedSequence`: step
//! `s` keeps only the rows up to its last real one, so for post- or pre-padded batches no work
//! is done for padding at all; rows inside that range whose step is masked stay in, flagged by
//! [`Timeline::is_real`].

use crate::buffer::grow;
use crate::error::{Error, Result};
use crate::shape::Dims;

/// The steps `T` of an input `[T, in_features]`; `Err` naming both shapes otherwise.
pub(crate) fn check_input(kind: &str, in_features: usize, input: Dims) -> Result<usize> {
    match input.as_slice() {
        &[steps, features] if features == in_features => Ok(steps),
        _ => Err(Error::shape(
            format!("input of `{kind}`"),
            format!("(None, None, {in_features})"),
            input.with_batch_none(),
        )),
    }
}

/// `Err` unless the `what` buffer (`"input"`, `"mask"`, …) of layer `kind` has the length the
/// shapes call for; the message is only built on error.
pub(crate) fn check_len(kind: &str, what: &str, needed: usize, found: usize) -> Result<()> {
    if needed == found {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            context: format!("{what} of `{kind}` and its buffer (needed, given)"),
            left: needed,
            right: found,
        })
    }
}

/// One batch laid out for a recurrent layer: time-major, in processing order, rows sorted by
/// their number of real steps (most first), and packed: step `s` keeps only its rows
/// `0..active[s]`, the ones up to its last real row.
///
/// Row `r` of every step is sample `order[r]`; processing step `s` reads input step
/// [`Timeline::input_step`]`(s)`. Per-step data of a layer (gates, previous states) lives in
/// packed rows: row `r < active[s]` of step `s` is packed row `offset[s] + r`. Rows at or past
/// `active[s]` are padding at step `s`: they keep their state, and the layer does no work for
/// them. For post- or pre-padded batches the packed rows are exactly the real steps.
#[derive(Clone, Debug, Default)]
pub(crate) struct Timeline {
    /// Samples in the batch.
    pub batch: usize,
    /// Time steps `T` of every sample.
    pub steps: usize,
    /// Features per step.
    pub features: usize,
    /// Whether processing runs `T−1 … 0`.
    pub go_backwards: bool,
    /// `order[r]`: the sample at row `r`.
    pub order: Vec<usize>,
    /// `real[s · batch + r]`: whether row `r` is a real (unmasked) step at processing step `s`.
    pub real: Vec<bool>,
    /// `active[s]`: one past the last real row of processing step `s`.
    pub active: Vec<usize>,
    /// `offset[s]`: the first packed row of step `s`; `offset[T]` is the number of packed rows.
    pub offset: Vec<usize>,
    /// The input of the packed rows, `packed × features`.
    pub xt: Vec<f32>,
    /// Real steps per sample (scratch for the sort).
    counts: Vec<usize>,
    /// Whether `forward` has run since the layer was built (backward needs its buffers).
    pub ready: bool,
}

impl Timeline {
    /// Checks the input and mask against the layer and lays the batch out.
    #[allow(clippy::too_many_arguments)]
    pub fn prepare(
        &mut self,
        kind: &str,
        x: &[f32],
        in_dims: Dims,
        batch: usize,
        mask: Option<&[f32]>,
        features: usize,
        go_backwards: bool,
    ) -> Result<()> {
        let steps = check_input(kind, features, in_dims)?;
        check_len(kind, "input", batch * steps * features, x.len())?;
        if let Some(mask) = mask {
            check_len(kind, "mask (batch · steps)", batch * steps, mask.len())?;
        }
        self.batch = batch;
        self.steps = steps;
        self.features = features;
        self.go_backwards = go_backwards;
        grow(&mut self.order, batch);
        grow(&mut self.counts, batch);
        grow(&mut self.real, steps * batch);
        grow(&mut self.active, steps);
        grow(&mut self.offset, steps + 1);
        for (b, slot) in self.order[..batch].iter_mut().enumerate() {
            *slot = b;
        }
        match mask {
            None => {
                self.real[..steps * batch].fill(true);
                self.active[..steps].fill(batch);
            }
            Some(mask) => {
                for (b, count) in self.counts[..batch].iter_mut().enumerate() {
                    *count = mask[b * steps..(b + 1) * steps].iter().filter(|&&m| m != 0.0).count();
                }
                let counts = &self.counts;
                self.order[..batch].sort_unstable_by_key(|&b| (std::cmp::Reverse(counts[b]), b));
                for s in 0..steps {
                    let t = if go_backwards { steps - 1 - s } else { s };
                    let mut active = 0;
                    for r in 0..batch {
                        let real = mask[self.order[r] * steps + t] != 0.0;
                        self.real[s * batch + r] = real;
                        if real {
                            active = r + 1;
                        }
                    }
                    self.active[s] = active;
                }
            }
        }
        self.offset[0] = 0;
        for s in 0..steps {
            self.offset[s + 1] = self.offset[s] + self.active[s];
        }
        let packed = self.packed();
        grow(&mut self.xt, packed * features);
        for s in 0..steps {
            let t = self.input_step(s);
            for r in 0..self.active[s] {
                let src = (self.order[r] * steps + t) * features;
                let dst = (self.offset[s] + r) * features;
                self.xt[dst..dst + features].copy_from_slice(&x[src..src + features]);
            }
        }
        self.ready = true;
        Ok(())
    }

    /// The number of packed rows (`T · batch` without a mask).
    pub fn packed(&self) -> usize {
        self.offset[self.steps]
    }

    /// The input step processed at processing step `s`.
    pub fn input_step(&self, s: usize) -> usize {
        if self.go_backwards {
            self.steps - 1 - s
        } else {
            s
        }
    }

    /// Whether row `r` is a real step at processing step `s`.
    pub fn is_real(&self, s: usize, r: usize) -> bool {
        self.real[s * self.batch + r]
    }

    /// Whether each of the rows `0..active[s]` of processing step `s` is a real step.
    pub fn real_rows(&self, s: usize) -> &[bool] {
        let start = s * self.batch;
        &self.real[start..start + self.active[s]]
    }

    /// `Err` unless the last forward ran on this batch (backward reads its buffers).
    pub fn check_backward(
        &self,
        kind: &str,
        features: usize,
        x: &[f32],
        in_dims: Dims,
        batch: usize,
    ) -> Result<()> {
        let steps = check_input(kind, features, in_dims)?;
        if !self.ready || steps != self.steps || batch != self.batch {
            return Err(Error::InvalidArgument {
                name: "backward",
                detail: format!(
                    "`{kind}` backward needs the forward pass of the same batch first: called on \
                     {batch} × {in_dims}, last forward was {} × [{}, {}]",
                    self.batch, self.steps, self.features
                ),
            });
        }
        check_len(kind, "input", batch * steps * self.features, x.len())
    }

    /// Writes the output of step `s` (`return_sequences`) from the state after it, `h`
    /// (`batch × units`, by row): zeros at masked steps when `zero_output`.
    pub fn write_step(&self, s: usize, h: &[f32], units: usize, zero_output: bool, y: &mut [f32]) {
        for r in 0..self.batch {
            let dst = (self.order[r] * self.steps + s) * units;
            if zero_output && !self.is_real(s, r) {
                y[dst..dst + units].fill(0.0);
            } else {
                y[dst..dst + units].copy_from_slice(&h[r * units..(r + 1) * units]);
            }
        }
    }

    /// Writes the last output (no `return_sequences`) from the final state `h`: zeros when
    /// the last step is masked and `zero_output`, or when there are no steps.
    pub fn write_last(&self, h: &[f32], units: usize, zero_output: bool, y: &mut [f32]) {
        for r in 0..self.batch {
            let dst = self.order[r] * units;
            if self.steps == 0 || (zero_output && !self.is_real(self.steps - 1, r)) {
                y[dst..dst + units].fill(0.0);
            } else {
                y[dst..dst + units].copy_from_slice(&h[r * units..(r + 1) * units]);
            }
        }
    }

    /// `dh += ∂L/∂output_s` for every row (the output of step `s` is the state after it,
    /// except a zeroed masked output, which gets no gradient).
    pub fn add_output_grad(
        &self,
        s: usize,
        dy: &[f32],
        units: usize,
        sequences: bool,
        zero_output: bool,
        dh: &mut [f32],
    ) {
        let (batch, steps) = (self.batch, self.steps);
        if !sequences && s + 1 != steps {
            return;
        }
        for r in 0..batch {
            if zero_output && !self.is_real(s, r) {
                continue;
            }
            let b = self.order[r];
            let src = if sequences { (b * steps + s) * units } else { b * units };
            for (d, g) in dh[r * units..(r + 1) * units].iter_mut().zip(&dy[src..src + units]) {
                *d += g;
            }
        }
    }

    /// Writes `dx` (sample-major, input order) from the packed input gradient `dxt`; steps
    /// outside the packed rows (padding) get zero.
    pub fn scatter_input_grad(&self, dxt: &[f32], dx: &mut [f32]) {
        let (steps, f) = (self.steps, self.features);
        dx.fill(0.0);
        for s in 0..steps {
            let t = self.input_step(s);
            for r in 0..self.active[s] {
                let dst = (self.order[r] * steps + t) * f;
                let src = (self.offset[s] + r) * f;
                dx[dst..dst + f].copy_from_slice(&dxt[src..src + f]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeline_puts_the_longest_rows_first() {
        // Lengths 2, 4, 3 (post-padded): rows are samples 1, 2, 0; active rows shrink 3, 3, 2, 1.
        let mask = [1., 1., 0., 0., 1., 1., 1., 1., 1., 1., 1., 0.];
        let x: Vec<f32> = (0..12).map(|v| v as f32).collect();
        let mut tl = Timeline::default();
        tl.prepare("LSTM", &x, Dims::new(&[4, 1]).unwrap(), 3, Some(&mask), 1, false).unwrap();
        assert_eq!(&tl.order[..3], &[1, 2, 0]);
        assert_eq!(&tl.active[..4], &[3, 3, 2, 1]);
        assert_eq!(&tl.offset[..5], &[0, 3, 6, 8, 9]);
        // Packed: only the real steps, time-major.
        assert_eq!(&tl.xt[..9], &[4., 8., 0., 5., 9., 1., 6., 10., 7.]);
        // Backwards: step 0 reads input step 3, where only sample 1 is real.
        tl.prepare("LSTM", &x, Dims::new(&[4, 1]).unwrap(), 3, Some(&mask), 1, true).unwrap();
        assert_eq!(&tl.active[..4], &[1, 2, 3, 3]);
        assert_eq!(&tl.xt[..9], &[7., 6., 10., 5., 9., 1., 4., 8., 0.]);
        // A gap inside a sequence: rows up to the last real one are packed, masked or not.
        let mask = [1., 0., 1., 1., 1., 1.];
        tl.prepare("GRU", &[0.0; 6], Dims::new(&[3, 1]).unwrap(), 2, Some(&mask), 1, false).unwrap();
        assert_eq!((&tl.order[..2], &tl.active[..3], tl.packed()), (&[1, 0][..], &[2, 1, 2][..], 5));
        assert!(!tl.is_real(1, 1) && tl.is_real(2, 1));
    }

    #[test]
    fn bad_input_and_mask_are_errors() {
        let mut tl = Timeline::default();
        let dims = Dims::new(&[4, 2]).unwrap();
        let err = tl.prepare("GRU", &[0.0; 16], Dims::new(&[4, 3]).unwrap(), 2, None, 2, false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "input of `GRU` must have shape (None, None, 2), but has shape (None, 4, 3)"
        );
        assert!(tl.prepare("GRU", &[0.0; 15], dims, 2, None, 2, false).is_err());
        assert!(tl.prepare("GRU", &[0.0; 16], dims, 2, Some(&[1.0; 7]), 2, false).is_err());
        assert!(tl.prepare("GRU", &[0.0; 16], dims, 2, Some(&[1.0; 8]), 2, false).is_ok());
    }
}
