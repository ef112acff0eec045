//! Activation and gradient buffers of a model, sized once and reused for every batch.

use crate::error::Result;
use crate::layers::dense::grow;
use crate::layers::Mode;
use crate::model::stage::Stage;
use crate::shape::Dims;

/// One output buffer and one gradient buffer per layer, plus each layer's output dims. Every
/// buffer grows to the largest batch seen and never shrinks, so a steady stream of batches
/// allocates nothing. The forward pass keeps every layer's output, which is what the backward
/// pass reads.
#[derive(Debug, Default, Clone)]
pub struct Workspace {
    outputs: Vec<Vec<f32>>,
    grads: Vec<Vec<f32>>,
    used: Vec<usize>,
    dims: Vec<Dims>,
    input_dims: Dims,
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
        }
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
        let (before, after) = self.outputs.split_at_mut(index);
        let dst = &mut after[0];
        grow(dst, out_len);
        let src = if index == 0 { input } else { &before[index - 1][..self.used[index - 1]] };
        stage.forward(src, in_dims, batch, &mut dst[..out_len], mode)?;
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

    /// The output of layer `index` and the buffer for the gradient with respect to it, sized
    /// alike: where a loss writes `dL/dy` for the last layer.
    pub fn output_and_grad(&mut self, index: usize) -> (&[f32], &mut [f32]) {
        let len = self.used[index];
        grow(&mut self.grads[index], len);
        (&self.outputs[index][..len], &mut self.grads[index][..len])
    }

    /// Backward through layer `index` after a training run: reads its input, its output and the
    /// gradient with respect to its output; writes its weights' gradients and the gradient with
    /// respect to its input (into the previous layer's gradient buffer, or into `dx` for layer 0
    /// when given).
    #[allow(clippy::too_many_arguments)]
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
        let (before, after) = self.grads.split_at_mut(index);
        let dy = &after[0][..self.used[index]];
        let dx = if index == 0 {
            dx
        } else {
            let buf = &mut before[index - 1];
            grow(buf, self.used[index - 1]);
            Some(&mut buf[..self.used[index - 1]])
        };
        stage.backward(x, in_dims, batch, y, dy, dx, dy_is_preactivation)
    }
}
