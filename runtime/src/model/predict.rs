//! Batched prediction on plain Rust arrays.

use crate::error::{Error, Result};
use crate::layers::Mode;
use crate::model::Model;
use crate::shape::{Dims, Shape};
use crate::tensor::Sample;

/// Keras's default `predict` batch size.
pub const DEFAULT_BATCH_SIZE: usize = 32;

/// Runs `model` on `x` in batches of `batch_size` and returns one `Y` per sample.
///
/// `X` and `Y` must hold exactly the model's static input and output sizes; the generated
/// `predict` guarantees it in its signature, and a mismatch here is an `Err` naming both sizes.
pub fn predict_samples<M: Model, X: Sample, Y: Sample>(
    model: &mut M,
    x: &[X],
    batch_size: usize,
) -> Result<Vec<Y>> {
    if batch_size == 0 {
        return Err(Error::InvalidArgument {
            name: "batch_size",
            detail: "must be at least 1, but is 0".into(),
        });
    }
    let in_dims = Dims::from_static(M::In::DIMS);
    if M::In::NUMEL != Some(X::LEN) {
        return Err(Error::shape(
            format!("samples given to model `{}`", M::NAME),
            Dims::keras_pattern(M::In::DIMS),
            format!("(None, {})", X::LEN),
        ));
    }
    let mut out = Vec::with_capacity(x.len());
    for chunk in x.chunks(batch_size) {
        let (y, out_dims) = model.run(X::flatten(chunk), in_dims, chunk.len(), Mode::Inference)?;
        if out_dims.numel() != Y::LEN {
            return Err(Error::shape(
                format!("predictions of model `{}`", M::NAME),
                format!("(None, {})", Y::LEN),
                out_dims.with_batch_none(),
            ));
        }
        out.extend(y.chunks_exact(Y::LEN).map(Y::from_flat));
    }
    Ok(out)
}
