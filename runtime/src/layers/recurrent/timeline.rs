//! [`Timeline`]: how a recurrent layer lays out the samples of one share of a batch
//! (time-major, in processing order, rows sorted by length and packed), the sort by length,
//! and the checks of its input against the layer.
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

/// Sorts the samples of a batch by their number of real steps, most first (ties by sample
/// index), into `order[..batch]`; `counts` is scratch. Without a mask every sample has all
/// `steps`, so the order is the samples' own.
pub(crate) fn sort_by_length(
    mask: Option<&[f32]>,
    batch: usize,
    steps: usize,
    order: &mut Vec<usize>,
    counts: &mut Vec<usize>,
) {
    grow(order, batch);
    for (b, slot) in order[..batch].iter_mut().enumerate() {
        *slot = b;
    }
    if let Some(mask) = mask {
        grow(counts, batch);
        for (b, count) in counts[..batch].iter_mut().enumerate() {
            *count = mask[b * steps..(b + 1) * steps].iter().filter(|&&m| m != 0.0).count();
        }
        let counts = &counts[..batch];
        order[..batch].sort_unstable_by_key(|&b| (std::cmp::Reverse(counts[b]), b));
    }
}

/// Some samples of a batch laid out for a recurrent layer: time-major, in processing order,
/// rows in the order given (by number of real steps, most first, from [`sort_by_length`]),
/// and packed: step `s` keeps only its rows `0..active[s]`, the ones up to its last real row.
///
/// Row `r` of every step is sample `order[r]` of the batch; processing step `s` reads input
/// step [`Timeline::input_step`]`(s)`. Per-step data of a layer (gates, previous states) lives
/// in packed rows: row `r < active[s]` of step `s` is packed row `offset[s] + r`. Rows at or
/// past `active[s]` are padding at step `s`: they keep their state, and the layer does no work
/// for them. For post- or pre-padded batches the packed rows are exactly the real steps.
#[derive(Clone, Debug, Default)]
pub(crate) struct Timeline {
    /// Rows (samples laid out).
    pub batch: usize,
    /// Time steps `T` of every sample.
    pub steps: usize,
    /// Features per step.
    pub features: usize,
    /// Whether processing runs `T−1 … 0`.
    pub go_backwards: bool,
    /// `order[r]`: the sample of the batch at row `r`.
    pub order: Vec<usize>,
    /// `real[s · batch + r]`: whether row `r` is a real (unmasked) step at processing step `s`.
    pub real: Vec<bool>,
    /// `active[s]`: one past the last real row of processing step `s`.
    pub active: Vec<usize>,
    /// `offset[s]`: the first packed row of step `s`; `offset[T]` is the number of packed rows.
    pub offset: Vec<usize>,
    /// The input of the packed rows, `packed × features`.
    pub xt: Vec<f32>,
}

