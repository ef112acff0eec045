//! A model's configuration (its architecture, Keras's `get_config`) as JSON, and the first
//! difference between two of them: what a whole-model file stores and checks on load.
//!
//! The macro writes each model's nodes as [`Network::NODES`]: every layer's name, class, what it
//! reads and its arguments with Keras's defaults filled in (so `Dense(10)` and
//! `Dense(10, use_bias = true)` have the same configuration). [`config_json`] adds the inputs,
//! the outputs and each custom layer's own configuration ([`crate::layers::Layer::config`],
//! `null` when the layer has none):
//!
//! ```text
//! {"name": "net",
//!  "inputs": [{"name": "input", "dtype": "float32", "shape": [4]}],
//!  "layers": [{"name": "dense", "class": "Dense", "inbound": ["input"],
//!              "config": {"units": 8, "activation": "relu", "use_bias": true}}, ..],
//!  "outputs": ["dense_1"]}
//! ```

use crate::error::{Error, Result};
use crate::layers::Stage;
use crate::model::Network;
use serde_json::{json, Map, Value};

/// One argument's value in a node's configuration, as the macro writes it.
#[derive(Clone, Copy, Debug)]
pub enum ConfigArg {
    /// JSON text the macro knew: `64`, `"relu"`, `true`, `[3, 3]`.
    Json(&'static str),
    /// A size written as a const expression (`Dense(HIDDEN)`), evaluated by the compiler.
    Size(usize),
    /// A list whose items may be const expressions (`Reshape([STEPS, -1])`).
    List(&'static [ConfigArg]),
    /// A layer given as an argument (`TimeDistributed(Dense(8))`): its class and arguments.
    Layer(&'static str, &'static [(&'static str, ConfigArg)]),
}

/// One node of a model, as the macro writes it into [`Network::NODES`].
#[derive(Clone, Copy, Debug)]
pub struct NodeSpec {
    /// The node's name (`dense_1`, or the name written before the layer).
    pub name: &'static str,
    /// The layer's class: `Dense`, or a custom layer's type name.
    pub class: &'static str,
    /// The inputs and nodes it reads, in order.
    pub inbound: &'static [&'static str],
    /// A built-in's arguments with Keras's defaults filled in (empty for a custom layer, whose
    /// configuration comes from [`crate::layers::Layer::config`]).
    pub args: &'static [(&'static str, ConfigArg)],
    /// Whether the layer is a custom layer or a nested model.
    pub custom: bool,
    /// For a node applying another node's layer again: that node's name.
    pub shares: Option<&'static str>,
}

impl ConfigArg {
    /// The value as JSON (`null` for JSON text that does not parse, which the macro never writes).
    pub fn to_json(&self) -> Value {
        match *self {
            ConfigArg::Json(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            ConfigArg::Size(n) => json!(n),
            ConfigArg::List(items) => Value::Array(items.iter().map(ConfigArg::to_json).collect()),
            ConfigArg::Layer(class, args) => json!({ "class": class, "config": args_json(args) }),
        }
    }
}

/// Arguments as a JSON object.
fn args_json(args: &[(&str, ConfigArg)]) -> Value {
    Value::Object(args.iter().map(|(k, v)| (k.to_string(), v.to_json())).collect())
}

/// The configuration of `net` as JSON (see the module docs): the inputs, every node (a custom
/// layer's configuration read from the layer now), the outputs.
pub fn config_json<N: Network + ?Sized>(net: &N) -> Value {
    let mut custom = Map::new();
    net.visit_stages(&mut |name, stage| {
        let config = stage.config().map(|text| serde_json::from_str(&text).unwrap_or(Value::String(text)));
        custom.insert(name.to_string(), config.unwrap_or(Value::Null));
    });
    let inputs: Vec<Value> = N::INPUTS
        .iter()
        .map(|i| json!({ "name": i.name, "dtype": i.dtype.keras_name(), "shape": i.dims }))
        .collect();
    let layers: Vec<Value> = N::NODES
        .iter()
        .map(|node| {
            let mut entry = json!({ "name": node.name, "class": node.class, "inbound": node.inbound });
            if let Some(owner) = node.shares {
                entry["shares"] = json!(owner);
            } else if node.custom {
                entry["config"] = custom.get(node.name).cloned().unwrap_or(Value::Null);
            } else {
                entry["config"] = args_json(node.args);
            }
            entry
        })
        .collect();
    let outputs: Vec<&str> = N::OUTPUTS.iter().map(|o| o.name).collect();
    json!({ "name": N::NAME, "inputs": inputs, "layers": layers, "outputs": outputs })
}

/// The state of every layer that has some ([`Stage::state`]: Dropout's random generator), by
/// node name; `None` when no layer has any.
pub fn state_json<N: Network + ?Sized>(net: &N) -> Option<Value> {
    let mut states = Map::new();
    net.visit_stages(&mut |name, stage| {
        if let Some(state) = stage.state() {
            states.insert(name.to_string(), Value::String(state));
        }
    });
    (!states.is_empty()).then_some(Value::Object(states))
}

/// Hands each custom layer its configuration from `config` (as [`config_json`] wrote it, when
/// not `null`; [`Stage::load_config`]) and each layer its state from `states` (as [`state_json`]
/// wrote it; [`Stage::load_state`]). Stops at the first layer that refuses either, naming it.
pub fn restore_json<N: Network + ?Sized>(
    net: &mut N,
    config: Option<&Value>,
    states: Option<&Value>,
) -> Result<()> {
    let mut result = Ok(());
    let configs: Map<String, Value> = config
        .and_then(|c| c.get("layers"))
        .and_then(Value::as_array)
        .map(|layers| {
            layers
                .iter()
                .filter_map(|l| Some((l.get("name")?.as_str()?.to_string(), l.get("config")?.clone())))
                .collect()
        })
        .unwrap_or_default();
    net.visit_stages_mut(&mut |name, stage: &mut dyn Stage| {
        if result.is_err() {
            return;
        }
        let named = |e: Error| Error::Weights { name: name.to_string(), detail: e.to_string() };
        if let Some(config) = configs.get(name).filter(|c| !c.is_null()) {
            if stage.config().is_some() {
                if let Err(e) = stage.load_config(&config.to_string()) {
                    result = Err(named(e));
                    return;
                }
            }
        }
        if let Some(Value::String(state)) = states.and_then(|s| s.get(name)) {
            if let Err(e) = stage.load_state(state) {
                result = Err(named(e));
            }
        }
    });
    result
}

/// [`restore_json`] of a configuration or state given as JSON text (a nested model's
/// [`crate::layers::Layer::load_config`] and [`crate::layers::Layer::load_state`]).
pub fn restore_text<N: Network + ?Sized>(
    net: &mut N,
    config: Option<&str>,
    state: Option<&str>,
) -> Result<()> {
    let parse = |text: &str| {
        serde_json::from_str::<Value>(text).map_err(|e| Error::InvalidArgument {
            name: "config",
            detail: format!("model `{}` cannot read its saved configuration or state: {e}", N::NAME),
        })
    };
    let config = config.map(parse).transpose()?;
    let state = state.map(parse).transpose()?;
    restore_json(net, config.as_ref(), state.as_ref())
}

/// The first difference between the configuration `file` (read from a file) and `model` (this
/// model's), in words: a different input, a missing or extra layer, another class, other
/// inputs of a layer, or an argument with both values
/// (``layer `dense_1` (Dense): `units` is 64 in the file but 128 in this model``). `None` when
/// they describe the same architecture. The models' names are not compared, nor the
/// configuration of a custom layer that is `null` on either side.
pub fn first_difference(file: &Value, model: &Value) -> Option<String> {
    let list = |v: &Value, key: &str| v.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or("?").to_string();

    let (file_inputs, model_inputs) = (list(file, "inputs"), list(model, "inputs"));
    if file_inputs.len() != model_inputs.len() {
        return Some(format!(
            "the file's model has {} inputs but this model has {}",
            file_inputs.len(),
            model_inputs.len()
        ));
    }
    for (f, m) in file_inputs.iter().zip(&model_inputs) {
        for key in ["name", "dtype", "shape"] {
            if f.get(key) != m.get(key) {
                return Some(format!(
                    "input `{}`: its {key} is {} in the file but {} in this model",
                    text(m, "name"),
                    shown(f.get(key)),
                    shown(m.get(key))
                ));
            }
        }
    }

    let (file_layers, model_layers) = (list(file, "layers"), list(model, "layers"));
    for (i, (f, m)) in file_layers.iter().zip(&model_layers).enumerate() {
        let (f_name, m_name, f_class, m_class) =
            (text(f, "name"), text(m, "name"), text(f, "class"), text(m, "class"));
        if f_name != m_name || f_class != m_class {
            return Some(format!(
                "layer {} is `{f_name}` ({f_class}) in the file but `{m_name}` ({m_class}) in this model",
                i + 1
            ));
        }
        let at = format!("layer `{m_name}` ({m_class})");
        for key in ["inbound", "shares"] {
            if f.get(key) != m.get(key) {
                return Some(format!(
                    "{at}: its {key} is {} in the file but {} in this model",
                    shown(f.get(key)),
                    shown(m.get(key))
                ));
            }
        }
        match (f.get("config"), m.get("config")) {
            (Some(fc), Some(mc)) if !fc.is_null() && !mc.is_null() => {
                if let Some(diff) = value_difference("", fc, mc) {
                    return Some(format!("{at}: {diff}"));
                }
            }
            _ => {}
        }
    }
    if file_layers.len() > model_layers.len() {
        let extra = &file_layers[model_layers.len()];
        return Some(format!(
            "the file has {} layers but this model has {}: the file's layer `{}` ({}) is not in this model",
            file_layers.len(),
            model_layers.len(),
            text(extra, "name"),
            text(extra, "class")
        ));
    }
    if model_layers.len() > file_layers.len() {
        let extra = &model_layers[file_layers.len()];
        return Some(format!(
            "the file has {} layers but this model has {}: this model's layer `{}` ({}) is not in the file",
            file_layers.len(),
            model_layers.len(),
            text(extra, "name"),
            text(extra, "class")
        ));
    }
    if file.get("outputs") != model.get("outputs") {
        return Some(format!(
            "the outputs are {} in the file but {} in this model",
            shown(file.get("outputs")),
            shown(model.get("outputs"))
        ));
    }
    None
}

/// The first difference between two configuration values, by key (objects are compared key by
/// key, in the model's order and then the file's extra keys): ``"`units` is 64 in the file but
/// 128 in this model"``, with a dotted path for nested values (`layer.units`).
fn value_difference(path: &str, file: &Value, model: &Value) -> Option<String> {
    let name = |key: &str| if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
    match (file, model) {
        (Value::Object(f), Value::Object(m)) => {
            for (key, mv) in m {
                match f.get(key) {
                    Some(fv) => {
                        if let Some(diff) = value_difference(&name(key), fv, mv) {
                            return Some(diff);
                        }
                    }
                    None => {
                        return Some(format!(
                            "`{}` is {mv} in this model but missing from the file",
                            name(key)
                        ))
                    }
                }
            }
            f.iter().find(|(key, _)| !m.contains_key(*key)).map(|(key, fv)| {
                format!("`{}` is {fv} in the file but this model has no such argument", name(key))
            })
        }
        _ if file == model => None,
        _ => {
            let what = if path.is_empty() { "its configuration".to_string() } else { format!("`{path}`") };
            Some(format!("{what} is {file} in the file but {model} in this model"))
        }
    }
}

/// A JSON value as the messages show it (`none` when absent).
fn shown(value: Option<&Value>) -> String {
    value.map_or_else(|| "none".to_string(), Value::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(units: u32, activation: &str) -> Value {
        json!({
            "name": "net",
            "inputs": [{"name": "input", "dtype": "float32", "shape": [4]}],
            "layers": [
                {"name": "dense", "class": "Dense", "inbound": ["input"],
                 "config": {"units": 8, "activation": "relu", "use_bias": true}},
                {"name": "dense_1", "class": "Dense", "inbound": ["dense"],
                 "config": {"units": units, "activation": activation, "use_bias": true}},
            ],
            "outputs": ["dense_1"],
        })
    }

    #[test]
    fn equal_configs_have_no_difference() {
        assert_eq!(first_difference(&model(2, "linear"), &model(2, "linear")), None);
    }

    #[test]
    fn an_argument_is_named_with_both_values() {
        assert_eq!(
            first_difference(&model(64, "linear"), &model(128, "linear")).as_deref(),
            Some("layer `dense_1` (Dense): `units` is 64 in the file but 128 in this model")
        );
        assert_eq!(
            first_difference(&model(2, "relu"), &model(2, "linear")).as_deref(),
            Some(
                "layer `dense_1` (Dense): `activation` is \"relu\" in the file but \"linear\" in this model"
            )
        );
    }

    #[test]
    fn inputs_layers_and_nested_values() {
        let mut other = model(2, "linear");
        other["inputs"][0]["shape"] = json!([5]);
        assert_eq!(
            first_difference(&other, &model(2, "linear")).as_deref(),
            Some("input `input`: its shape is [5] in the file but [4] in this model")
        );
        let mut shorter = model(2, "linear");
        shorter["layers"].as_array_mut().unwrap().pop();
        assert_eq!(
            first_difference(&shorter, &model(2, "linear")).as_deref(),
            Some("the file has 1 layers but this model has 2: this model's layer `dense_1` (Dense) is not in the file")
        );
        let (mut a, mut b) = (model(2, "linear"), model(2, "linear"));
        a["layers"][0]["config"] = json!({"layer": {"class": "Dense", "config": {"units": 3}}});
        b["layers"][0]["config"] = json!({"layer": {"class": "Dense", "config": {"units": 4}}});
        assert_eq!(
            first_difference(&a, &b).as_deref(),
            Some("layer `dense` (Dense): `layer.config.units` is 3 in the file but 4 in this model")
        );
        // A custom layer without a configuration on one side is not compared.
        b["layers"][0]["config"] = Value::Null;
        assert_eq!(first_difference(&a, &b), None);
    }
}
