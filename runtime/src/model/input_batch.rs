//! [`InputBatch`]: the samples of one batch laid out as a network's inputs — each input in its
//! own buffer, a sequence input padded after each sequence to its own longest in the batch and
//! masked, a string input's strings end to end — reused from batch to batch.

use crate::buffer::grow;
use crate::layers::spatial_mask::write_extent_mask;
use crate::layers::Input;
use crate::model::{Network, MAX_INPUTS};
use crate::shape::Dims;
use crate::tensor::{InputDType, InputRow, TextBuffer};

/// One input's padded values (or token ids, or strings) and mask.
#[derive(Default, Debug)]
struct InputBuffers {
    values: Vec<f32>,
    ids: Vec<u32>,
    text: TextBuffer,
    mask: Vec<f32>,
}

/// A batch of samples as a network's inputs. Buffers grow to the largest batch seen and never
/// shrink, so a steady stream of batches allocates nothing.
#[derive(Default, Debug)]
pub struct InputBatch {
    buffers: Vec<InputBuffers>,
    dims: [Dims; MAX_INPUTS],
    lens: [usize; MAX_INPUTS],
    masked: [bool; MAX_INPUTS],
    dtypes: [InputDType; MAX_INPUTS],
    count: usize,
    batch: usize,
}

/// How much padding a batch holds: padded positions (steps of a sequence, pixels of an image)
/// and all positions, over its padded inputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Padding {
    /// Positions that are padding.
    pub padded: u64,
    /// All positions.
    pub total: u64,
}

impl InputBatch {
    /// Lays out the samples `idx` of `x` as the inputs of `N`: per input `k`, its values (or
    /// ids) padded to the batch's longest sequence of that input and the mask of real steps.
    pub fn fill<N: Network, X: InputRow>(&mut self, x: &[X], idx: &[usize]) -> Padding {
        let n_inputs = N::INPUTS.len().min(MAX_INPUTS);
        if self.buffers.len() < n_inputs {
            self.buffers.resize_with(n_inputs, InputBuffers::default);
        }
        self.count = n_inputs;
        self.batch = idx.len();
        let mut padding = Padding::default();
        let Some(&first) = idx.first() else {
            // No sample: every input is empty (nothing of an earlier batch shows through).
            self.lens = [0; MAX_INPUTS];
            self.masked = [false; MAX_INPUTS];
            for (k, spec) in N::INPUTS.iter().enumerate().take(n_inputs) {
                self.dims[k] = Dims::from_static(spec.dims);
                self.dtypes[k] = spec.dtype;
            }
            return padding;
        };
        for (k, buf) in self.buffers.iter_mut().enumerate().take(n_inputs) {
            let field = x[first].field(k);
            let dtype = field.dtype();
            if dtype == InputDType::Text {
                // One string per sample, nothing to pad.
                buf.text.clear();
                for &i in idx {
                    buf.text.push(x[i].field(k).text().flatten());
                }
                self.dims[k] = Dims::from_static(N::INPUTS[k].dims);
                self.lens[k] = idx.len();
                self.masked[k] = false;
                self.dtypes[k] = dtype;
                continue;
            }
            let token_ids = dtype == InputDType::U32;
            // The grid every sample of this input is padded to: the longest sequence, or the
            // tallest and widest image, of the batch.
            let padded = idx
                .iter()
                .filter_map(|&i| x[i].field(k).extent())
                .reduce(|a, b| [a[0].max(b[0]), a[1].max(b[1])])
                .map(|[h, w]| [h.max(1), w.max(1)]);
            let grid = padded.unwrap_or([1, 1]);
            let per_sample = field.step_len() * grid[0] * grid[1];
            let len = idx.len() * per_sample;
            if token_ids {
                grow(&mut buf.ids, len);
            } else {
                grow(&mut buf.values, len);
            }
            for (s, &i) in idx.iter().enumerate() {
                let at = s * per_sample..(s + 1) * per_sample;
                let (values, ids) = if token_ids {
                    (&mut [][..], &mut buf.ids[at])
                } else {
                    (&mut buf.values[at], &mut [][..])
                };
                x[i].field(k).write(grid, values, ids);
            }
            let spec = N::INPUTS[k].dims;
            let mut dims = Dims::from_static(spec);
            if padded.is_some() {
                dims = dims.with_first(grid[0]);
                if spec.len() == 3 && spec[1].is_none() {
                    dims = dims.with_axis(1, grid[1]);
                }
                let positions = grid[0] * grid[1];
                grow(&mut buf.mask, idx.len() * positions);
                for (row, &i) in buf.mask.chunks_exact_mut(positions).zip(idx) {
                    let real = x[i].field(k).extent().unwrap_or(grid);
                    let real = [real[0].min(grid[0]), real[1].min(grid[1])];
                    write_extent_mask(row, grid, real);
                    padding.padded += (positions - real[0] * real[1]) as u64;
                    padding.total += positions as u64;
                }
            }
            self.dims[k] = dims;
            self.lens[k] = len;
            self.masked[k] = padded.is_some();
            self.dtypes[k] = dtype;
        }
        padding
    }

    /// The inputs laid out by the last [`InputBatch::fill`] (the first
    /// [`InputBatch::count`] are the network's).
    pub fn inputs(&self) -> [Input<'_>; MAX_INPUTS] {
        std::array::from_fn(|k| match self.buffers.get(k) {
            Some(buf) if k < self.count => {
                let input = match self.dtypes[k] {
                    InputDType::U32 => Input::ids(&buf.ids[..self.lens[k]], self.dims[k]),
                    InputDType::Text => Input::text(buf.text.column(), self.dims[k]),
                    InputDType::F32 => Input::new(&buf.values[..self.lens[k]], self.dims[k]),
                };
                let positions = self.dims[k].mask_positions();
                input.with_mask(self.masked[k].then(|| &buf.mask[..self.batch * positions]))
            }
            _ => Input::new(&[], Dims::default()),
        })
    }

    /// The number of inputs.
    pub fn count(&self) -> usize {
        self.count
    }
}