impl Timeline {
    /// Lays out the samples `samples` (rows in that order, by number of real steps, most
    /// first) of the input `x` (`batch × steps × features`, checked by the caller against
    /// `mask`, `batch · steps` values).
    pub fn prepare(
        &mut self,
        x: &[f32],
        steps: usize,
        features: usize,
        mask: Option<&[f32]>,
        go_backwards: bool,
        samples: &[usize],
    ) {
        let batch = samples.len();
        self.batch = batch;
        self.steps = steps;
        self.features = features;
        self.go_backwards = go_backwards;
        grow(&mut self.order, batch);
        grow(&mut self.real, steps * batch);
        grow(&mut self.active, steps);
        grow(&mut self.offset, steps + 1);
        self.order[..batch].copy_from_slice(samples);
        match mask {
            None => {
                self.real[..steps * batch].fill(true);
                self.active[..steps].fill(batch);
            }
            Some(mask) => {
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

    /// Writes the output of step `s` (`return_sequences`) from the state after it, `h`
    /// (`batch × units`, by row), into `y` laid out by row (`batch × steps × units`, see
    /// [`Timeline::scatter_output`]): zeros at masked steps when `zero_output`.
    pub fn write_step(&self, s: usize, h: &[f32], units: usize, zero_output: bool, y: &mut [f32]) {
        for r in 0..self.batch {
            let dst = (r * self.steps + s) * units;
            if zero_output && !self.is_real(s, r) {
                y[dst..dst + units].fill(0.0);
            } else {
                y[dst..dst + units].copy_from_slice(&h[r * units..(r + 1) * units]);
            }
        }
    }

    /// Writes the last output (no `return_sequences`) from the final state `h` into `y` laid
    /// out by row (`batch × units`): zeros when the last step is masked and `zero_output`, or
    /// when there are no steps.
    pub fn write_last(&self, h: &[f32], units: usize, zero_output: bool, y: &mut [f32]) {
        for r in 0..self.batch {
            let dst = r * units;
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

    /// Copies the output written by row ([`Timeline::write_step`], [`Timeline::write_last`]),
    /// `per_row` values each, to each row's sample in `y` (sample-major).
    pub fn scatter_output(&self, by_row: &[f32], per_row: usize, y: &mut [f32]) {
        for (r, &b) in self.order[..self.batch].iter().enumerate() {
            y[b * per_row..(b + 1) * per_row].copy_from_slice(&by_row[r * per_row..(r + 1) * per_row]);
        }
    }

    /// Writes the input gradient of this layout's samples into `dx` (sample-major, input order)
    /// from the packed input gradient `dxt`; their steps outside the packed rows (padding) are
    /// left as they are (the caller zeroes `dx` first).
    pub fn scatter_input_grad(&self, dxt: &[f32], dx: &mut [f32]) {
        let (steps, f) = (self.steps, self.features);
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

    /// Lays out every sample of a batch of one feature, sorted by length.
    fn lay_out(tl: &mut Timeline, x: &[f32], steps: usize, mask: &[f32], go_backwards: bool) {
        let (mut order, mut counts) = (Vec::new(), Vec::new());
        let batch = mask.len() / steps;
        sort_by_length(Some(mask), batch, steps, &mut order, &mut counts);
        tl.prepare(x, steps, 1, Some(mask), go_backwards, &order[..batch]);
    }

    #[test]
    fn timeline_puts_the_longest_rows_first() {
        // Lengths 2, 4, 3 (post-padded): rows are samples 1, 2, 0; active rows shrink 3, 3, 2, 1.
        let mask = [1., 1., 0., 0., 1., 1., 1., 1., 1., 1., 1., 0.];
        let x: Vec<f32> = (0..12).map(|v| v as f32).collect();
        let mut tl = Timeline::default();
        lay_out(&mut tl, &x, 4, &mask, false);
        assert_eq!(&tl.order[..3], &[1, 2, 0]);
        assert_eq!(&tl.active[..4], &[3, 3, 2, 1]);
        assert_eq!(&tl.offset[..5], &[0, 3, 6, 8, 9]);
        // Packed: only the real steps, time-major.
        assert_eq!(&tl.xt[..9], &[4., 8., 0., 5., 9., 1., 6., 10., 7.]);
        // Backwards: step 0 reads input step 3, where only sample 1 is real.
        lay_out(&mut tl, &x, 4, &mask, true);
        assert_eq!(&tl.active[..4], &[1, 2, 3, 3]);
        assert_eq!(&tl.xt[..9], &[7., 6., 10., 5., 9., 1., 4., 8., 0.]);
        // A gap inside a sequence: rows up to the last real one are packed, masked or not.
        let mask = [1., 0., 1., 1., 1., 1.];
        lay_out(&mut tl, &[0.0; 6], 3, &mask, false);
        assert_eq!((&tl.order[..2], &tl.active[..3], tl.packed()), (&[1, 0][..], &[2, 1, 2][..], 5));
        assert!(!tl.is_real(1, 1) && tl.is_real(2, 1));
    }

    #[test]
    fn some_samples_keep_their_batch_indices() {
        // Samples 2 and 0 of a batch of three (lengths 2, 4, 3): rows 0 and 1 of the layout
        // read and write those samples.
        let mask = [1., 1., 0., 0., 1., 1., 1., 1., 1., 1., 1., 0.];
        let x: Vec<f32> = (0..12).map(|v| v as f32).collect();
        let mut tl = Timeline::default();
        tl.prepare(&x, 4, 1, Some(&mask), false, &[2, 0]);
        assert_eq!((&tl.active[..4], tl.packed()), (&[2, 2, 1, 0][..], 5));
        assert_eq!(&tl.xt[..5], &[8., 0., 9., 1., 10.]);
        let mut y = [0.0; 3];
        tl.scatter_output(&[5.0, 6.0], 1, &mut y);
        assert_eq!(y, [6.0, 0.0, 5.0]);
    }

    #[test]
    fn bad_input_and_mask_are_errors() {
        let err = check_input("GRU", 2, Dims::new(&[4, 3]).unwrap()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "input of `GRU` must have shape (None, None, 2), but has shape (None, 4, 3)"
        );
        assert_eq!(check_input("GRU", 2, Dims::new(&[4, 2]).unwrap()).unwrap(), 4);
        let err = check_len("GRU", "mask (batch · steps)", 8, 7).unwrap_err().to_string();
        assert!(
            err.contains("mask (batch · steps) of `GRU`") && err.contains('8') && err.contains('7'),
            "{err}"
        );
        assert!(check_len("GRU", "input", 16, 16).is_ok());
    }
}
