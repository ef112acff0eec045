//! `Discretization(bin_boundaries | num_bins, output_mode)`: numbers into bins, Keras's
//! bucketing of continuous features.
//!
//! A value `x` falls in bin `i` when `boundaries[i − 1] ≤ x < boundaries[i]` (NumPy's
//! `digitize`): `depth = len(boundaries) + 1` bins. Shape contract (per sample `[n]`): `int` →
//! `[n]`, the bin index of each value (as an `f32`, which `Dense` reads as Keras casts Keras's
//! int64); `one_hot` → `[n, depth]` (`[depth]` for `n = 1`); `multi_hot`, `count` → `[depth]`.
//! No weights, no gradient (the output is piecewise constant); the boundaries are state, kept as
//! a non-trainable weight `bin_boundaries`.
//!
//! With `num_bins`, `adapt` sets the boundaries from quantiles of the data, as Keras's `adapt`
//! on an array does: the data summarised to at most `1 / epsilon` weighted points (all of them
//! below that), then `num_bins − 1` boundaries interpolated at the cumulative fractions
//! `1/num_bins, 2/num_bins, …` (Keras's `summarize`, `compress_summary`, `get_bin_boundaries`).

use crate::error::{Error, Result};
use crate::layers::adapt::Adapt;
use crate::layers::preprocessing::category_encoding::encode;
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::stage::{check_buffer, single_dims, Backward, Forward, Input, MaskRule, Stage};
use crate::layers::{EncodingMode, Param, ParamMut};
use crate::shape::Dims;

/// Numbers into bins (see the module docs). `mode` `None` is Keras's `output_mode = "int"`.
#[derive(Clone, Debug)]
pub struct Discretization {
    boundaries: Vec<f32>,
    boundaries_grad: Vec<f32>,
    shape: [usize; 1],
    mode: Option<EncodingMode>,
    epsilon: f64,
    /// `adapt`'s data: every real value seen.
    seen: Vec<f32>,
}

impl Discretization {
    /// Bins between fixed `boundaries` (ascending).
    pub fn with_boundaries(boundaries: Vec<f32>, mode: Option<EncodingMode>) -> Discretization {
        let n = boundaries.len();
        Discretization {
            boundaries,
            boundaries_grad: vec![0.0; n],
            shape: [n],
            mode,
            epsilon: 0.01,
            seen: Vec::new(),
        }
    }

    /// `num_bins` bins whose boundaries `adapt` learns (all 0 until then), with Keras's
    /// `epsilon` (0.01 by default).
    pub fn adapted(num_bins: usize, epsilon: f64, mode: Option<EncodingMode>) -> Discretization {
        Discretization {
            epsilon,
            ..Discretization::with_boundaries(vec![0.0; num_bins.saturating_sub(1)], mode)
        }
    }

    /// The bin boundaries.
    pub fn boundaries(&self) -> &[f32] {
        &self.boundaries
    }

    /// The number of bins.
    fn depth(&self) -> usize {
        self.boundaries.len() + 1
    }

    /// The bin of `x`: how many boundaries are at or below it.
    fn bin(&self, x: f32) -> usize {
        self.boundaries.partition_point(|&b| b <= x)
    }
}

impl Stage for Discretization {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "Discretization")?;
        rule_dims_one("Discretization", input, |d| match self.mode {
            None => shaped_rules::same(d),
            Some(mode) => shaped_rules::category_encoding(d, self.depth(), mode == EncodingMode::OneHot),
        })
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let input = args.input("Discretization")?;
        let x = input.data;
        match self.mode {
            None => {
                check_buffer("Discretization", "output", x.len(), y.len())?;
                for (y, &x) in y.iter_mut().zip(x) {
                    *y = self.bin(x) as f32;
                }
            }
            Some(mode) => {
                let n = input.dims.numel();
                encode(mode, self.depth(), n, args.batch, input.mask, |i| Some(self.bin(x[i])), y);
            }
        }
        Ok(())
    }

    fn backward(&mut self, _args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        // Piecewise constant: no gradient reaches the input.
        if let Some(Some(dx)) = grad_inputs.first_mut() {
            dx.fill(0.0);
        }
        Ok(())
    }

    fn mask_rule(&self) -> MaskRule {
        match self.mode {
            None | Some(EncodingMode::OneHot) => MaskRule::Keep,
            Some(_) => MaskRule::Drop,
        }
    }

    fn kind(&self) -> String {
        "Discretization".into()
    }

    fn adapter(&mut self) -> Option<&mut dyn Adapt> {
        Some(self)
    }

    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        let (data, grad) = (&self.boundaries[..], &self.boundaries_grad[..]);
        visit(Param { name: "bin_boundaries", shape: &self.shape, data, grad, trainable: false });
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        let (data, grad) = (&mut self.boundaries[..], &mut self.boundaries_grad[..]);
        visit(ParamMut { name: "bin_boundaries", shape: &self.shape, data, grad, trainable: false });
    }
}

