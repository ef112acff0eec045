//! Model weights in the [safetensors] format, through Hugging Face's `safetensors` crate.
//!
//! One `F32` tensor per weight, named by its Keras path (`dense/kernel`, `dense_1/bias`), in
//! Keras layout (`Dense` kernel: `(in, units)`), plus the header metadata
//! `{"format": "shaped", "model": <Network::NAME>}`:
//!
//! ```text
//! dense/kernel    F32 [5, 4]
//! dense/bias      F32 [4]
//! dense_1/kernel  F32 [4, 3]
//! dense_1/bias    F32 [3]
//! ```
//!
//! Saving is atomic (see `io/atomic_write.rs`: a temporary file of its own beside the target,
//! synced, renamed over it; permissions and symbolic links kept) and loading is all-or-nothing
//! (every name, dtype and shape is checked before any weight is written), so a failed save
//! keeps the previous file and a failed load keeps the model's weights. The same weights give
//! the same bytes: the header's keys are written in sorted order.
//!
//! [safetensors]: https://huggingface.co/docs/safetensors

use crate::error::{Error, Result};
use crate::io::write_atomically;
use crate::model::Network;
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};
use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::Path;

/// One tensor of a file, as [`read_tensors`] returns it: name, shape, row-major values.
pub type NamedTensor = (String, Vec<usize>, Vec<f32>);

/// The `format` entry of the metadata written by [`save_weights`].
pub const FORMAT: &str = "shaped";

/// Saves every weight of `model` to the safetensors file at `path`.
///
/// Atomic: on any error an existing file at `path` is left untouched (see the module docs).
/// The same weights always give the same bytes.
pub fn save_weights<M: Network + ?Sized>(model: &M, path: &Path) -> Result<()> {
    let tensors = collect_tensors(model)?;
    let metadata = HashMap::from([
        ("format".to_string(), FORMAT.to_string()),
        ("model".to_string(), M::NAME.to_string()),
    ]);
    write_atomically(path, &serialize(&tensors, metadata, path)?)
}

/// The bytes of a safetensors file holding `tensors` and `metadata`, its header's keys sorted
/// (the same contents always give the same bytes).
pub(crate) fn serialize(
    tensors: &[Encoded],
    metadata: HashMap<String, String>,
    path: &Path,
) -> Result<Vec<u8>> {
    let views = tensors
        .iter()
        .map(|(name, shape, bytes)| {
            TensorView::new(Dtype::F32, shape.clone(), bytes)
                .map(|view| (name.as_str(), view))
                .map_err(|e| Error::Weights { name: name.clone(), detail: e.to_string() })
        })
        .collect::<Result<Vec<_>>>()?;
    let bytes = safetensors::serialize(views, Some(metadata)).map_err(|e| Error::Weights {
        name: path.display().to_string(),
        detail: format!("cannot serialize to safetensors: {e}"),
    })?;
    canonical_header(bytes, path)
}

/// `bytes` (a serialized safetensors file) with its JSON header's keys in sorted order, the
/// header keeping its length: the `safetensors` crate writes the metadata map in hash order,
/// which differs from run to run.
fn canonical_header(mut bytes: Vec<u8>, path: &Path) -> Result<Vec<u8>> {
    use std::collections::BTreeMap;
    let bad = |detail: String| Error::Weights { name: path.display().to_string(), detail };
    let len = bytes
        .get(..8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_le_bytes)
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n <= bytes.len() - 8)
        .ok_or_else(|| bad("the serialized file has no header".into()))?;
    let header = &bytes[8..8 + len];
    let mut entries: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(header).map_err(|e| bad(format!("cannot read back the header: {e}")))?;
    if let Some(meta) = entries.get_mut("__metadata__") {
        let sorted: BTreeMap<String, serde_json::Value> = serde_json::from_value(meta.take())
            .map_err(|e| bad(format!("cannot read back the metadata: {e}")))?;
        *meta = serde_json::to_value(sorted).map_err(|e| bad(e.to_string()))?;
    }
    let mut canonical = serde_json::to_vec(&entries).map_err(|e| bad(e.to_string()))?;
    if canonical.len() > len {
        return Err(bad(format!(
            "the sorted header takes {} bytes, more than the {len} written",
            canonical.len()
        )));
    }
    canonical.resize(len, b' ');
    bytes[8..8 + len].copy_from_slice(&canonical);
    Ok(bytes)
}

/// Loads every weight of `model` from the safetensors file at `path`, by Keras path.
///
/// All-or-nothing: the file must hold exactly the model's weights, each as `F32` with the
/// model's shape, and all of that is checked before any weight is written. The
/// [`Error::Weights`] names the first weight (in the model's order) that is missing, has another
/// dtype or another shape (stating both), or else the first tensor of the file that the model
/// does not have.
pub fn load_weights<M: Network + ?Sized>(model: &mut M, path: &Path) -> Result<()> {
    let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
    let values = checked_weights(model, &bytes, path, |_| false)?;
    write_weights(model, values);
    Ok(())
}

