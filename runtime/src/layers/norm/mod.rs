//! Normalizations over the last axis (Keras's `axis = -1`): [`BatchNorm`] (statistics over the
//! batch, moving averages for inference) and [`LayerNorm`] (statistics over each position's
//! features). Both keep the shape (`shaped_rules::normalization`) and the mask.

pub mod batch_norm;
pub mod layer_norm;

pub use batch_norm::{BatchNorm, BatchNormOptions};
pub use layer_norm::LayerNorm;

use crate::error::{Error, Result};
use crate::layers::shape_rule::rule_dims_one;
use crate::shape::Dims;

/// The output dims of a normalization over `features` (the input's last axis must be it).
fn norm_dims(layer: &str, input: Dims, features: usize, epsilon: f32) -> Result<Dims> {
    let out = rule_dims_one(layer, input, shaped_rules::normalization)?;
    if input.last() != features {
        return Err(Error::shape(
            format!("input of `{layer}`"),
            format!("(None, …, {features})"),
            input.with_batch_none(),
        ));
    }
    if !(epsilon >= 0.0 && epsilon.is_finite()) {
        return Err(Error::InvalidArgument {
            name: "epsilon",
            detail: format!("`{layer}` needs a finite epsilon ≥ 0, got {epsilon}"),
        });
    }
    Ok(out)
}
