//! Batched prediction on plain Rust values: fixed-size arrays, or variable-length sequences
//! that are padded per batch (after each sequence) and masked.

use crate::error::{Error, Result};
use crate::layers::spatial_mask::real_extent;
use crate::layers::Mode;
use crate::model::{InputBatch, Network, MAX_OUTPUTS};
use crate::tensor::{InputRow, OutputExtent, OutputRow};

/// Keras's default `predict` batch size.
pub const DEFAULT_BATCH_SIZE: usize = 32;

/// Runs `net` on `x` in batches of `batch_size` and returns one `Y` per sample. Each sequence
/// input is padded to the longest of its batch and masked; a sequence output keeps each
/// sample's own steps of the input it follows ([`crate::model::OutputSpec::steps_from`]).
///
/// `X` and `Y` must match the network's inputs and outputs; the generated `predict`
/// guarantees it in its signature, and a mismatch here is an `Err` naming both sizes. Token
/// ids are checked against the `Embedding` that reads them before the first batch.
pub fn predict_samples<N: Network, X: InputRow, Y: OutputRow>(
    net: &mut N,
    x: &[X],
    batch_size: usize,
) -> Result<Vec<Y>> {
    if batch_size == 0 {
        return Err(Error::InvalidArgument {
            name: "batch_size",
            detail: "must be at least 1, but is 0".into(),
        });
    }
    if X::COUNT != N::INPUTS.len() || Y::COUNT != N::OUTPUTS.len() {
        return Err(Error::LengthMismatch {
            context: format!(
                "the inputs and outputs of the samples given to model `{}` and the model's",
                N::NAME
            ),
            left: X::COUNT + Y::COUNT,
            right: N::INPUTS.len() + N::OUTPUTS.len(),
        });
    }
    check_samples::<N, X>(x)?;
    crate::model::check_input_sizes(&*net, x, "x")?;
    let mut out = Vec::with_capacity(x.len());
    let mut batch = InputBatch::default();
    let mut idx = Vec::new();
    for start in (0..x.len()).step_by(batch_size) {
        let end = (start + batch_size).min(x.len());
        idx.clear();
        idx.extend(start..end);
        batch.fill::<N, X>(x, &idx);
        let inputs = batch.inputs();
        net.run_inputs(&inputs[..batch.count()], idx.len(), Mode::Inference)?;
        let mut rows: [(&[f32], usize); MAX_OUTPUTS] = [(&[], 0); MAX_OUTPUTS];
        // Each image output's padded grid, whose mask gives each sample's real rectangle.
        let mut grids = [[1usize; 2]; MAX_OUTPUTS];
        for (j, row) in rows.iter_mut().enumerate().take(Y::COUNT) {
            let (y, out_dims) = net.output_at(j);
            let (step_len, sequence) = Y::layout(j);
            if (sequence && out_dims.last() != step_len) || (!sequence && out_dims.numel() != step_len) {
                return Err(Error::shape(
                    format!("predictions of model `{}`", N::NAME),
                    format!("(None, {step_len})"),
                    out_dims.with_batch_none(),
                ));
            }
            *row = (y, out_dims.numel().max(1));
            grids[j] = match out_dims.as_slice() {
                [h, w, _] => [*h, *w],
                _ => [1, 1],
            };
        }
        for (s, sample) in x[start..end].iter().enumerate() {
            let mut values: [&[f32]; MAX_OUTPUTS] = [&[]; MAX_OUTPUTS];
            for (v, &(y, per)) in values.iter_mut().zip(&rows).take(Y::COUNT) {
                *v = &y[s * per..(s + 1) * per];
            }
            let mut extents = [OutputExtent::default(); MAX_OUTPUTS];
            for (j, (e, spec)) in extents.iter_mut().zip(N::OUTPUTS).enumerate() {
                *e = match (spec.steps_from, spec.dims) {
                    // An image of any size: its own rectangle of the padded grid, from the
                    // output's mask (the whole grid without one).
                    (_, [h, w, _]) if h.is_none() || w.is_none() => {
                        let [rows, cols] = real_extent(net.output_mask_at(j), s, grids[j]);
                        OutputExtent { rows, cols, padded_cols: grids[j][1] }
                    }
                    (Some(k), _) => OutputExtent::steps(sample.field(k).steps().unwrap_or(1)),
                    _ => OutputExtent::default(),
                };
            }
            out.push(Y::from_outputs(&values[..Y::COUNT], &extents[..Y::COUNT]));
        }
    }
    Ok(out)
}

/// Every sample of `x` against the inputs of `N`: each input's layout (values per step, token
/// ids or values, padded or fixed) and its token ids against the `Embedding` that reads them;
/// `Err` naming `x[i]` (or `x[i].input`) and both values.
pub(crate) fn check_samples<N: Network, X: InputRow>(x: &[X]) -> Result<()> {
    for (i, sample) in x.iter().enumerate() {
        for (k, spec) in N::INPUTS.iter().enumerate() {
            let field = sample.field(k);
            // A sequence `[None, F]` or an image with a runtime side (`[None, None, C]`): the
            // sample is one step or pixel of the known axes at a time.
            let ragged = spec.dims.iter().take(2).any(Option::is_none);
            let expected: usize = if ragged {
                spec.dims
                    .iter()
                    .skip(if spec.dims.len() == 3 { 2 } else { 1 })
                    .map(|d| d.unwrap_or(1))
                    .product()
            } else {
                spec.dims.iter().map(|d| d.unwrap_or(1)).product()
            };
            if field.step_len() != expected
                || field.dtype() != spec.dtype
                || field.extent().is_some() != ragged
            {
                return Err(Error::shape(
                    format!("samples given to model `{}`", N::NAME),
                    crate::shape::Dims::keras_pattern(spec.dims),
                    format!("samples of {} values per step", field.step_len()),
                ));
            }
            if let Some(limit) = spec.ids_below {
                if let Some((step, id)) = field.first_id_at_least(limit) {
                    let at = if N::INPUTS.len() == 1 {
                        format!("x[{i}]")
                    } else {
                        format!("x[{i}].{}", spec.name)
                    };
                    return Err(Error::InvalidArgument {
                        name: "x",
                        detail: format!(
                            "{at} holds token id {id} at step {step}, but the model's `Embedding` takes ids below {limit} (its input_dim)"
                        ),
                    });
                }
            }
        }
    }
    Ok(())
}