/// Every weight of `model` read from `file`, in the model's order, after checking that each is
/// present as `F32` with the model's shape and that the file holds no other tensor (but those
/// `ignore` accepts): the checks of [`load_weights`], before anything is written.
pub(crate) fn checked_weights<M: Network + ?Sized>(
    model: &M,
    bytes: &[u8],
    path: &Path,
    ignore: impl Fn(&str) -> bool,
) -> Result<Vec<Vec<f32>>> {
    let file = SafeTensors::deserialize(bytes).map_err(|e| Error::format(path, e.to_string()))?;
    let mut values: Vec<Vec<f32>> = Vec::new();
    let mut wanted = HashSet::new();
    let mut first_error = None;
    model.visit_weights(&mut |p| {
        wanted.insert(p.name.to_string());
        if first_error.is_some() {
            return;
        }
        match check_tensor(&file, path, p.name, p.shape) {
            Ok(data) => values.push(data),
            Err(e) => first_error = Some(e),
        }
    });
    if let Some(e) = first_error {
        return Err(e);
    }
    let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(|e| Error::format(path, e.to_string()))?;
    if let Some(extra) =
        metadata.offset_keys().into_iter().find(|name| !wanted.contains(name) && !ignore(name))
    {
        return Err(Error::Weights {
            name: extra,
            detail: format!("{} holds this tensor but the model has no such weight", path.display()),
        });
    }
    Ok(values)
}

/// Writes `values` (from [`checked_weights`]) into the model's weights, in order.
pub(crate) fn write_weights<M: Network + ?Sized>(model: &mut M, values: Vec<Vec<f32>>) {
    let mut next = values.into_iter();
    model.visit_weights_mut(&mut |p| {
        if let Some(data) = next.next() {
            if data.len() == p.data.len() {
                p.data.copy_from_slice(&data);
            }
        }
    });
}

/// Every tensor of the safetensors file at `path`, in file order, as `(name, shape, values)`.
///
/// Only `F32` tensors are accepted; any other dtype is an [`Error::Weights`] naming the tensor.
pub fn read_tensors(path: &Path) -> Result<Vec<NamedTensor>> {
    let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
    let (_, metadata) = SafeTensors::read_metadata(&bytes).map_err(|e| Error::format(path, e.to_string()))?;
    let file = SafeTensors::deserialize(&bytes).map_err(|e| Error::format(path, e.to_string()))?;
    metadata
        .offset_keys()
        .into_iter()
        .map(|name| {
            let view = file.tensor(&name).map_err(|e| Error::format(path, e.to_string()))?;
            if view.dtype() != Dtype::F32 {
                return Err(dtype_error(path, &name, view.dtype()));
            }
            let shape = view.shape().to_vec();
            Ok((name, shape, f32s(view.data())))
        })
        .collect()
}

/// The metadata (`__metadata__`) of the safetensors file at `path`, `{"format": "shaped",
/// "model": ...}` for files written by [`save_weights`].
pub fn read_metadata(path: &Path) -> Result<HashMap<String, String>> {
    let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
    let (_, metadata) = SafeTensors::read_metadata(&bytes).map_err(|e| Error::format(path, e.to_string()))?;
    Ok(metadata.metadata().clone().unwrap_or_default())
}

/// A weight ready to write: name, shape, little-endian `f32` bytes.
pub(crate) type Encoded = (String, Vec<usize>, Vec<u8>);

/// `(name, shape, little-endian bytes)` for every weight, checking that names are unique and
/// that each buffer matches its shape.
pub(crate) fn collect_tensors<M: Network + ?Sized>(model: &M) -> Result<Vec<Encoded>> {
    let mut tensors = Vec::new();
    let mut seen = HashSet::new();
    let mut first_error = None;
    model.visit_weights(&mut |p| {
        if first_error.is_some() {
            return;
        }
        let numel: usize = p.shape.iter().product();
        if !seen.insert(p.name.to_string()) {
            first_error = Some(Error::Weights {
                name: p.name.to_string(),
                detail: format!("model `{}` has two weights with this name", M::NAME),
            });
        } else if numel != p.data.len() {
            first_error = Some(Error::Weights {
                name: p.name.to_string(),
                detail: format!(
                    "shape {:?} needs {numel} values but the weight holds {}",
                    p.shape,
                    p.data.len()
                ),
            });
        } else {
            let bytes = p.data.iter().flat_map(|v| v.to_le_bytes()).collect();
            tensors.push((p.name.to_string(), p.shape.to_vec(), bytes));
        }
    });
    match first_error {
        Some(e) => Err(e),
        None => Ok(tensors),
    }
}

/// The values of tensor `name` when it is present in `file` as `F32` with shape `shape`.
pub(crate) fn check_tensor(
    file: &SafeTensors<'_>,
    path: &Path,
    name: &str,
    shape: &[usize],
) -> Result<Vec<f32>> {
    let view = file.tensor(name).map_err(|_| Error::Weights {
        name: name.to_string(),
        detail: format!("missing from {}", path.display()),
    })?;
    if view.dtype() != Dtype::F32 {
        return Err(dtype_error(path, name, view.dtype()));
    }
    if view.shape() != shape {
        return Err(Error::Weights {
            name: name.to_string(),
            detail: format!(
                "{} has shape {:?} but the model's weight has shape {:?}",
                path.display(),
                view.shape(),
                shape
            ),
        });
    }
    Ok(f32s(view.data()))
}

fn dtype_error(path: &Path, name: &str, dtype: Dtype) -> Error {
    Error::Weights {
        name: name.to_string(),
        detail: format!("{} stores it as {dtype:?} but the model's weights are F32", path.display()),
    }
}

/// Little-endian `f32`s; a trailing partial value (impossible after validation) is dropped.
fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}
