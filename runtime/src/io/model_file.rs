//! Whole-model files (Keras's `model.save` / `load_model`): one safetensors file holding the
//! model's configuration, its weights, the state of layers like `Dropout` and, when saved from
//! a compiled model, the optimizer's state.
//!
//! The layout is that of the weight files (`io/safetensors.rs`): one `F32` tensor per weight by
//! its Keras path, non-trainable ones included (BatchNorm's moving statistics), plus, for a
//! compiled model, one tensor per optimizer slot, `optimizer/<weight path>/<slot>`
//! (`optimizer/dense/kernel/momentum`). The header's `__metadata__` strings:
//!
//! ```text
//! format          "shaped"
//! model           the model's name (`net`)
//! model_file      "1", the version of this layout
//! config          the configuration as JSON (`shaped::model::config_json`): inputs, every
//!                 layer's class, inputs and arguments (a custom layer's own, or null when it
//!                 has none: then only its weights are saved), outputs
//! state           (when a layer has some) JSON of each layer's state by name: Dropout's
//!                 random generator
//! optimizer       (compiled models) JSON {"name", "iterations", "learning_rate", "params":
//!                 [{"name": weight path, "slots": [slot names]}]} in the optimizer's order;
//!                 "state": null for an optimizer that does not expose its state
//! ```
//!
//! Saving is atomic (a failed save keeps the previous file); loading is all-or-nothing: the
//! configuration is compared first (the first difference is an [`Error::Architecture`]), then
//! every weight, optimizer slot and state is read and checked, and only then is anything
//! written.

use crate::error::{Error, Result};
use crate::io::optimizer_state::{OptimizerState, ParamState};
use crate::io::safetensors::{
    check_tensor, checked_weights, collect_tensors, serialize, write_weights, FORMAT,
};
use crate::io::write_atomically;
use crate::model::{config_json, first_difference, restore_json, state_json, Network};
use safetensors::SafeTensors;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::fs;
use std::path::Path;

/// The `model_file` entry of the metadata: the version of the layout this code writes and reads.
pub const MODEL_FILE_VERSION: &str = "1";

/// The prefix of the optimizer's tensors.
const OPTIMIZER_PREFIX: &str = "optimizer/";

/// A compiled model's optimizer as a file saves it: its Keras name, its step count and its
/// state (`None` for an optimizer that does not expose one).
pub(crate) struct SavedOptimizer {
    pub name: &'static str,
    pub iterations: u64,
    pub state: Option<OptimizerState>,
}

/// A compiled model's optimizer as a file restores it: its name, which the file's must equal,
/// and what takes the file's state (checking it before it changes anything).
pub(crate) struct LoadedOptimizer<'a> {
    pub name: &'static str,
    pub load_state: &'a mut dyn FnMut(OptimizerState) -> Result<()>,
}

/// Saves `model` (configuration, weights, layer state) and, when given, its optimizer's state
/// to the file at `path`, atomically.
pub(crate) fn save<M: Network + ?Sized>(
    model: &M,
    optimizer: Option<SavedOptimizer>,
    path: &Path,
) -> Result<()> {
    let mut tensors = collect_tensors(model)?;
    let mut metadata = HashMap::from([
        ("format".to_string(), FORMAT.to_string()),
        ("model".to_string(), M::NAME.to_string()),
        ("model_file".to_string(), MODEL_FILE_VERSION.to_string()),
        ("config".to_string(), config_json(model).to_string()),
    ]);
    if let Some(state) = state_json(model) {
        metadata.insert("state".to_string(), state.to_string());
    }
    if let Some(optimizer) = optimizer {
        let mut entry = json!({ "name": optimizer.name, "iterations": optimizer.iterations });
        match optimizer.state {
            Some(state) => {
                entry["iterations"] = json!(state.iterations);
                entry["learning_rate"] = json!(state.learning_rate);
                let mut params = Vec::new();
                for param in state.params {
                    let slots: Vec<&str> = param.slots.iter().map(|(n, _)| n.as_str()).collect();
                    params.push(json!({ "name": param.name, "slots": slots }));
                    for (slot, values) in &param.slots {
                        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
                        tensors.push((
                            format!("{OPTIMIZER_PREFIX}{}/{slot}", param.name),
                            vec![values.len()],
                            bytes,
                        ));
                    }
                }
                entry["params"] = json!(params);
            }
            None => entry["state"] = Value::Null,
        }
        metadata.insert("optimizer".to_string(), entry.to_string());
    }
    write_atomically(path, &serialize(&tensors, metadata, path)?)
}

