//! [`Node`]: one stage reading several inputs (a merge), run the way a model runs it; and
//! [`NodeProbe`], that node under a linear probe for [`crate::testing::check_gradients`];
//! plus [`forward_many`] / [`backward_many`] / [`produce_mask_many`], one stage's calls with
//! its inputs spelled out.

use crate::data::SplitMix64;
use crate::error::Result;
use crate::layers::{Backward, Forward, Input, Mode, Param, ParamMut, Stage};
use crate::model::{Source, Workspace};
use crate::shape::Dims;
use crate::testing::Differentiable;

/// A stage reading the model's inputs `0..N` (`batch` samples of `dims[j]`, with the masks of
/// their steps), run through a model's own [`Workspace`]: the output's mask comes out as the
/// stage's [`crate::layers::MaskRule`] says, and the backward pass writes each input's gradient.
pub struct Node<const N: usize> {
    stage: Box<dyn Stage>,
    workspace: Workspace,
    dims: [Dims; N],
    masks: [Option<Vec<f32>>; N],
    batch: usize,
    xs: [Vec<f32>; N],
}

impl<const N: usize> Node<N> {
    /// `stage` on `batch` samples of `dims[j]` for input `j`, whose steps' mask is `masks[j]`
    /// (`mask[b · steps + t]`, 1.0 for a real step, `None` when every step is real).
    pub fn new(stage: Box<dyn Stage>, dims: [Dims; N], masks: [Option<&[f32]>; N], batch: usize) -> Self {
        Node {
            stage,
            workspace: Workspace::new(1, N),
            dims,
            masks: masks.map(|m| m.map(<[f32]>::to_vec)),
            batch,
            xs: std::array::from_fn(|_| Vec::new()),
        }
    }

    /// The stage.
    pub fn stage_mut(&mut self) -> &mut dyn Stage {
        &mut *self.stage
    }

    /// The number of values of input `j`: `batch · numel(dims[j])`.
    pub fn input_len(&self, j: usize) -> usize {
        self.batch * self.dims[j].numel()
    }

    /// `x`, every input's values one after the other (what [`NodeProbe`] differentiates), cut
    /// into the inputs; `None` if its length is not the sum of theirs.
    pub fn split<'x>(&self, x: &'x [f32]) -> Option<[&'x [f32]; N]> {
        if x.len() != (0..N).map(|j| self.input_len(j)).sum::<usize>() {
            return None;
        }
        let mut start = 0;
        Some(std::array::from_fn(|j| {
            let part = &x[start..start + self.input_len(j)];
            start += part.len();
            part
        }))
    }

    /// Runs the stage on the inputs `xs`; returns its output.
    pub fn forward(&mut self, xs: [&[f32]; N], mode: Mode) -> Result<&[f32]> {
        for (kept, x) in self.xs.iter_mut().zip(xs) {
            kept.clear();
            kept.extend_from_slice(x);
        }
        let inputs: [Input<'_>; N] = std::array::from_fn(|j| {
            Input::new(&self.xs[j], self.dims[j]).with_mask(self.masks[j].as_deref())
        });
        self.workspace.begin(&inputs)?;
        let sources: [Source; N] = std::array::from_fn(Source::Input);
        self.workspace.run(0, &mut *self.stage, sources, &inputs, self.batch, mode)?;
        Ok(self.workspace.output(0))
    }

    /// The output's dims from the last forward pass.
    pub fn output_dims(&self) -> Dims {
        self.workspace.dims(0)
    }

    /// The output's mask from the last forward pass, if it has one.
    pub fn output_mask(&self) -> Option<&[f32]> {
        self.workspace.output_mask(0)
    }

    /// Backward from `dy`, the gradient with respect to the output, after a forward pass in
    /// training mode; returns the gradient with respect to each input.
    pub fn backward(&mut self, dy: &[f32]) -> Result<[Vec<f32>; N]> {
        self.workspace.output_and_grad(0).1.copy_from_slice(dy);
        self.workspace.begin_backward(&[0]);
        let mut dx: [Vec<f32>; N] = std::array::from_fn(|j| vec![0.0; self.input_len(j)]);
        {
            let mut slots: Vec<Option<&mut [f32]>> = dx.iter_mut().map(|d| Some(&mut d[..])).collect();
            let inputs: [Input<'_>; N] = std::array::from_fn(|j| {
                Input::new(&self.xs[j], self.dims[j]).with_mask(self.masks[j].as_deref())
            });
            let sources: [Source; N] = std::array::from_fn(Source::Input);
            self.workspace.backward(0, &mut *self.stage, sources, &inputs, self.batch, false, &mut slots)?;
        }
        Ok(dx)
    }
}

