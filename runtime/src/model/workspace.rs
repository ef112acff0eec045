//! [`Workspace`]: the output, gradient and mask buffers of a model's nodes, sized once and
//! reused for every batch.
//!
//! A model is a graph: each node runs a [`Stage`] on one or more sources, the model's inputs
//! ([`Source::Input`]) or earlier nodes ([`Source::Node`]). A sequential model is the chain
//! where node `i` reads node `i − 1`. Where one output feeds several nodes, their gradients add
//! up in that output's gradient buffer.

use crate::buffer::grow;
use crate::error::{Error, Result};
use crate::layers::{AdaptPhase, Backward, Forward, Input, MaskRule, Masked, Mode, Stage};
use crate::shape::Dims;

/// Where a node reads from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The model's input `k`.
    Input(usize),
    /// Node `i`'s output.
    Node(usize),
}

/// The per-sample output dims of `stage`, the layer called `name` in its model, reading
/// `sources`, given the model inputs' dims `inputs` and the dims of the nodes before it, `nodes`
/// (no buffer touched): what [`crate::model::Network::check_dims`] runs for each node. A
/// refusal names the layer as the model does (`conv2d_1 (Conv2D)`).
pub fn node_dims<const N: usize>(
    stage: &dyn Stage,
    name: &str,
    sources: [Source; N],
    inputs: &[Dims],
    nodes: &[Dims],
) -> Result<Dims> {
    let in_dims: [Dims; N] = std::array::from_fn(|j| match sources[j] {
        Source::Input(k) => inputs.get(k).copied().unwrap_or_default(),
        Source::Node(i) => nodes.get(i).copied().unwrap_or_default(),
    });
    stage.output_dims(&in_dims).map_err(|e| match e {
        Error::Inputs { reason, .. } => Error::Inputs { layer: format!("{name} ({})", stage.kind()), reason },
        other => other,
    })
}

/// Whose mask applies to a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MaskOf {
    /// The mask of the model's input `k` (from padding).
    Input(usize),
    /// The mask node `i` produced (or combined from its inputs).
    Node(usize),
}

/// One output buffer, one gradient buffer and one mask buffer per node, each node's output
/// dims, and the model inputs' dims and masks. Every buffer grows to the largest batch seen and
/// never shrinks, so a steady stream of batches allocates nothing. The forward pass keeps every
/// node's output, which is what the backward pass reads.
#[derive(Debug, Default, Clone)]
pub struct Workspace {
    outputs: Vec<Vec<f32>>,
    grads: Vec<Vec<f32>>,
    used: Vec<usize>,
    dims: Vec<Dims>,
    masks: Vec<Vec<f32>>,
    mask_len: Vec<usize>,
    mask_of: Vec<Option<MaskOf>>,
    /// Whether a node's gradient buffer holds this backward pass's gradient yet (the next
    /// gradient that reaches it is added).
    written: Vec<bool>,
    inputs: usize,
    input_masks: Vec<Vec<f32>>,
    input_mask_len: Vec<Option<usize>>,
    input_written: Vec<bool>,
    /// Per input slot of a stage: where a gradient that must be added is written first.
    scratch: Vec<Vec<f32>>,
}

impl Workspace {
    /// A workspace for a model of `nodes` nodes and `inputs` inputs.
    pub fn new(nodes: usize, inputs: usize) -> Self {
        Workspace {
            outputs: vec![Vec::new(); nodes],
            grads: vec![Vec::new(); nodes],
            used: vec![0; nodes],
            dims: vec![Dims::default(); nodes],
            masks: vec![Vec::new(); nodes],
            mask_len: vec![0; nodes],
            mask_of: vec![None; nodes],
            written: vec![false; nodes],
            inputs,
            input_masks: vec![Vec::new(); inputs],
            input_mask_len: vec![None; inputs],
            input_written: vec![false; inputs],
            scratch: Vec::new(),
        }
    }

