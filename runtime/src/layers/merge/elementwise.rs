//! [`Elementwise`]: Keras's `Add`, `Subtract`, `Multiply`, `Average`, `Maximum` and `Minimum`
//! ([`ElementwiseOp`]), one type for the six.
//!
//! Shape contract (`shaped::rules::elementwise`): the inputs broadcast to one shape, Keras's
//! `_compute_elemwise_op_output_shape` folded over them: axes aligned from the last, a lower-rank
//! input counting as having leading axes of size 1, and on each axis equal sizes or 1 (`[T, 3]`
//! and `[1, 3]` → `[T, 3]`; `[4, 3]` and `[3]` → `[4, 3]`). `Subtract` takes exactly 2 inputs,
//! the others 1 or more (Keras 3 accepts one).
//!
//! Per output element, `x_j` the element input `j` broadcasts to it and `m_j` its step's mask
//! (`None` when input `j` has no mask):
//!
//! - `Add`: `y = ((x₀ + x₁) + x₂) + …`; `∂y/∂x_j = 1`.
//! - `Subtract`: `y = x₀ − x₁`; `∂y/∂x₀ = 1`, `∂y/∂x₁ = −1`.
//! - `Average`: `y = (x₀ + x₁ + …) / n`; `∂y/∂x_j = 1/n`.
//!
//!   These three ignore the masks, as Keras's `_merge_function`s do.
//! - `Multiply` (Keras's `Multiply._merge_function`): a masked-out step of an input counts as 1,
//!   `s_j = m_j = false ? 1 : x_j`, and `p = s₀ · s₁ · …`. When every input has a mask, the output
//!   is `y = p` where any `m_j` is true and `0` where none is; otherwise `y = p`.
//!   `∂y/∂x_j = Π_{k≠j} s_k` where `x_j` was used and the output not zeroed, else 0.
//! - `Maximum`, `Minimum` (Keras's `_apply_merge_op_and_or_mask`): a left fold
//!   `acc ← op(a, b)` starting from `acc = x₀`, with the mask so far `om = m₀`. At input `k`:
//!   `b = m_k = false ? acc : x_k` (a masked-out step takes the other operand), then
//!   `a = om = false ? b : acc`, then `om ← om ∨ m_k` while every input so far has a mask
//!   (`None` after the first that has none). So at a step real in one input only, the output is
//!   that input's value; at a step real in none, input 0's. Backward follows JAX's gradient of
//!   `max` / `min` (`lax.max`'s `_balanced_eq`): `∂op(a, b)/∂a` is 1 where `a` wins, 0 where it
//!   loses and ½ at a tie, fold by fold, so a tie of three inputs gives ¼, ¼, ½; when `a` and `b`
//!   are the same value (`op(acc, acc)` at a masked-out step) the two halves go to it, 1 in all.
//!   NaN propagates (`op(NaN, v) = NaN`) and gets no gradient, as in JAX.
//!
//! Output mask ([`MaskRule::ProduceIf`] with [`Masked::All`], Keras's `Merge.compute_mask`): the
//! OR of the inputs' step masks when every input has one (a step real in any input is real),
//! none otherwise. A masked input must have the output's rank (its steps are the output's first
//! axis, or a single step broadcast over it); Keras's masks work on sequences `[T, F]` only, where
//! shaped reads the step mask at every element of the step whatever the rank.
//!
//! Gradients that reach a broadcast input are summed over the elements that read it.

use crate::error::{Error, Result};
use crate::layers::merge::broadcast::Broadcast;
use crate::layers::merge::{check_input, rule_dims, steps};
use crate::layers::stage::check_buffer;
use crate::layers::stage::{Backward, Forward, Input, MaskRule, Masked, Stage};
use crate::shape::Dims;
use shaped_rules::ElementwiseOp;

