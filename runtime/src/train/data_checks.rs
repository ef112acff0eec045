//! The checks on the data handed to `fit`, `evaluate` and `train_on_batch`, all made before the
//! first step: a mistake found after some batches would leave a half-trained model. Each `Err`
//! names the place in the user's own data (`x[35]`, `y[3]`, `validation_data.0[7]`), never a
//! position in a shuffled batch, and prints ids as the integers they are.

use crate::error::{Error, Result};
use crate::model::{check_ids, Model, SampleTypes};
use crate::shape::Shape;
use crate::tensor::InputSample;
use crate::train::labels::Labels;
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

/// Every check on one dataset, each `Err` naming the sample and both values:
/// - at least one sample, and as many labels (and sample weights) as samples;
/// - sample weights finite and not negative;
/// - inputs finite, and token ids below the model's `Embedding` size;
/// - label values finite, class ids below the number of outputs, per-step labels as long as
///   their sequence.
pub(crate) fn check_data<M, L, Y>(
    x: &[M::Input],
    y: &[Y],
    sample_weight: Option<&[f32]>,
    names: Names,
) -> Result<()>
where
    M: Model + SampleTypes,
    Y: Labels<L, M::Output>,
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
    let classes = M::Out::DIMS.last().copied().flatten().unwrap_or(1);
    let step_len = <M::Input as InputSample>::STEP_LEN.max(1);
    for (i, (xs, ys)) in x.iter().zip(y).enumerate() {
        if let Some((at, value)) = xs.first_non_finite() {
            let place = match xs.steps() {
                Some(_) => format!("step {}, feature {}", at / step_len, at % step_len),
                None => format!("feature {at}"),
            };
            return Err(Error::InvalidArgument {
                name: names.x,
                detail: format!(
                    "{}[{i}] holds {value} at {place}; replace or drop non-finite values before training",
                    names.x
                ),
            });
        }
        if let Some(limit) = M::INPUT_IDS_BELOW {
            check_ids(xs, limit, i, names.x)?;
        }
        if let Some((at, value)) = ys.first_non_finite() {
            return Err(Error::InvalidArgument {
                name: names.y,
                detail: format!("{}[{i}] holds {value} at {at}; labels must be finite", names.y),
            });
        }
        if Y::SPARSE {
            if let Some((step, id)) = ys.first_id_at_least(classes) {
                let place = if ys.steps().is_some() { format!(" at step {step}") } else { String::new() };
                return Err(Error::InvalidArgument {
                    name: names.y,
                    detail: format!(
                        "{}[{i}] holds class id {id}{place}, but the model has {classes} outputs, so class ids must be below {classes}",
                        names.y
                    ),
                });
            }
        }
        if let (Some(ls), Some(xs)) = (ys.steps(), xs.steps()) {
            if ls != xs {
                return Err(Error::LengthMismatch {
                    context: format!("sequence {}[{i}] and its per-step labels {}[{i}]", names.x, names.y),
                    left: xs,
                    right: ls,
                });
            }
        }
    }
    Ok(())
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
