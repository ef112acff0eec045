//! Activation buffers of a model, sized once and reused for every batch.

use crate::error::Result;
use crate::layers::Mode;
use crate::model::stage::Stage;
use crate::shape::Dims;

/// One buffer per layer output. Each grows to the largest batch seen and never shrinks, so a
/// steady stream of batches allocates nothing.
#[derive(Debug, Default, Clone)]
pub struct Workspace {
    buffers: Vec<Vec<f32>>,
    used: Vec<usize>,
}

impl Workspace {
    /// A workspace for a model of `layers` layers.
    pub fn new(layers: usize) -> Self {
        Workspace {
            buffers: vec![Vec::new(); layers],
            used: vec![0; layers],
        }
    }

    /// Runs layer `index` (0-based) on `batch` samples: layer 0 reads `input`, later layers read
    /// the previous layer's buffer. Returns the layer's output dims.
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
        let (before, after) = self.buffers.split_at_mut(index);
        let dst = &mut after[0];
        if dst.len() < out_len {
            dst.resize(out_len, 0.0);
        }
        let src = if index == 0 {
            input
        } else {
            &before[index - 1][..self.used[index - 1]]
        };
        stage.forward(src, in_dims, batch, &mut dst[..out_len], mode)?;
        self.used[index] = out_len;
        Ok(out_dims)
    }

    /// The output of layer `index` from the last run.
    pub fn output(&self, index: usize) -> &[f32] {
        &self.buffers[index][..self.used[index]]
    }
}