/// A [`Node`] under the linear functional `L = Σ r ⊙ y`, `r` fixed and random, so `dL/dy = r`;
/// its `x` is every input's values one after the other, and its gradient likewise.
pub struct NodeProbe<const N: usize> {
    /// The node.
    pub node: Node<N>,
    r: Vec<f32>,
}

impl<const N: usize> NodeProbe<N> {
    /// `node` probed by a random `r` drawn from `seed` (the output's size is read from a first
    /// forward pass on `x`, the inputs concatenated).
    pub fn new(mut node: Node<N>, x: &[f32], seed: u64) -> Self {
        let len = match node.split(x) {
            Some(xs) => node.forward(xs, Mode::Training).map(<[f32]>::len).unwrap_or(0),
            None => 0,
        };
        let mut rng = SplitMix64::new(seed);
        let r = (0..len).map(|_| 2.0 * rng.next_f32() - 1.0).collect();
        NodeProbe { node, r }
    }
}

impl<const N: usize> Differentiable for NodeProbe<N> {
    fn loss(&mut self, x: &[f32]) -> f64 {
        let xs =
            self.node.split(x).unwrap_or_else(|| panic!("x has {} values, not the inputs' sum", x.len()));
        let y = self.node.forward(xs, Mode::Training).unwrap_or_else(|e| panic!("forward: {e}"));
        y.iter().zip(&self.r).map(|(&a, &b)| a as f64 * b as f64).sum()
    }

    fn gradient(&mut self, x: &[f32]) -> Vec<f32> {
        self.loss(x);
        let dx = self.node.backward(&self.r).unwrap_or_else(|e| panic!("backward: {e}"));
        dx.concat()
    }

    fn visit_weights(&self, visit: &mut dyn FnMut(Param<'_>)) {
        self.node.stage.visit_params(visit)
    }

    fn visit_weights_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        self.node.stage.visit_params_mut(visit)
    }
}

/// `stage`'s forward pass on several inputs (`batch` samples each) into `y`.
pub fn forward_many(
    stage: &mut dyn Stage,
    inputs: &[Input<'_>],
    batch: usize,
    y: &mut [f32],
    mode: Mode,
) -> Result<()> {
    stage.forward(Forward { inputs, batch, mode }, y)
}

/// `stage`'s backward pass on several inputs, after [`forward_many`] on them: `y` its output,
/// `dy` the gradient with respect to it; writes the gradient of each input whose slot of
/// `grads` is `Some`.
pub fn backward_many(
    stage: &mut dyn Stage,
    inputs: &[Input<'_>],
    batch: usize,
    y: &[f32],
    dy: &[f32],
    grads: &mut [Option<&mut [f32]>],
) -> Result<()> {
    stage.backward(Backward { inputs, batch, output: y, grad_output: dy, dy_is_preactivation: false }, grads)
}

/// `stage`'s output mask for several inputs (for a stage that produces one).
pub fn produce_mask_many(
    stage: &dyn Stage,
    inputs: &[Input<'_>],
    batch: usize,
    out_mask: &mut [f32],
) -> Result<()> {
    stage.produce_mask(Forward { inputs, batch, mode: Mode::Inference }, out_mask)
}
