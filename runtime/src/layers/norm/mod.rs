//! Normalizations over the last axis (Keras's `axis = -1`): [`BatchNorm`] (statistics over the
//! batch, moving averages for inference) and [`LayerNorm`] (statistics over each position's
//! features). Both keep the shape (`shaped_rules::normalization`) and the mask.

pub mod batch_norm;
pub mod layer_norm;

pub use batch_norm::{BatchNorm, BatchNormOptions};
pub use layer_norm::LayerNorm;

use crate::error::{Error, Result};
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::{Param, ParamMut};
use crate::shape::Dims;

/// A normalization's learned scale and offset with their gradients: `gamma` (present when
/// `scale`) and `beta` (when `center`), each of `shape`.
struct Affine<'a, T> {
    shape: &'a [usize],
    gamma: (T, T),
    beta: (T, T),
    scale: bool,
    center: bool,
}

/// Visits `gamma` then `beta`, those present, as Keras orders them.
fn visit_affine(a: Affine<'_, &[f32]>, visit: &mut dyn FnMut(Param<'_>)) {
    let shape = a.shape;
    if a.scale {
        visit(Param { name: "gamma", shape, data: a.gamma.0, grad: a.gamma.1, trainable: true });
    }
    if a.center {
        visit(Param { name: "beta", shape, data: a.beta.0, grad: a.beta.1, trainable: true });
    }
}

/// [`visit_affine`], writable.
fn visit_affine_mut(a: Affine<'_, &mut [f32]>, visit: &mut dyn FnMut(ParamMut<'_>)) {
    let shape = a.shape;
    if a.scale {
        visit(ParamMut { name: "gamma", shape, data: a.gamma.0, grad: a.gamma.1, trainable: true });
    }
    if a.center {
        visit(ParamMut { name: "beta", shape, data: a.beta.0, grad: a.beta.1, trainable: true });
    }
}

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
