//! [`check_input_sizes`]: the sizes of padded samples (sequences, images of any size) against
//! the model, before anything runs.

use crate::error::{Error, Result};
use crate::model::{Network, MAX_INPUTS};
use crate::shape::Dims;
use crate::tensor::InputRow;

/// Checks every sample's runtime sizes against the model `net`, before the first step:
/// - an image input with a fixed side (`input: [28, None, 1]`) must have that side;
/// - every combination of sizes must pass the model's shape rules
///   ([`Network::check_dims`]): an image smaller than what the model's windows need (a 5×5 image
///   reaching a 3×3 kernel after two 2×2 poolings) is an `Err` naming the first such sample,
///   its size and the layer, as Keras fails on that image alone; padded in a batch it would
///   give an empty result instead.
///
/// `x_name` names the data in messages (`x`, `validation_data.0`).
pub fn check_input_sizes<N: Network, X: InputRow>(net: &N, x: &[X], x_name: &'static str) -> Result<()> {
    let n_inputs = N::INPUTS.len().min(MAX_INPUTS);
    if !(0..n_inputs).any(|k| N::INPUTS[k].dims.contains(&None)) {
        return Ok(());
    }
    let at = |i: usize, k: usize| match N::INPUTS.len() {
        1 => format!("{x_name}[{i}]"),
        _ => format!("{x_name}[{i}].{}", N::INPUTS[k].name),
    };
    // The shape rules run once per run of equal sizes (bucketed or fixed-size data repeats
    // them); nothing is allocated, so `train_on_batch` stays allocation-free.
    let mut previous: Option<[Dims; MAX_INPUTS]> = None;
    for (i, sample) in x.iter().enumerate() {
        let mut dims = [Dims::default(); MAX_INPUTS];
        for (k, d) in dims.iter_mut().enumerate().take(n_inputs) {
            let spec = N::INPUTS[k].dims;
            let field = sample.field(k);
            let mut runtime = Dims::from_static(spec);
            if let Some([h, w]) = field.extent() {
                runtime = runtime.with_first(h);
                if spec.len() == 3 {
                    if let (Some(fixed), true) = (spec[0], spec[0] != Some(h)) {
                        return Err(side_error(x_name, &at(i, k), "height", fixed, h, spec));
                    }
                    if let Some(fixed) = spec[1] {
                        if fixed != w {
                            return Err(side_error(x_name, &at(i, k), "width", fixed, w, spec));
                        }
                    }
                    runtime = runtime.with_axis(1, w);
                }
            }
            *d = runtime;
        }
        if previous != Some(dims) {
            previous = Some(dims);
            net.check_dims(&dims[..n_inputs]).map_err(|e| Error::InvalidArgument {
                name: x_name,
                detail: format!(
                    "{x_name}[{i}] is {}, which the model cannot take: {e}",
                    describe(&dims[..n_inputs])
                ),
            })?;
        }
    }
    Ok(())
}

/// `Err` for an image whose fixed side differs from the declaration.
fn side_error(
    x_name: &'static str,
    at: &str,
    side: &str,
    fixed: usize,
    found: usize,
    spec: &[Option<usize>],
) -> Error {
    Error::InvalidArgument {
        name: x_name,
        detail: format!(
            "{at} has a {side} of {found}, but the model's input {} fixes it at {fixed}",
            Dims::keras_pattern(spec)
        ),
    }
}

/// `8×9×1`, or `[8, 9, 1] and [5, 3]` for several inputs.
fn describe(dims: &[Dims]) -> String {
    let one = |d: &Dims| match d.as_slice() {
        [h, w, c] => format!("a {h}×{w}×{c} image"),
        [t, f] => format!("a sequence of {t} steps of {f}"),
        other => format!("{other:?}"),
    };
    dims.iter().map(one).collect::<Vec<_>>().join(" with ")
}
