//! The checks on the data handed to `fit`, `evaluate` and `train_on_batch`, all made before the
//! first step: a mistake found after some batches would leave a half-trained model. Each `Err`
//! names the place in the user's own data (`x[35]`, `y[3]`, `validation_data.0[7]`), never a
//! position in a shuffled batch, and prints ids as the integers they are.

use crate::error::{Error, Result};
use crate::model::{check_input_sizes, Network};
use crate::tensor::InputRow;
use crate::train::label_row::LabelRow;
use std::collections::HashMap;

/// How messages name a dataset's inputs and labels.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Names {
    pub(crate) x: &'static str,
    pub(crate) y: &'static str,
}

/// The training data: `x` and `y`.
pub(crate) const TRAINING: Names = Names { x: "x", y: "y" };

/// `FitOptions::validation_data`: `validation_data.0` and `validation_data.1`.
pub(crate) const VALIDATION: Names = Names { x: "validation_data.0", y: "validation_data.1" };

/// Every check on one dataset, each `Err` naming the sample (and, for a model with several
/// inputs or outputs, the field: `x[3].features`, `y[7].click`) and both values:
/// - at least one sample, and as many labels (and sample weights) as samples;
/// - sample weights finite and not negative;
/// - inputs finite, and token ids below the `Embedding` size of the layer that reads them;
/// - label values finite, class ids below the number of outputs, per-step labels as long as
///   their sequence;
/// - every sequence length and image size through the model's shape rules
///   ([`check_input_sizes`]).
pub(crate) fn check_data<N, X, Y, H, O>(
    net: &N,
    x: &[X],
    y: &[Y],
    sample_weight: Option<&[f32]>,
    names: Names,
) -> Result<()>
where
    N: Network,
    X: InputRow,
    Y: LabelRow<H, O>,
{
    if x.is_empty() && y.is_empty() {
        return Err(Error::InvalidArgument {
            name: names.x,
            detail: format!("`{}` is empty; give at least one sample", names.x),
        });
    }
    if x.len() != y.len() {
        return Err(Error::LengthMismatch {
            context: format!("{} and {}", names.x, names.y),
            left: x.len(),
            right: y.len(),
        });
    }
    if let Some(w) = sample_weight {
        if w.len() != x.len() {
            return Err(Error::LengthMismatch {
                context: format!("{} and sample_weight", names.x),
                left: x.len(),
                right: w.len(),
            });
        }
        if let Some((i, w)) = w.iter().enumerate().find(|(_, w)| !w.is_finite() || **w < 0.0) {
            return Err(Error::InvalidArgument {
                name: "sample_weight",
                detail: format!("sample_weight[{i}] is {w}; weights must be finite and not negative"),
            });
        }
    }
    // `x[3]`, or `x[3].features` for a model with several inputs.
    let x_at = |i: usize, k: usize| match N::INPUTS.len() {
        1 => format!("{}[{i}]", names.x),
        _ => format!("{}[{i}].{}", names.x, N::INPUTS[k].name),
    };
    let y_at = |i: usize, j: usize| match N::OUTPUTS.len() {
        1 => format!("{}[{i}]", names.y),
        _ => format!("{}[{i}].{}", names.y, N::OUTPUTS[j].name),
    };
    for (i, (xs, ys)) in x.iter().zip(y).enumerate() {
        for (k, spec) in N::INPUTS.iter().enumerate() {
            let field = xs.field(k);
            if let Some((at, value)) = field.first_non_finite() {
                let step_len = field.step_len().max(1);
                let place = match field.extent() {
                    Some([_, w]) if spec.dims.len() == 3 => {
                        let pixel = at / step_len;
                        format!(
                            "row {}, column {}, channel {}",
                            pixel / w.max(1),
                            pixel % w.max(1),
                            at % step_len
                        )
                    }
                    Some(_) => format!("step {}, feature {}", at / step_len, at % step_len),
                    None => format!("feature {at}"),
                };
                return Err(Error::InvalidArgument {
                    name: names.x,
                    detail: format!(
                        "{} holds {value} at {place}; replace or drop non-finite values before training",
                        x_at(i, k)
                    ),
                });
            }
            if let Some(limit) = spec.ids_below {
                if let Some((step, id)) = field.first_id_at_least(limit) {
                    return Err(Error::InvalidArgument {
                        name: names.x,
                        detail: format!(
                            "{} holds token id {id} at step {step}, but the model's `Embedding` takes ids below {limit} (its input_dim)",
                            x_at(i, k)
                        ),
                    });
                }
            }
        }
        for (j, spec) in N::OUTPUTS.iter().enumerate() {
            if let Some((at, value)) = ys.first_non_finite(j) {
                return Err(Error::InvalidArgument {
                    name: names.y,
                    detail: format!("{} holds {value} at {at}; labels must be finite", y_at(i, j)),
                });
            }
            if Y::sparse(j) {
                let classes = spec.dims.last().copied().flatten().unwrap_or(1);
                if let Some((step, id)) = ys.first_id_at_least(j, classes) {
                    let place =
                        if ys.steps(j).is_some() { format!(" at step {step}") } else { String::new() };
                    return Err(Error::InvalidArgument {
                        name: names.y,
                        detail: format!(
                            "{} holds class id {id}{place}, but the {} has {classes} outputs, so class ids must be below {classes}",
                            y_at(i, j),
                            if N::OUTPUTS.len() == 1 { "model".to_string() } else { format!("output `{}`", spec.name) }
                        ),
                    });
                }
            }
            let source = spec.steps_from.unwrap_or(0);
            if let (Some(ls), Some(xs)) = (ys.steps(j), xs.field(source).steps()) {
                if ls != xs {
                    return Err(Error::LengthMismatch {
                        context: format!(
                            "sequence {} and its per-step labels {}",
                            x_at(i, source),
                            y_at(i, j)
                        ),
                        left: xs,
                        right: ls,
                    });
                }
            }
        }
    }
    check_input_sizes(net, x, names.x)
}

/// Class weights must be finite and not negative (a NaN weight makes every weight NaN).
pub(crate) fn check_class_weight(class_weight: &HashMap<u32, f32>) -> Result<()> {
    let mut bad: Vec<(&u32, &f32)> =
        class_weight.iter().filter(|(_, w)| !w.is_finite() || **w < 0.0).collect();
    bad.sort_by_key(|(class, _)| **class);
    match bad.first() {
        Some((class, weight)) => Err(Error::InvalidArgument {
            name: "class_weight",
            detail: format!(
                "the weight of class {class} is {weight}; class weights must be finite and not negative"
            ),
        }),
        None => Ok(()),
    }
}
