//! [`Chain`]: stages in a row, run the way a sequential model runs them, for testing layers
//! outside a model; and [`forward_one`] / [`backward_one`] / [`produce_mask_one`], one stage's
//! calls with its input spelled out.

use crate::error::Result;
use crate::layers::{
    visit_prefixed, visit_prefixed_mut, Backward, Forward, Input, Mode, Param, ParamMut, Stage,
};
use crate::model::{Source, Workspace};
use crate::shape::Dims;

/// Stages in a row, each named for its weights' paths (`embedding/embeddings`), run through a
/// model's own [`Workspace`]: the mask flows as each stage's [`crate::layers::MaskRule`] says,
/// and the backward pass hands each stage the gradient of the one after it.
pub struct Chain {
    stages: Vec<(String, Box<dyn Stage>)>,
    workspace: Workspace,
    x: Vec<f32>,
    ids: Option<Vec<u32>>,
    dims: Dims,
    mask: Option<Vec<f32>>,
    batch: usize,
}

impl Chain {
    /// A chain of `stages`, applied in order.
    pub fn new(stages: Vec<(&str, Box<dyn Stage>)>) -> Self {
        let n = stages.len();
        Chain {
            stages: stages.into_iter().map(|(name, stage)| (name.to_string(), stage)).collect(),
            workspace: Workspace::new(n, 1),
            x: Vec::new(),
            ids: None,
            dims: Dims::default(),
            mask: None,
            batch: 0,
        }
    }

    /// The same chain reading token ids (its first stage an `Embedding`): [`Chain::forward`]
    /// hands the stages its `x` as `u32` ids, each value an exact non-negative integer.
    pub fn with_token_ids(mut self) -> Self {
        self.ids = Some(Vec::new());
        self
    }

    /// The number of stages.
    pub fn len(&self) -> usize {
        self.stages.len()
    }

    /// Whether the chain has no stage.
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// Stage `i`.
    pub fn stage_mut(&mut self, i: usize) -> &mut dyn Stage {
        &mut *self.stages[i].1
    }

    /// Runs every stage on `batch` samples of `dims` (`mask`: the input's padding); returns the
    /// last stage's output.
    pub fn forward(
        &mut self,
        x: &[f32],
        dims: Dims,
        batch: usize,
        mask: Option<&[f32]>,
        mode: Mode,
    ) -> Result<&[f32]> {
        self.x.clear();
        self.x.extend_from_slice(x);
        if let Some(ids) = &mut self.ids {
            ids.clear();
            ids.extend(x.iter().map(|&v| {
                assert!(v >= 0.0 && v.fract() == 0.0 && v <= u32::MAX as f32, "token id {v}");
                v as u32
            }));
        }
        self.dims = dims;
        self.mask = mask.map(<[f32]>::to_vec);
        self.batch = batch;
        let input = [chain_input(&self.x, self.ids.as_deref(), dims, self.mask.as_deref())];
        self.workspace.begin(&input)?;
        for (i, (_, stage)) in self.stages.iter_mut().enumerate() {
            let source = if i == 0 { Source::Input(0) } else { Source::Node(i - 1) };
            self.workspace.run(i, &mut **stage, [source], &input, batch, mode)?;
        }
        Ok(self.workspace.output(self.stages.len() - 1))
    }

    /// Stage `i`'s output from the last forward pass.
    pub fn output(&self, i: usize) -> &[f32] {
        self.workspace.output(i)
    }

    /// The mask of stage `i`'s output from the last forward pass.
    pub fn mask(&self, i: usize) -> Option<&[f32]> {
        self.workspace.output_mask(i)
    }

    /// Stage `i`'s output dims from the last forward pass.
    pub fn dims(&self, i: usize) -> Dims {
        self.workspace.dims(i)
    }

    /// Backward from `dy`, the gradient with respect to the last output, after a forward pass
    /// in training mode; returns the gradient with respect to the input and leaves every
    /// weight's gradient in place.
    pub fn backward(&mut self, dy: &[f32]) -> Result<Vec<f32>> {
        let last = self.stages.len() - 1;
        self.workspace.output_and_grad(last).1.copy_from_slice(dy);
        self.workspace.begin_backward(&[last]);
        let mut dx = vec![0.0; self.x.len()];
        let input = [chain_input(&self.x, self.ids.as_deref(), self.dims, self.mask.as_deref())];
        for (i, (_, stage)) in self.stages.iter_mut().enumerate().rev() {
            let source = if i == 0 { Source::Input(0) } else { Source::Node(i - 1) };
            let mut dxs = [Some(&mut dx[..])];
            self.workspace.backward(i, &mut **stage, [source], &input, self.batch, false, &mut dxs)?;
        }
        Ok(dx)
    }

    /// Every weight, named `stage/weight`.
    pub fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        for (name, stage) in &self.stages {
            visit_prefixed(&**stage, name, visit);
        }
    }

    /// Every weight, writable, in the order of [`Chain::visit_params`].
    pub fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        for (name, stage) in &mut self.stages {
            visit_prefixed_mut(&mut **stage, name, visit);
        }
    }
}

/// A chain's input: `x`, or the same values as token `ids`.
fn chain_input<'a>(x: &'a [f32], ids: Option<&'a [u32]>, dims: Dims, mask: Option<&'a [f32]>) -> Input<'a> {
    match ids {
        Some(ids) => Input::ids(ids, dims),
        None => Input::new(x, dims),
    }
    .with_mask(mask)
}

/// `stage`'s forward pass on one input: `batch` samples of `dims`, `mask` its padding.
pub fn forward_one(
    stage: &mut dyn Stage,
    x: &[f32],
    dims: Dims,
    batch: usize,
    mask: Option<&[f32]>,
    y: &mut [f32],
    mode: Mode,
) -> Result<()> {
    stage.forward(Forward { inputs: &[Input::new(x, dims).with_mask(mask)], batch, mode }, y)
}

/// `stage`'s backward pass on one input, after [`forward_one`] on the same input: `y` its
/// output, `dy` the gradient with respect to it; writes the input's gradient into `dx`.
#[allow(clippy::too_many_arguments)]
pub fn backward_one(
    stage: &mut dyn Stage,
    x: &[f32],
    dims: Dims,
    batch: usize,
    mask: Option<&[f32]>,
    y: &[f32],
    dy: &[f32],
    dx: Option<&mut [f32]>,
) -> Result<()> {
    let inputs = [Input::new(x, dims).with_mask(mask)];
    let args = Backward { inputs: &inputs, batch, output: y, grad_output: dy, dy_is_preactivation: false };
    stage.backward(args, &mut [dx])
}

/// `stage`'s output mask for one input (for a stage that produces one).
pub fn produce_mask_one(
    stage: &dyn Stage,
    x: &[f32],
    dims: Dims,
    batch: usize,
    mask: Option<&[f32]>,
    out_mask: &mut [f32],
) -> Result<()> {
    stage.produce_mask(
        Forward { inputs: &[Input::new(x, dims).with_mask(mask)], batch, mode: Mode::Inference },
        out_mask,
    )
}
