//! Activation, gradient and mask buffers of a model, sized once and reused for every batch.

use crate::buffer::grow;
use crate::error::Result;
use crate::layers::Mode;
use crate::model::stage::{MaskRule, Stage};
use crate::shape::Dims;

/// One output buffer and one gradient buffer per layer, each layer's output dims, and the masks
/// of sequence batches. Every buffer grows to the largest batch seen and never shrinks, so a
/// steady stream of batches allocates nothing. The forward pass keeps every layer's output,
/// which is what the backward pass reads.
///
/// Masks: `mask_bufs[0]` holds the data's mask (from padding), `mask_bufs[i + 1]` the mask
/// layer `i` produced; `mask_of[i]` says which of them applies to layer `i`'s output (`None`:
/// no mask), following each layer's [`MaskRule`].
#[derive(Debug, Default, Clone)]
pub struct Workspace {
    outputs: Vec<Vec<f32>>,
    grads: Vec<Vec<f32>>,
    used: Vec<usize>,
    dims: Vec<Dims>,
    input_dims: Dims,
    mask_bufs: Vec<Vec<f32>>,
    mask_len: Vec<usize>,
    input_mask: Option<usize>,
    mask_of: Vec<Option<usize>>,
}

impl Workspace {
    /// A workspace for a model of `layers` layers.
    pub fn new(layers: usize) -> Self {
        Workspace {
            outputs: vec![Vec::new(); layers],
            grads: vec![Vec::new(); layers],
            used: vec![0; layers],
            dims: vec![Dims::default(); layers],
            input_dims: Dims::default(),
            mask_bufs: vec![Vec::new(); layers + 1],
            mask_len: vec![0; layers + 1],
            input_mask: None,
            mask_of: vec![None; layers],
        }
    }

    /// Sets the mask of the next run's input (`batch · steps` values, 1.0 for a real step), or
    /// none. Call before running layer 0.
    pub fn set_input_mask(&mut self, mask: Option<&[f32]>) {
        self.input_mask = mask.map(|m| {
            grow(&mut self.mask_bufs[0], m.len());
            self.mask_bufs[0][..m.len()].copy_from_slice(m);
            self.mask_len[0] = m.len();
            0
        });
    }

    /// The mask that applies to layer `index`'s input.
    fn in_mask_index(&self, index: usize) -> Option<usize> {
        if index == 0 {
            self.input_mask
        } else {
            self.mask_of[index - 1]
        }
    }

    fn mask(&self, which: Option<usize>) -> Option<&[f32]> {
        which.map(|k| &self.mask_bufs[k][..self.mask_len[k]])
    }

    /// Runs layer `index` (0-based) on `batch` samples: layer 0 reads `input`, later layers read
    /// the previous layer's output. Returns the layer's output dims.
    pub fn run(
        &mut self,
        index: usize,
        stage: &mut dyn Stage,
        input: &[f32],
        in_dims: Dims,
        batch: usize,
        mode: Mode,
    ) -> Result<Dims> {
        let out_dims = stage.output_dims(in_dims)?;
        let out_len = batch * out_dims.numel();
        let in_mask = self.in_mask_index(index);
        {
            let (before, after) = self.outputs.split_at_mut(index);
            let dst = &mut after[0];
            grow(dst, out_len);
            let src = if index == 0 { input } else { &before[index - 1][..self.used[index - 1]] };
            let mask = in_mask.map(|k| &self.mask_bufs[k][..self.mask_len[k]]);
            stage.forward_masked(src, in_dims, batch, mask, &mut dst[..out_len], mode)?;
        }
        self.mask_of[index] = match stage.mask_rule() {
            MaskRule::Keep => in_mask,
            MaskRule::Drop => None,
            MaskRule::Produce => {
                let len = batch * out_dims.as_slice().first().copied().unwrap_or(1);
                let (before, after) = self.mask_bufs.split_at_mut(index + 1);
                grow(&mut after[0], len);
                let src = if index == 0 { input } else { &self.outputs[index - 1][..self.used[index - 1]] };
                let mask = in_mask.map(|k| &before[k][..self.mask_len[k]]);
                stage.produce_mask(src, in_dims, batch, mask, &mut after[0][..len])?;
                self.mask_len[index + 1] = len;
                Some(index + 1)
            }
        };
        if index == 0 {
            self.input_dims = in_dims;
        }
        self.used[index] = out_len;
        self.dims[index] = out_dims;
        Ok(out_dims)
    }

    /// The output of layer `index` from the last run.
    pub fn output(&self, index: usize) -> &[f32] {
        &self.outputs[index][..self.used[index]]
    }

    /// The mask of layer `index`'s output from the last run, if it has one.
    pub fn output_mask(&self, index: usize) -> Option<&[f32]> {
        self.mask(self.mask_of[index])
    }

    /// The output of layer `index` and the buffer for the gradient with respect to it, sized
    /// alike: where a loss writes `dL/dy` for the last layer.
    pub fn output_and_grad(&mut self, index: usize) -> (&[f32], &mut [f32]) {
        let len = self.used[index];
        grow(&mut self.grads[index], len);
        (&self.outputs[index][..len], &mut self.grads[index][..len])
    }

    /// Backward through layer `index` after a training run: reads its input, its output, its
    /// input's mask and the gradient with respect to its output; writes its weights' gradients
    /// and the gradient with respect to its input (into the previous layer's gradient buffer,
    /// or into `dx` for layer 0 when given).
    pub fn backward(
        &mut self,
        index: usize,
        stage: &mut dyn Stage,
        input: &[f32],
        batch: usize,
        dy_is_preactivation: bool,
        dx: Option<&mut [f32]>,
    ) -> Result<()> {
        let in_dims = if index == 0 { self.input_dims } else { self.dims[index - 1] };
        let x = if index == 0 { input } else { &self.outputs[index - 1][..self.used[index - 1]] };
        let y = &self.outputs[index][..self.used[index]];
        let mask = self.in_mask_index(index).map(|k| &self.mask_bufs[k][..self.mask_len[k]]);
        let (before, after) = self.grads.split_at_mut(index);
        let dy = &after[0][..self.used[index]];
        let dx = if index == 0 {
            dx
        } else {
            let buf = &mut before[index - 1];
            grow(buf, self.used[index - 1]);
            Some(&mut buf[..self.used[index - 1]])
        };
        stage.backward_masked(x, in_dims, batch, mask, y, dy, dx, dy_is_preactivation)
    }
}