impl Adapt for Discretization {
    fn begin(&mut self) {
        self.seen.clear();
    }

    fn update(&mut self, input: Input<'_>, _batch: usize) -> Result<()> {
        let per_position = input.data.len() / input.mask.map_or(input.data.len().max(1), |m| m.len().max(1));
        for (i, &x) in input.data.iter().enumerate() {
            if input.mask.is_none_or(|m| m.get(i / per_position.max(1)).is_some_and(|&v| v != 0.0)) {
                self.seen.push(x);
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        if self.seen.is_empty() {
            return Err(Error::InvalidArgument {
                name: "x",
                detail: "`Discretization` adapts to data, but the data given to `adapt` has no value".into(),
            });
        }
        let summary = compress(summarize(&mut self.seen, self.epsilon), self.epsilon);
        let bins = compress(summary, 1.0 / self.depth() as f64);
        for (b, v) in self.boundaries.iter_mut().zip(&bins.0) {
            *b = *v;
        }
        self.seen.clear();
        Ok(())
    }
}

/// Weighted points: values and their weights (Keras's two-row summary).
type Summary = (Vec<f32>, Vec<f32>);

/// Keras's `summarize`: the sorted values, every `step`-th (`step = max(n·epsilon, 1)`) with
/// weight `step`.
fn summarize(values: &mut [f32], epsilon: f64) -> Summary {
    values.sort_by(f32::total_cmp);
    let step = (values.len() as f64 * epsilon).max(1.0);
    let (start, stride) = ((step - 1.0) as usize, step as usize);
    let points: Vec<f32> = values.iter().skip(start).step_by(stride.max(1)).copied().collect();
    let weights = vec![step as f32; points.len()];
    (points, weights)
}

/// Keras's `compress_summary`: the points at the cumulative fractions `epsilon, 2·epsilon, …,
/// 1` of the weight, interpolated (NumPy's `interp`), when there are at least `1 / epsilon`
/// points; else the summary unchanged.
fn compress(summary: Summary, epsilon: f64) -> Summary {
    let (values, weights) = summary;
    if (values.len() as f64) * epsilon < 1.0 {
        return (values, weights);
    }
    let mut cum = Vec::with_capacity(weights.len());
    let mut total = 0.0f64;
    for &w in &weights {
        total += w as f64;
        cum.push(total);
    }
    let fractions: Vec<f64> = cum.iter().map(|c| c / total).collect();
    let points: Vec<f64> = values.iter().map(|&v| v as f64).collect();
    let count = (1.0 / epsilon).ceil() as usize;
    let targets = (0..count).map(|i| epsilon + i as f64 * epsilon).filter(|&p| p < 1.0 + epsilon / 2.0);
    let mut new_values = Vec::new();
    let mut new_cum = Vec::new();
    for p in targets {
        new_values.push(interp(p, &fractions, &points) as f32);
        new_cum.push(interp(p, &fractions, &cum));
    }
    let mut new_weights = Vec::with_capacity(new_cum.len());
    let mut previous = 0.0;
    for c in new_cum {
        new_weights.push((c - previous) as f32);
        previous = c;
    }
    (new_values, new_weights)
}

/// NumPy's `interp(x, xp, fp)`: linear between the points, the end values outside them.
fn interp(x: f64, xp: &[f64], fp: &[f64]) -> f64 {
    let i = xp.partition_point(|&p| p <= x);
    match i {
        0 => fp[0],
        i if i == xp.len() => fp[xp.len() - 1],
        i => {
            let (x0, x1, y0, y1) = (xp[i - 1], xp[i], fp[i - 1], fp[i]);
            if x1 == x0 {
                y0
            } else {
                y0 + (y1 - y0) * (x - x0) / (x1 - x0)
            }
        }
    }
}
