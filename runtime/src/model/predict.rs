//! Batched prediction on plain Rust values: fixed-size arrays, or variable-length sequences
//! that are padded per batch (after each sequence) and masked.

use crate::error::{Error, Result};
use crate::layers::Mode;
use crate::model::Model;
use crate::shape::{Dims, Shape};
use crate::tensor::{InputSample, OutputSample};

/// Keras's default `predict` batch size.
pub const DEFAULT_BATCH_SIZE: usize = 32;

/// Runs `model` on `x` in batches of `batch_size` and returns one `Y` per sample. Sequences are
/// padded to the longest of their batch and masked; a sequence output keeps each sample's own
/// steps.
///
/// `X` and `Y` must match the model's input and output; the generated `predict` guarantees it
/// in its signature, and a mismatch here is an `Err` naming both sizes.
pub fn predict_samples<M: Model, X: InputSample, Y: OutputSample>(
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
    let static_dims = Dims::from_static(M::In::DIMS);
    let step_len = static_dims.as_slice().iter().skip(1).product::<usize>();
    let expected = if M::In::DIMS.first() == Some(&None) { step_len } else { static_dims.numel() };
    if X::STEP_LEN != expected {
        return Err(Error::shape(
            format!("samples given to model `{}`", M::NAME),
            Dims::keras_pattern(M::In::DIMS),
            format!("samples of {} values per step", X::STEP_LEN),
        ));
    }
    if let Some(limit) = M::INPUT_IDS_BELOW {
        for (i, sample) in x.iter().enumerate() {
            check_ids(sample, limit, i, "x")?;
        }
    }
    let mut out = Vec::with_capacity(x.len());
    let (mut values, mut mask) = (Vec::new(), Vec::new());
    for chunk in x.chunks(batch_size) {
        let steps = chunk.iter().filter_map(InputSample::steps).max().map(|t| t.max(1));
        let per_sample = X::STEP_LEN * steps.unwrap_or(1);
        values.resize(chunk.len() * per_sample, 0.0);
        for (slot, sample) in values.chunks_exact_mut(per_sample).zip(chunk) {
            sample.write_padded(steps.unwrap_or(1), slot);
        }
        let mut dims = static_dims;
        if let Some(t) = steps {
            dims = dims.with_first(t);
            mask.clear();
            for sample in chunk {
                let len = sample.steps().unwrap_or(t);
                mask.extend((0..t).map(|s| if s < len { 1.0 } else { 0.0 }));
            }
        }
        let batch_mask = steps.map(|_| &mask[..]);
        let (y, out_dims) = model.run_masked(&values, dims, chunk.len(), batch_mask, Mode::Inference)?;
        let per_out = out_dims.numel();
        if (Y::SEQUENCE && out_dims.last() != Y::STEP_LEN) || (!Y::SEQUENCE && per_out != Y::STEP_LEN) {
            return Err(Error::shape(
                format!("predictions of model `{}`", M::NAME),
                format!("(None, {})", Y::STEP_LEN),
                out_dims.with_batch_none(),
            ));
        }
        for (row, sample) in y.chunks_exact(per_out.max(1)).zip(chunk) {
            out.push(Y::from_padded(row, sample.steps().unwrap_or(1)));
        }
    }
    Ok(out)
}

/// Token ids must be below the `Embedding`'s `input_dim` (Keras on JAX looks such an id up as
/// NaN, silently).
pub(crate) fn check_ids<X: InputSample>(
    sample: &X,
    limit: usize,
    index: usize,
    name: &'static str,
) -> Result<()> {
    match sample.first_id_at_least(limit) {
        Some((step, id)) => Err(Error::InvalidArgument {
            name,
            detail: format!(
                "{name}[{index}] holds token id {id} at step {step}, but the model's `Embedding` takes ids below {limit} (its input_dim)"
            ),
        }),
        None => Ok(()),
    }
}