/// Loads the file at `path` into `model` and, when given, its optimizer's state into
/// `optimizer` (all-or-nothing; see the module docs).
pub(crate) fn load<M: Network + ?Sized>(
    model: &mut M,
    mut optimizer: Option<LoadedOptimizer<'_>>,
    path: &Path,
) -> Result<()> {
    let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
    let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|e| Error::format(path, e.to_string()))?;
    let metadata = header.metadata().clone().unwrap_or_default();
    let json_entry = |key: &str| -> Result<Option<Value>> {
        metadata
            .get(key)
            .map(|text| {
                serde_json::from_str(text)
                    .map_err(|e| Error::format(path, format!("its `{key}` metadata is not valid JSON: {e}")))
            })
            .transpose()
    };
    match metadata.get("model_file").map(String::as_str) {
        Some(MODEL_FILE_VERSION) => {}
        Some(other) => {
            return Err(Error::format(
                path,
                format!(
                    "it is a whole-model file of version {other}, but this version of shaped reads version {MODEL_FILE_VERSION}"
                ),
            ))
        }
        None => {
            return Err(Error::format(
                path,
                "it is not a whole-model file (no `model_file` entry in its metadata); a file of `save_weights` loads with `load_weights`",
            ))
        }
    }
    let config = json_entry("config")?.ok_or_else(|| Error::format(path, "it has no `config` entry"))?;
    let mine = config_json(model);
    if let Some(detail) = first_difference(&config, &mine) {
        return Err(Error::Architecture { path: path.display().to_string(), detail });
    }
    let states = json_entry("state")?;
    let saved_optimizer = json_entry("optimizer")?;

    // Everything read and checked before anything changes.
    let weights = checked_weights(model, &bytes, path, |name| name.starts_with(OPTIMIZER_PREFIX))?;
    let optimizer_state = match (&mut optimizer, &saved_optimizer) {
        (Some(optimizer), Some(saved)) => {
            let name = saved.get("name").and_then(Value::as_str).unwrap_or("?");
            if name != optimizer.name {
                return Err(Error::Architecture {
                    path: path.display().to_string(),
                    detail: format!(
                        "its optimizer is `{name}` but this model was compiled with `{}`; compile with the file's optimizer to resume its training, or load the model alone with `load_model`",
                        optimizer.name
                    ),
                });
            }
            optimizer_state(saved, &bytes, path)?
        }
        (Some(optimizer), None) => {
            return Err(Error::format(
                path,
                format!(
                    "it holds no optimizer state (it was saved with `save_model`), so training with `{}` cannot resume from it; load it with `load_model`",
                    optimizer.name
                ),
            ))
        }
        (None, _) => None,
    };

    // Layer configurations and states first, undone if one is refused; then the optimizer,
    // whose `load_state` checks before it changes anything; then the weights, which cannot fail.
    let (config_before, states_before) = (config_json(model), state_json(model));
    if let Err(e) = restore_json(model, Some(&config), states.as_ref()) {
        let _ = restore_json(model, Some(&config_before), states_before.as_ref());
        return Err(e);
    }
    if let (Some(optimizer), Some(state)) = (optimizer, optimizer_state) {
        if let Err(e) = (optimizer.load_state)(state) {
            let _ = restore_json(model, Some(&config_before), states_before.as_ref());
            return Err(Error::format(path, e.to_string()));
        }
    }
    write_weights(model, weights);
    Ok(())
}