/// One of Keras's elementwise merges (see the module docs), holding its broadcast maps and
/// per-element scratch so that a pass allocates nothing once it has seen its inputs' dims.
#[derive(Clone, Debug)]
pub struct Elementwise {
    op: ElementwiseOp,
    broadcast: Broadcast,
    /// Per input: the element's value and its step's mask (`None`: the input has no mask).
    values: Vec<f32>,
    masks: Vec<Option<bool>>,
    /// Per input: `∂y/∂x_j` at one element.
    partials: Vec<f32>,
    /// `Maximum` / `Minimum`: each fold step of one element, for the backward pass.
    folds: Vec<Fold>,
}

/// One step `acc_k = op(a, b)` of the `Maximum` / `Minimum` fold: its operands' values and
/// whether each is input `k`'s element (else the fold so far).
#[derive(Clone, Copy, Debug, Default)]
struct Fold {
    a: f32,
    b: f32,
    out: f32,
    a_is_input: bool,
    b_is_input: bool,
}

impl Elementwise {
    /// The merge `op` (Keras's `Add()`, `Subtract()`, ...).
    pub fn new(op: ElementwiseOp) -> Self {
        Elementwise {
            op,
            broadcast: Broadcast::default(),
            values: Vec::new(),
            masks: Vec::new(),
            partials: Vec::new(),
            folds: Vec::new(),
        }
    }

    /// Which merge this is.
    pub fn op(&self) -> ElementwiseOp {
        self.op
    }