    /// Starts a run on the model's `inputs` (which are then handed to every
    /// [`Workspace::run`] and [`Workspace::backward`] of the pass): checks their number and
    /// copies their masks, which outlive the pass when an output hands one on.
    pub fn begin(&mut self, inputs: &[Input<'_>]) -> Result<()> {
        if inputs.len() != self.inputs {
            return Err(Error::LengthMismatch {
                context: "the inputs given to the model and the inputs it has".into(),
                left: inputs.len(),
                right: self.inputs,
            });
        }
        for (k, input) in inputs.iter().enumerate() {
            self.input_mask_len[k] = input.mask.map(|m| {
                grow(&mut self.input_masks[k], m.len());
                self.input_masks[k][..m.len()].copy_from_slice(m);
                m.len()
            });
        }
        Ok(())
    }

    /// The mask of `source`, if it has one.
    fn mask_of_source(&self, source: Source) -> Option<MaskOf> {
        match source {
            Source::Input(k) => self.input_mask_len[k].map(|_| MaskOf::Input(k)),
            Source::Node(i) => self.mask_of[i],
        }
    }

    fn mask(&self, which: Option<MaskOf>) -> Option<&[f32]> {
        match which? {
            MaskOf::Input(k) => self.input_mask_len[k].map(|len| &self.input_masks[k][..len]),
            MaskOf::Node(i) => Some(&self.masks[i][..self.mask_len[i]]),
        }
    }

    /// `source` as a stage's input (`inputs`: the model's inputs of this pass).
    fn input<'a>(&'a self, source: Source, inputs: &[Input<'a>]) -> Input<'a> {
        let mask = self.mask(self.mask_of_source(source));
        match source {
            Source::Input(k) => inputs[k].with_mask(mask),
            Source::Node(i) => Input::new(&self.outputs[i][..self.used[i]], self.dims[i]).with_mask(mask),
        }
    }

    /// Runs node `node` on `sources` for `batch` samples (`inputs`: the model's inputs of this
    /// pass, as given to [`Workspace::begin`]). Returns the node's output dims.
    pub fn run<const N: usize>(
        &mut self,
        node: usize,
        stage: &mut dyn Stage,
        sources: [Source; N],
        inputs: &[Input<'_>],
        batch: usize,
        mode: Mode,
    ) -> Result<Dims> {
        let in_dims: [Dims; N] = std::array::from_fn(|j| match sources[j] {
            Source::Input(k) => inputs[k].dims,
            Source::Node(i) => self.dims[i],
        });
        let out_dims = stage.output_dims(&in_dims)?;
        let out_len = out_dims.batch_numel(batch).ok_or_else(|| Error::InvalidArgument {
            name: "batch",
            detail: format!("{batch} samples of {out_dims} hold more values than this machine can address"),
        })?;
        // The node's own buffers are taken out while its inputs are borrowed (no allocation).
        let mut out = std::mem::take(&mut self.outputs[node]);
        grow(&mut out, out_len);
        let result = {
            let inputs: [Input<'_>; N] = std::array::from_fn(|j| self.input(sources[j], inputs));
            stage.forward(Forward { inputs: &inputs, batch, mode }, &mut out[..out_len])
        };
        self.outputs[node] = out;
        result?;
        self.mask_of[node] = match stage.mask_rule() {
            MaskRule::Drop => None,
            MaskRule::Keep => self.keep_mask(node, &sources, batch),
            MaskRule::Produce => self.produce_mask(node, stage, sources, inputs, batch, mode, out_dims)?,
            MaskRule::ProduceIf(which) => {
                let masked = sources.iter().filter(|&&s| self.mask_of_source(s).is_some()).count();
                let wanted = match which {
                    Masked::Any => masked > 0,
                    Masked::All => masked == N && N > 0,
                };
                if wanted {
                    self.produce_mask(node, stage, sources, inputs, batch, mode, out_dims)?
                } else {
                    None
                }
            }
        };
        self.used[node] = out_len;
        self.dims[node] = out_dims;
        Ok(out_dims)
    }

    /// Takes node `node`'s layer `stage` through one [`AdaptPhase`]: `Update` hands it its
    /// inputs of this pass (the nodes before it have run on the batch). Returns whether the
    /// layer adapts at all (`false`: nothing was done).
    pub fn adapt<const N: usize>(
        &mut self,
        stage: &mut dyn Stage,
        sources: [Source; N],
        inputs: &[Input<'_>],
        batch: usize,
        phase: AdaptPhase,
    ) -> Result<bool> {
        let Some(adapter) = stage.adapter() else { return Ok(false) };
        match phase {
            AdaptPhase::Begin => adapter.begin(),
            AdaptPhase::Finish => adapter.finish()?,
            AdaptPhase::Update => {
                let [source] = sources.as_slice() else {
                    return Err(Error::LengthMismatch {
                        context: "the inputs of a layer that adapts and the one it reads".into(),
                        left: N,
                        right: 1,
                    });
                };
                adapter.update(self.input(*source, inputs), batch)?;
            }
        }
        Ok(true)
    }

    /// Has `stage` write node `node`'s mask (`batch` × its output's mask positions) from its inputs.
    #[allow(clippy::too_many_arguments)]
    fn produce_mask<const N: usize>(
        &mut self,
        node: usize,
        stage: &dyn Stage,
        sources: [Source; N],
        inputs: &[Input<'_>],
        batch: usize,
        mode: Mode,
        out_dims: Dims,
    ) -> Result<Option<MaskOf>> {
        let len = batch * out_dims.mask_positions();
        let mut mask = std::mem::take(&mut self.masks[node]);
        grow(&mut mask, len);
        let result = {
            let inputs: [Input<'_>; N] = std::array::from_fn(|j| self.input(sources[j], inputs));
            stage.produce_mask(Forward { inputs: &inputs, batch, mode }, &mut mask[..len])
        };
        self.masks[node] = mask;
        result?;
        self.mask_len[node] = len;
        Ok(Some(MaskOf::Node(node)))
    }

    /// The mask of a layer that keeps its inputs' masks: none when no input has one, that mask
    /// when one does, and the steps real in all of them when several do. (Keras's merges
    /// combine masks otherwise, and say so with [`MaskRule::ProduceIf`].)
    fn keep_mask(&mut self, node: usize, sources: &[Source], batch: usize) -> Option<MaskOf> {
        let mut present = sources.iter().filter_map(|&s| self.mask_of_source(s));
        let first = present.next()?;
        if present.next().is_none() {
            return Some(first);
        }
        let len = self.mask(Some(first)).map_or(0, <[f32]>::len);
        debug_assert!(len.is_multiple_of(batch.max(1)));
        let mut combined = std::mem::take(&mut self.masks[node]);
        grow(&mut combined, len);
        combined[..len].fill(1.0);
        for &s in sources {
            if let Some(m) = self.mask(self.mask_of_source(s)) {
                for (c, &v) in combined[..len].iter_mut().zip(m) {
                    if v == 0.0 {
                        *c = 0.0;
                    }
                }
            }
        }
        self.masks[node] = combined;
        self.mask_len[node] = len;
        Some(MaskOf::Node(node))
    }

    /// The output of node `node` from the last run.
    pub fn output(&self, node: usize) -> &[f32] {
        &self.outputs[node][..self.used[node]]
    }

    /// The output dims of node `node` from the last run.
    pub fn dims(&self, node: usize) -> Dims {
        self.dims[node]
    }

    /// The mask of node `node`'s output from the last run, if it has one.
    pub fn output_mask(&self, node: usize) -> Option<&[f32]> {
        self.mask(self.mask_of[node])
    }

    /// The output of node `node` and the buffer for the gradient with respect to it, sized
    /// alike: where a loss writes `dL/dy` for an output node.
    pub fn output_and_grad(&mut self, node: usize) -> (&[f32], &mut [f32]) {
        let len = self.used[node];
        grow(&mut self.grads[node], len);
        (&self.outputs[node][..len], &mut self.grads[node][..len])
    }

    /// Starts a backward pass: the gradients of the `outputs` are in place (written by the
    /// loss through [`Workspace::output_and_grad`]); every other gradient is still to come.
    pub fn begin_backward(&mut self, outputs: &[usize]) {
        self.written.fill(false);
        self.input_written.fill(false);
        for &node in outputs {
            self.written[node] = true;
        }
    }

    /// Backward through node `node` after a training run: reads its inputs, its output and the
    /// gradient with respect to it; writes its weights' gradients and the gradient with respect
    /// to each source, into that node's gradient buffer (added to what other nodes wrote there
    /// already) or, for the model's input `k`, into `dx[k]` when given.
    #[allow(clippy::too_many_arguments)]
    pub fn backward<const N: usize>(
        &mut self,
        node: usize,
        stage: &mut dyn Stage,
        sources: [Source; N],
        inputs: &[Input<'_>],
        batch: usize,
        dy_is_preactivation: bool,
        dx: &mut [Option<&mut [f32]>],
    ) -> Result<()> {
        // Where each slot's gradient goes: straight into its target when nothing has been
        // written there in this pass (and no other slot of this node targets it), else into
        // the slot's scratch buffer, added after.
        let mut direct = [false; N];
        for j in 0..N {
            let fresh = match sources[j] {
                Source::Node(i) => !self.written[i],
                Source::Input(k) => !self.input_written[k],
            };
            direct[j] = fresh && !sources[..j].contains(&sources[j]);
        }
        if self.scratch.len() < N {
            self.scratch.resize_with(N, Vec::new);
        }
        let lens: [usize; N] = std::array::from_fn(|j| match sources[j] {
            Source::Input(k) => inputs[k].data.len(),
            Source::Node(i) => self.used[i],
        });
        // Whether each slot's gradient is wanted: always for a node, for a model input only when
        // its `dx` is given.
        let wanted: [bool; N] = std::array::from_fn(|j| match sources[j] {
            Source::Node(_) => true,
            Source::Input(k) => inputs[k].ids.is_none() && dx.get(k).is_some_and(Option::is_some),
        });
        for j in 0..N {
            if !direct[j] && wanted[j] {
                grow(&mut self.scratch[j], lens[j]);
            }
        }
        let mut dy = std::mem::take(&mut self.grads[node]);
        if !self.written[node] {
            // No gradient reached this node (nothing after it depends on it): it is zero.
            grow(&mut dy, self.used[node]);
            dy[..self.used[node]].fill(0.0);
        }
        let mut grads = std::mem::take(&mut self.grads);
        let mut scratch = std::mem::take(&mut self.scratch);
        let result = {
            let mut slots: [Option<&mut [f32]>; N] = std::array::from_fn(|_| None);
            // Hand out each target once: one pass over each list of buffers.
            for (i, buf) in grads.iter_mut().enumerate() {
                if let Some(j) = (0..N).find(|&j| direct[j] && sources[j] == Source::Node(i)) {
                    grow(buf, lens[j]);
                    slots[j] = Some(&mut buf[..lens[j]]);
                }
            }
            for (k, buf) in dx.iter_mut().enumerate() {
                if let Some(j) = (0..N).find(|&j| direct[j] && sources[j] == Source::Input(k)) {
                    slots[j] = buf.as_deref_mut();
                }
            }
            for (j, buf) in scratch.iter_mut().enumerate().take(N) {
                if !direct[j] && wanted[j] {
                    slots[j] = Some(&mut buf[..lens[j]]);
                }
            }
            let inputs: [Input<'_>; N] = std::array::from_fn(|j| self.input(sources[j], inputs));
            let args = Backward {
                inputs: &inputs,
                batch,
                output: &self.outputs[node][..self.used[node]],
                grad_output: &dy[..self.used[node]],
                dy_is_preactivation,
            };
            stage.backward(args, &mut slots)
        };
        // Add what went to scratch into its target, and mark every target written.
        for j in 0..N {
            match sources[j] {
                Source::Node(i) => {
                    if !direct[j] {
                        grow(&mut grads[i], lens[j]);
                        for (g, s) in grads[i][..lens[j]].iter_mut().zip(&scratch[j][..lens[j]]) {
                            *g += s;
                        }
                    }
                    self.written[i] = true;
                }
                Source::Input(k) => {
                    if let (false, true, Some(Some(target))) = (direct[j], wanted[j], dx.get_mut(k)) {
                        for (g, s) in target.iter_mut().zip(&scratch[j][..lens[j]]) {
                            *g += s;
                        }
                    }
                    self.input_written[k] = true;
                }
            }
        }
        self.scratch = scratch;
        self.grads = grads;
        self.grads[node] = dy;
        result
    }
}