/// The optimizer state the `optimizer` metadata `saved` describes, its slots read from the
/// file's tensors; `None` when the optimizer saved none.
fn optimizer_state(saved: &Value, bytes: &[u8], path: &Path) -> Result<Option<OptimizerState>> {
    let Some(params) = saved.get("params").and_then(Value::as_array) else {
        return Ok(None);
    };
    let file = SafeTensors::deserialize(bytes).map_err(|e| Error::format(path, e.to_string()))?;
    let bad = |what: &str| Error::format(path, format!("its optimizer metadata {what}"));
    let iterations =
        saved.get("iterations").and_then(Value::as_u64).ok_or_else(|| bad("has no iteration count"))?;
    let learning_rate = saved.get("learning_rate").and_then(Value::as_f64).map(|lr| lr as f32);
    let mut state = OptimizerState { iterations, learning_rate, params: Vec::new() };
    for param in params {
        let name = param.get("name").and_then(Value::as_str).ok_or_else(|| bad("names no weight"))?;
        let slots = param.get("slots").and_then(Value::as_array).ok_or_else(|| bad("lists no slots"))?;
        let mut values = Vec::new();
        for slot in slots {
            let slot = slot.as_str().ok_or_else(|| bad("has a slot that is not a name"))?;
            let tensor = format!("{OPTIMIZER_PREFIX}{name}/{slot}");
            let len = file.tensor(&tensor).map(|t| t.shape().iter().product()).map_err(|_| {
                Error::Weights { name: tensor.clone(), detail: format!("missing from {}", path.display()) }
            })?;
            values.push((slot.to_string(), check_tensor(&file, path, &tensor, &[len])?));
        }
        state.params.push(ParamState { name: name.to_string(), slots: values });
    }
    Ok(Some(state))
}

/// Whole-model files: the model's configuration, weights and layer state in one file
/// (Keras's `model.save` and `load_model` into the declared model type). Implemented for every
/// [`Network`]; `use shaped::prelude::*` brings it into scope. A compiled model's
/// `Compiled::save` and `Compiled::load` also keep the optimizer's state, to resume training.
pub trait ModelFiles: Network {
    /// Saves the model's configuration (every layer's arguments with Keras's defaults, the
    /// graph, each custom layer's [`Layer::config`]), every weight (non-trainable ones
    /// included) and the state of layers like `Dropout`, to one safetensors file (see the
    /// [module docs](crate::io::model_file) for the layout). Atomic: a failed save keeps the
    /// previous file.
    ///
    /// A custom layer without a configuration ([`Layer::config`] is `None`) has its weights
    /// saved and `"config": null` recorded in the file: loading then cannot check its
    /// arguments.
    ///
    /// ```
    /// use shaped::prelude::*;
    ///
    /// shaped::model! {
    ///     struct Net {
    ///         input: [4],
    ///         Dense(8, activation = relu),
    ///         Dense(2),
    ///     }
    /// }
    /// shaped::model! {
    ///     struct Wider {
    ///         input: [4],
    ///         Dense(16, activation = relu),
    ///         Dense(2),
    ///     }
    /// }
    ///
    /// let dir = std::env::temp_dir().join(format!("shaped-doc-model-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).map_err(|e| shaped::Error::io(&dir, e))?;
    /// let path = dir.join("net.safetensors");
    ///
    /// Net::new(1).save_model(&path)?;
    /// let mut restored = Net::new(2);
    /// restored.load_model(&path)?;
    /// let x = [[0.1, 0.2, 0.3, 0.4]];
    /// let (a, b): (Vec<[f32; 2]>, Vec<[f32; 2]>) = (Net::new(1).predict(&x)?, restored.predict(&x)?);
    /// assert_eq!(a, b);
    ///
    /// // Another architecture is refused before any weight is touched, naming the difference.
    /// let err = Wider::new(0).load_model(&path).unwrap_err();
    /// assert!(err.to_string().ends_with("layer `dense` (Dense): `units` is 8 in the file but 16 in this model"));
    /// # std::fs::remove_dir_all(&dir).map_err(|e| shaped::Error::io(&dir, e))?;
    /// # Ok::<(), shaped::Error>(())
    /// ```
    ///
    /// [`Layer::config`]: crate::layers::Layer::config
    fn save_model(&self, path: impl AsRef<Path>) -> Result<()>
    where
        Self: Sized,
    {
        save(self, None, path.as_ref())
    }

    /// Loads a file written by [`ModelFiles::save_model`] (or `Compiled::save`, whose
    /// optimizer state it leaves aside). All-or-nothing: the file's configuration is compared
    /// with this model's first, and the first difference — a different input, a missing or
    /// extra layer, another class, or an argument with both values (``layer `dense_1` (Dense):
    /// `units` is 64 in the file but 128 in this model``) — is an [`Error::Architecture`];
    /// then every weight is checked as [`crate::io::WeightFiles::load_weights`] checks it. A
    /// truncated or corrupt file, another format version or a missing tensor is an `Err`
    /// naming the file; on any `Err` the model is as it was.
    fn load_model(&mut self, path: impl AsRef<Path>) -> Result<()>
    where
        Self: Sized,
    {
        load(self, None, path.as_ref())
    }
}

impl<N: Network> ModelFiles for N {}