    /// The output dims of `inputs` by the shared rule, after checking every input (see
    /// [`checked_dims`]); prepares the broadcast maps and the scratch.
    fn prepare(&mut self, inputs: &[Input<'_>], batch: usize) -> Result<Dims> {
        let out = checked_dims(self.op, inputs, batch)?;
        self.broadcast.prepare(out, inputs.len(), |j| inputs[j].dims);
        let n = inputs.len();
        if self.values.len() < n {
            self.values.resize(n, 0.0);
            self.masks.resize(n, None);
            self.partials.resize(n, 0.0);
            self.folds.resize(n, Fold::default());
        }
        Ok(out)
    }

    /// Reads output element `e` of sample `b` (at step `t`) from every input into the scratch.
    fn gather(&mut self, inputs: &[Input<'_>], b: usize, e: usize, t: usize) {
        for (j, input) in inputs.iter().enumerate() {
            let numel = input.dims.numel();
            self.values[j] = input.data[b * numel + self.broadcast.offset(j, e)];
            self.masks[j] = input.mask.map(|m| {
                let steps = steps(input.dims);
                m[b * steps + if steps == 1 { 0 } else { t }] != 0.0
            });
        }
    }

    /// The output element for the gathered inputs; with `partials`, also `∂y/∂x_j` into the
    /// scratch.
    fn element(&mut self, n: usize, partials: bool) -> f32 {
        let values = &self.values[..n];
        let masks = &self.masks[..n];
        let grads = &mut self.partials[..n];
        match self.op {
            ElementwiseOp::Add | ElementwiseOp::Average => {
                let mut y = values[0];
                for &v in &values[1..] {
                    y += v;
                }
                let (y, d) =
                    if self.op == ElementwiseOp::Add { (y, 1.0) } else { (y / n as f32, 1.0 / n as f32) };
                if partials {
                    grads.fill(d);
                }
                y
            }
            ElementwiseOp::Subtract => {
                if partials {
                    grads.copy_from_slice(&[1.0, -1.0]);
                }
                values[0] - values[1]
            }
            ElementwiseOp::Multiply => multiply(values, masks, partials.then_some(grads)),
            ElementwiseOp::Maximum | ElementwiseOp::Minimum => {
                let y = fold(values, masks, self.op == ElementwiseOp::Maximum, &mut self.folds[..n]);
                if partials {
                    unfold(&self.folds[..n], grads);
                }
                y
            }
        }
    }
}

/// The output dims of `inputs` for `op` by the shared rule, after checking every input's
/// lengths and that a masked input has the output's rank (its steps are the output's).
fn checked_dims(op: ElementwiseOp, inputs: &[Input<'_>], batch: usize) -> Result<Dims> {
    let layer = op.keras_name();
    let out = rule_dims(
        layer,
        inputs.len(),
        |j| inputs[j].dims,
        |d| shaped_rules::elementwise(d, op.min_inputs(), op.max_inputs()),
    )?;
    for (j, input) in inputs.iter().enumerate() {
        check_input(layer, j, input, batch)?;
        if input.mask.is_some() && input.dims.rank() != out.rank() {
            return Err(Error::Inputs {
                layer: layer.into(),
                reason: format!(
                    "cannot broadcast the mask of input #{j} {}, of rank {}, to the output {}, of rank {}: \
                     a masked input's steps must be the output's",
                    input.dims,
                    input.dims.rank(),
                    out,
                    out.rank()
                ),
            });
        }
    }
    Ok(out)
}

/// `Multiply` at one element: `Π s_j` with `s_j = 1` at a masked-out step, zeroed when every input
/// has a mask and none is real; `∂y/∂x_j` into `grads` when given.
fn multiply(values: &[f32], masks: &[Option<bool>], grads: Option<&mut [f32]>) -> f32 {
    let used = |j: usize| masks[j] != Some(false);
    let s = |j: usize| if used(j) { values[j] } else { 1.0 };
    let mut p = s(0);
    for j in 1..values.len() {
        p *= s(j);
    }
    let all_masked = masks.iter().all(Option::is_some);
    let keep = !all_masked || masks.contains(&Some(true));
    if let Some(grads) = grads {
        for (j, g) in grads.iter_mut().enumerate() {
            *g = if keep && used(j) { (0..values.len()).filter(|&k| k != j).map(s).product() } else { 0.0 };
        }
    }
    if keep {
        p
    } else {
        0.0
    }
}

/// `max(a, b)` or `min(a, b)`, NaN if either is NaN (as XLA's).
fn pick(max: bool, a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else if max {
        a.max(b)
    } else {
        a.min(b)
    }
}

/// The `Maximum` / `Minimum` fold at one element (see the module docs), recording each step.
fn fold(values: &[f32], masks: &[Option<bool>], max: bool, steps: &mut [Fold]) -> f32 {
    let mut acc = values[0];
    let mut so_far = masks[0];
    for k in 1..values.len() {
        let b_is_input = masks[k] != Some(false);
        let b = if b_is_input { values[k] } else { acc };
        let a_is_input = so_far == Some(false) && b_is_input;
        let a = if so_far == Some(false) { b } else { acc };
        so_far = match (so_far, masks[k]) {
            (Some(x), Some(y)) => Some(x || y),
            _ => None,
        };
        let out = pick(max, a, b);
        steps[k] = Fold { a, b, out, a_is_input, b_is_input };
        acc = out;
    }
    acc
}

/// JAX's weight of operand `x` in `z = op(x, y)`: 1 if it alone gives `z`, ½ if both do, else 0.
fn share(x: f32, z: f32, y: f32) -> f32 {
    if x == z {
        if y == z {
            0.5
        } else {
            1.0
        }
    } else {
        0.0
    }
}

/// Backward through the recorded fold: `∂y/∂x_j` of every input into `grads`.
fn unfold(steps: &[Fold], grads: &mut [f32]) {
    grads.fill(0.0);
    // The gradient reaching the fold's result after step k.
    let mut g = 1.0;
    for k in (1..steps.len()).rev() {
        let Fold { a, b, out, a_is_input, b_is_input } = steps[k];
        let (ga, gb) = (g * share(a, out, b), g * share(b, out, a));
        let (mut to_input, mut to_acc) = (0.0, 0.0);
        if a_is_input {
            to_input += ga
        } else {
            to_acc += ga
        }
        if b_is_input {
            to_input += gb
        } else {
            to_acc += gb
        }
        grads[k] = to_input;
        g = to_acc;
    }
    grads[0] = g;
}

impl Stage for Elementwise {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        rule_dims(
            self.op.keras_name(),
            inputs.len(),
            |j| inputs[j],
            |d| shaped_rules::elementwise(d, self.op.min_inputs(), self.op.max_inputs()),
        )
    }

    /// `y = op(x₀, x₁, …)` per element, broadcast, masks as in the module docs.
    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let out = self.prepare(args.inputs, args.batch)?;
        check_buffer(
            self.op.keras_name(),
            "output",
            out.batch_numel(args.batch).unwrap_or(usize::MAX),
            y.len(),
        )?;
        let (numel, n) = (out.numel(), args.inputs.len());
        let per_step = numel / steps(out).max(1);
        for (b, sample) in y.chunks_exact_mut(numel.max(1)).enumerate().take(args.batch) {
            for (e, v) in sample.iter_mut().enumerate() {
                self.gather(args.inputs, b, e, e / per_step.max(1));
                *v = self.element(n, false);
            }
        }
        Ok(())
    }

    /// `dx_j = Σ dy · ∂y/∂x_j` over the output elements that read each element of `x_j`.
    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        let layer = self.op.keras_name();
        let out = self.prepare(args.inputs, args.batch)?;
        check_buffer(layer, "gradient inputs", args.inputs.len(), grad_inputs.len())?;
        check_buffer(
            layer,
            "output gradient",
            out.batch_numel(args.batch).unwrap_or(usize::MAX),
            args.grad_output.len(),
        )?;
        for (input, dx) in args.inputs.iter().zip(grad_inputs.iter_mut()) {
            if let Some(dx) = dx.as_deref_mut() {
                check_buffer(layer, "input gradient", input.data.len(), dx.len())?;
                dx.fill(0.0);
            }
        }
        let (numel, n) = (out.numel(), args.inputs.len());
        let per_step = numel / steps(out).max(1);
        for (b, dy) in args.grad_output.chunks_exact(numel.max(1)).enumerate().take(args.batch) {
            for (e, &g) in dy.iter().enumerate() {
                self.gather(args.inputs, b, e, e / per_step.max(1));
                self.element(n, true);
                for (j, dx) in grad_inputs.iter_mut().enumerate() {
                    if let Some(dx) = dx.as_deref_mut() {
                        let numel_j = args.inputs[j].dims.numel();
                        dx[b * numel_j + self.broadcast.offset(j, e)] += g * self.partials[j];
                    }
                }
            }
        }
        Ok(())
    }

