//! Borrowed tensor views: what layers receive, so no data is copied between layers.

use crate::error::{Error, Result};
use crate::shape::check_dims;
use crate::shape::{Dims, Shape};
use std::marker::PhantomData;

/// A borrowed batch of samples of shape `S` (see [`crate::tensor::Tensor`] for the layout).
#[derive(Clone, Copy, Debug)]
pub struct TensorRef<'a, S: Shape> {
    data: &'a [f32],
    batch: usize,
    dims: Dims,
    mask: Option<&'a [f32]>,
    shape: PhantomData<S>,
}

impl<'a, S: Shape> TensorRef<'a, S> {
    /// A view of `data` as `batch` samples of `dims`; `Err` if the dims do not fit `S` or the
    /// length is not `batch · numel(dims)`.
    pub fn new(data: &'a [f32], batch: usize, dims: Dims) -> Result<Self> {
        check_dims::<S>(dims, "view dims")?;
        if data.len() != batch * dims.numel() {
            return Err(Error::LengthMismatch {
                context: "view data and batch × sample size".into(),
                left: data.len(),
                right: batch * dims.numel(),
            });
        }
        Ok(Self::new_unchecked(data, batch, dims))
    }

    pub(crate) fn new_unchecked(data: &'a [f32], batch: usize, dims: Dims) -> Self {
        TensorRef { data, batch, dims, mask: None, shape: PhantomData }
    }

    /// The same view with a mask over its time axis (`batch · dims[0]` values, 1.0 for a real
    /// step); `None` clears it.
    pub fn with_mask(mut self, mask: Option<&'a [f32]>) -> Self {
        self.mask = mask;
        self
    }

    /// The mask over the time axis, when the batch holds padded sequences: `mask[b · T + t]`
    /// is 1.0 where step `t` of sample `b` is real, 0.0 where it is padding.
    pub fn mask(&self) -> Option<&'a [f32]> {
        self.mask
    }

    /// Number of samples.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Per-sample dims.
    pub fn dims(&self) -> Dims {
        self.dims
    }

    /// The flat data.
    pub fn data(&self) -> &'a [f32] {
        self.data
    }
}

/// A mutable borrowed batch of samples of shape `S`: a layer's output buffer.
#[derive(Debug)]
pub struct TensorMut<'a, S: Shape> {
    data: &'a mut [f32],
    batch: usize,
    dims: Dims,
    shape: PhantomData<S>,
}

impl<'a, S: Shape> TensorMut<'a, S> {
    /// A mutable view; `Err` as for [`TensorRef::new`].
    pub fn new(data: &'a mut [f32], batch: usize, dims: Dims) -> Result<Self> {
        check_dims::<S>(dims, "view dims")?;
        if data.len() != batch * dims.numel() {
            return Err(Error::LengthMismatch {
                context: "view data and batch × sample size".into(),
                left: data.len(),
                right: batch * dims.numel(),
            });
        }
        Ok(Self::new_unchecked(data, batch, dims))
    }

    pub(crate) fn new_unchecked(data: &'a mut [f32], batch: usize, dims: Dims) -> Self {
        TensorMut { data, batch, dims, shape: PhantomData }
    }

    /// Number of samples.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Per-sample dims.
    pub fn dims(&self) -> Dims {
        self.dims
    }

    /// The flat data.
    pub fn data(&self) -> &[f32] {
        self.data
    }

    /// The flat data, to be written.
    pub fn data_mut(&mut self) -> &mut [f32] {
        self.data
    }

    /// The flat data, to be written, for the view's whole lifetime.
    pub fn into_data(self) -> &'a mut [f32] {
        self.data
    }
}
