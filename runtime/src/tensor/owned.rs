//! The owned, shape-typed tensor.

use crate::error::{Error, Result};
use crate::shape::check_dims;
use crate::shape::{Dims, Shape};
use crate::tensor::view::{TensorMut, TensorRef};
use std::marker::PhantomData;

/// A batch of samples of per-sample shape `S` (batch axis runtime, first).
///
/// `dims` holds the runtime sizes of every per-sample axis; it always fits `S::DIMS`
/// (static axes equal, [`crate::shape::Dyn`] axes any size).
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor<S: Shape> {
    data: Vec<f32>,
    batch: usize,
    dims: Dims,
    shape: PhantomData<S>,
}

impl<S: Shape> Tensor<S> {
    /// A zero tensor of `batch` samples with per-sample `dims`.
    ///
    /// Returns `Err` naming both shapes if `dims` does not fit `S`, and `Err` when the tensor
    /// would not fit in memory (its size overflows, or the allocation fails).
    pub fn zeros(batch: usize, dims: Dims) -> Result<Self> {
        check_dims::<S>(dims, "tensor dims")?;
        let len = batch_len(batch, dims)?;
        let data = crate::buffer::try_filled(len, 0.0, || format!("a tensor of {batch} samples of {dims}"))?;
        Ok(Tensor { data, batch, dims, shape: PhantomData })
    }

    /// A tensor from flat row-major data holding `batch` samples of per-sample `dims`.
    ///
    /// Returns `Err` if `dims` does not fit `S` or `data.len() != batch · numel(dims)`.
    pub fn from_vec(data: Vec<f32>, batch: usize, dims: Dims) -> Result<Self> {
        check_dims::<S>(dims, "tensor dims")?;
        let needed = batch_len(batch, dims)?;
        if data.len() != needed {
            return Err(Error::LengthMismatch {
                context: format!("data for {batch} samples of {dims} and the {needed} elements they need"),
                left: data.len(),
                right: needed,
            });
        }
        Ok(Tensor { data, batch, dims, shape: PhantomData })
    }

    /// A tensor of a fully static shape from flat data; the batch is `data.len() / numel(S)`.
    ///
    /// Returns `Err` if `S` has a runtime axis or `data.len()` is not a multiple of its size.
    pub fn from_flat(data: Vec<f32>) -> Result<Self> {
        let Some(numel) = S::NUMEL else {
            return Err(Error::shape(
                "Tensor::from_flat",
                "a fully static shape",
                Dims::keras_pattern(S::DIMS),
            ));
        };
        if numel == 0 || !data.len().is_multiple_of(numel) {
            return Err(Error::LengthMismatch {
                context: "data length and a whole number of samples of the per-sample size".into(),
                left: data.len(),
                right: numel,
            });
        }
        let batch = data.len() / numel;
        Self::from_vec(data, batch, Dims::from_static(S::DIMS))
    }

    /// Number of samples.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Per-sample dims.
    pub fn dims(&self) -> Dims {
        self.dims
    }

    /// The flat data, `batch · numel(dims)` values.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// The flat data, mutable.
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// The flat data, owned.
    pub fn into_vec(self) -> Vec<f32> {
        self.data
    }

    /// Sample `b` as a flat slice.
    pub fn sample(&self, b: usize) -> &[f32] {
        let n = self.dims.numel();
        &self.data[b * n..(b + 1) * n]
    }

    /// A borrowed view.
    pub fn view(&self) -> TensorRef<'_, S> {
        TensorRef::new_unchecked(&self.data, self.batch, self.dims)
    }

    /// A mutable borrowed view.
    pub fn view_mut(&mut self) -> TensorMut<'_, S> {
        TensorMut::new_unchecked(&mut self.data, self.batch, self.dims)
    }
}

/// The number of values in `batch` samples of `dims`, or an `Err` naming both when it
/// overflows `usize`.
pub(crate) fn batch_len(batch: usize, dims: Dims) -> Result<usize> {
    dims.batch_numel(batch).ok_or_else(|| Error::InvalidArgument {
        name: "batch",
        detail: format!("{batch} samples of {dims} hold more values than this machine can address"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::Dyn;
    use typenum::{U2, U3, U4};

    #[test]
    fn construction_checks_shapes() {
        let t = Tensor::<(U2, U3)>::from_flat((0..12).map(|v| v as f32).collect()).unwrap();
        assert_eq!(t.batch(), 2);
        assert_eq!(t.sample(1), &[6.0, 7.0, 8.0, 9.0, 10.0, 11.0]);
        let err = Tensor::<(U2, U3)>::zeros(1, Dims::new(&[2, 4]).unwrap()).unwrap_err().to_string();
        assert_eq!(err, "tensor dims must have shape (None, 2, 3), but has shape (None, 2, 4)");
        assert!(Tensor::<(Dyn, U3)>::zeros(4, Dims::new(&[7, 3]).unwrap()).is_ok());
        assert!(Tensor::<(U3,)>::from_flat(vec![0.0; 4]).is_err());
        assert!(Tensor::<(U3,)>::from_vec(vec![0.0; 4], 2, Dims::new(&[3]).unwrap()).is_err());
    }

    #[test]
    fn sizes_that_overflow_or_cannot_be_allocated_are_errors() {
        assert!(Dims::new(&[1 << 40, 1 << 40]).is_none(), "the product overflows");
        let dims = Dims::new(&[1 << 31, 4]).unwrap();
        let err = Tensor::<(Dyn, U4)>::zeros(1 << 40, dims).unwrap_err().to_string();
        assert!(err.contains("more values than this machine can address"), "{err}");
        let err = Tensor::<(Dyn, U4)>::from_vec(Vec::new(), 1 << 40, dims).unwrap_err().to_string();
        assert!(err.contains("more values than this machine can address"), "{err}");
        let err = Tensor::<(Dyn, U4)>::zeros(1, Dims::new(&[1 << 60, 4]).unwrap()).unwrap_err().to_string();
        assert!(err.contains("more memory than can be allocated"), "{err}");
    }
}