    fn mask_rule(&self) -> MaskRule {
        MaskRule::ProduceIf(Masked::All)
    }

    /// `m[b, t] = m₀[b, t] ∨ m₁[b, t] ∨ …` (a single-step mask broadcast over the steps).
    fn produce_mask(&self, args: Forward<'_>, out_mask: &mut [f32]) -> Result<()> {
        let layer = self.op.keras_name();
        let out = checked_dims(self.op, args.inputs, args.batch)?;
        let t_out = steps(out);
        check_buffer(layer, "output mask", args.batch * t_out, out_mask.len())?;
        if args.inputs.iter().any(|input| input.mask.is_none()) {
            // Not asked under `ProduceIf(All)`; an input without a mask counts as all real.
            out_mask.fill(1.0);
            return Ok(());
        }
        out_mask.fill(0.0);
        for (input, m) in args.inputs.iter().filter_map(|input| input.mask.map(|m| (input, m))) {
            let t = steps(input.dims);
            for (b, row) in out_mask.chunks_exact_mut(t_out.max(1)).enumerate() {
                for (s, o) in row.iter_mut().enumerate() {
                    if m[b * t + if t == 1 { 0 } else { s }] != 0.0 {
                        *o = 1.0;
                    }
                }
            }
        }
        Ok(())
    }

