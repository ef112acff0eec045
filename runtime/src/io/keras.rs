//! Keras weights into a model: one array per weight, named by its Keras path, Keras layout.

use crate::error::{Error, Result};
use crate::io::npz::Npz;
use crate::model::Network;
use std::path::Path;

/// Loads every weight of `model` from the `.npz` at `path`, by Keras path (`dense/kernel`).
///
/// All-or-nothing: every array is read and checked (present, same shape) before any weight of
/// the model is written, so a failed load leaves the model as it was. The `Err` names the first
/// weight that is missing or differs, with both shapes.
pub fn load_npz<M: Network + ?Sized>(model: &mut M, path: &Path) -> Result<()> {
    let npz = Npz::open(path)?;
    let mut arrays = Vec::new();
    let mut first_error = None;
    model.visit_weights(&mut |p| {
        if first_error.is_some() {
            return;
        }
        match npz.get(p.name) {
            Ok(array) if array.shape == p.shape => arrays.push(array.data),
            Ok(array) => {
                first_error = Some(Error::Weights {
                    name: p.name.to_string(),
                    detail: format!(
                        "{} has shape {:?} but the model's weight has shape {:?}",
                        path.display(),
                        array.shape,
                        p.shape
                    ),
                })
            }
            Err(e) => first_error = Some(e),
        }
    });
    if let Some(e) = first_error {
        return Err(e);
    }
    let mut next = arrays.into_iter();
    model.visit_weights_mut(&mut |p| {
        if let Some(values) = next.next() {
            p.data.copy_from_slice(&values);
        }
    });
    Ok(())
}