    fn kind(&self) -> String {
        self.op.keras_name().into()
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

    /// The output and every input's gradient for `dy` (all ones by default).
    fn run(
        op: ElementwiseOp,
        inputs: &[Input<'_>],
        batch: usize,
        out_len: usize,
    ) -> (Vec<f32>, Vec<Vec<f32>>) {
        let mut layer = Elementwise::new(op);
        let mut y = vec![0.0; out_len];
        forward_many(&mut layer, inputs, batch, &mut y, Mode::Training).unwrap();
        let mut dx: Vec<Vec<f32>> = inputs.iter().map(|i| vec![f32::NAN; i.data.len()]).collect();
        let mut slots: Vec<Option<&mut [f32]>> = dx.iter_mut().map(|d| Some(&mut d[..])).collect();
        backward_many(&mut layer, inputs, batch, &y, &vec![1.0; out_len], &mut slots).unwrap();
        (y, dx)
    }

    #[test]
    fn sums_differences_means_and_products() {
        let (a, b, c) = ([1.0, 2.0], [10.0, 20.0], [-1.0, 0.5]);
        let d = dims(&[2]);
        let inputs = [Input::new(&a, d), Input::new(&b, d), Input::new(&c, d)];
        assert_eq!(run(ElementwiseOp::Add, &inputs, 1, 2), (vec![10.0, 22.5], vec![vec![1.0; 2]; 3]));
        let (y, dx) = run(ElementwiseOp::Average, &inputs, 1, 2);
        assert_eq!(y, [10.0 / 3.0, 7.5]);
        assert_eq!(dx, vec![vec![1.0 / 3.0; 2]; 3]);
        // ∂(a·b·c)/∂a = b·c.
        let (y, dx) = run(ElementwiseOp::Multiply, &inputs, 1, 2);
        assert_eq!(y, [-10.0, 20.0]);
        assert_eq!(dx, [vec![-10.0, 10.0], vec![-1.0, 1.0], vec![10.0, 40.0]]);
        let (y, dx) = run(ElementwiseOp::Subtract, &inputs[..2], 1, 2);
        assert_eq!((y, dx), (vec![-9.0, -18.0], vec![vec![1.0; 2], vec![-1.0; 2]]));
    }

    #[test]
    fn broadcast_gradients_sum_over_the_elements_that_read_them() {
        // [2, 2] + [1, 2] + [2]: the row and the vector are read twice each.
        let (a, row, v) = ([1.0, 2.0, 3.0, 4.0], [10.0, 20.0], [100.0, 200.0]);
        let inputs =
            [Input::new(&a, dims(&[2, 2])), Input::new(&row, dims(&[1, 2])), Input::new(&v, dims(&[2]))];
        let (y, dx) = run(ElementwiseOp::Add, &inputs, 1, 4);
        assert_eq!(y, [111.0, 222.0, 113.0, 224.0]);
        assert_eq!(dx, [vec![1.0; 4], vec![2.0; 2], vec![2.0; 2]]);
    }

    #[test]
    fn maximum_splits_ties_fold_by_fold_as_jax() {
        let (a, b, c) = ([1.0, 5.0, 2.0], [1.0, 3.0, 2.0], [1.0, 4.0, 7.0]);
        let d = dims(&[3]);
        let inputs = [Input::new(&a, d), Input::new(&b, d), Input::new(&c, d)];
        let (y, dx) = run(ElementwiseOp::Maximum, &inputs, 1, 3);
        assert_eq!(y, [1.0, 5.0, 7.0]);
        // A three-way tie: max(max(a, b), c) gives ¼, ¼, ½; a tie of a and b that c beats: 0.
        assert_eq!(dx, [vec![0.25, 1.0, 0.0], vec![0.25, 0.0, 0.0], vec![0.5, 0.0, 1.0]]);
        let (y, dx) = run(ElementwiseOp::Minimum, &inputs, 1, 3);
        assert_eq!(y, [1.0, 3.0, 2.0]);
        assert_eq!(dx, [vec![0.25, 0.0, 0.5], vec![0.25, 1.0, 0.5], vec![0.5, 0.0, 0.0]]);
        // NaN wins and gets no gradient, as in XLA and JAX.
        let n = [f32::NAN, 0.0, 0.0];
        let inputs = [Input::new(&n, d), Input::new(&b, d)];
        let (y, dx) = run(ElementwiseOp::Maximum, &inputs, 1, 3);
        assert!(y[0].is_nan() && dx[0][0] == 0.0 && dx[1][0] == 0.0);
    }

    #[test]
    fn masked_steps_take_the_other_operand() {
        // Two samples of [2 steps, 1 feature]; a is real at steps (1, 0) | (0, 0), b at (0, 1) | (0, 0).
        let (a, b) = ([1.0, 2.0, 3.0, 4.0], [10.0, 20.0, 30.0, 40.0]);
        let (ma, mb) = ([1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]);
        let d = dims(&[2, 1]);
        let inputs = [Input::new(&a, d).with_mask(Some(&ma)), Input::new(&b, d).with_mask(Some(&mb))];
        // Maximum: the real operand where one is real, input 0 where none is, all of the
        // gradient to it.
        let (y, dx) = run(ElementwiseOp::Maximum, &inputs, 2, 4);
        assert_eq!(y, [1.0, 20.0, 3.0, 4.0]);
        assert_eq!(dx, [vec![1.0, 0.0, 1.0, 1.0], vec![0.0, 1.0, 0.0, 0.0]]);
        // Multiply: a masked-out step counts as 1; zero where no input is real.
        let (y, dx) = run(ElementwiseOp::Multiply, &inputs, 2, 4);
        assert_eq!(y, [1.0, 20.0, 0.0, 0.0]);
        assert_eq!(dx, [vec![1.0, 0.0, 0.0, 0.0], vec![0.0, 1.0, 0.0, 0.0]]);
        // Add ignores the masks; the output mask is the OR.
        assert_eq!(run(ElementwiseOp::Add, &inputs, 2, 4).0, [11.0, 22.0, 33.0, 44.0]);
        let mut m = [9.0; 4];
        produce_mask_many(&Elementwise::new(ElementwiseOp::Add), &inputs, 2, &mut m).unwrap();
        assert_eq!(m, [1.0, 1.0, 0.0, 0.0]);
        // With an unmasked input, Multiply still skips a's masked steps but zeroes nothing.
        let inputs = [inputs[0], Input::new(&b, d)];
        assert_eq!(run(ElementwiseOp::Multiply, &inputs, 2, 4).0, [10.0, 20.0, 30.0, 40.0]);
        assert_eq!(Elementwise::new(ElementwiseOp::Add).mask_rule(), MaskRule::ProduceIf(Masked::All));
    }

    #[test]
    fn wrong_inputs_are_errors_naming_them() {
        let sub = Elementwise::new(ElementwiseOp::Subtract);
        let err = sub.output_dims(&[dims(&[2]); 3]).unwrap_err().to_string();
        assert_eq!(err, "layer `Subtract` takes exactly 2 inputs, but is given 3");
        let err = Elementwise::new(ElementwiseOp::Add).output_dims(&[dims(&[4, 3]), dims(&[5, 3])]);
        assert_eq!(
            err.unwrap_err().to_string(),
            "layer `Add` needs sizes that are equal or 1 on each axis, but input #1 has 5 on axis 1 where the inputs before it have 4"
        );
        // A masked input of lower rank than the output: its steps are not the output's.
        let (a, v, m) = ([0.0; 6], [0.0; 3], [1.0; 3]);
        let inputs = [Input::new(&a, dims(&[2, 3])), Input::new(&v, dims(&[3])).with_mask(Some(&m))];
        let mut y = [0.0; 6];
        let err =
            forward_many(&mut Elementwise::new(ElementwiseOp::Add), &inputs, 1, &mut y, Mode::Inference);
        let err = err.unwrap_err().to_string();
        assert!(err.starts_with("layer `Add` cannot broadcast the mask of input #1 [3], of rank 1"), "{err}");
    }
}
