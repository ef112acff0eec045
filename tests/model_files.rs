//! Whole-model files (`save_model` / `load_model`, `Compiled::save` / `load`): round trips of a
//! sequential model, a graph and a CNN with BatchNorm and Dropout; every kind of architecture
//! difference named; custom layers' configurations; corrupt files; and training resumed from a
//! file bit for bit.

use serde::{Deserialize, Serialize};
use shaped::prelude::*;
use std::path::{Path, PathBuf};

/// A directory of its own for each test, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("shaped-model-files-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn weight_bits<N: Network>(net: &N) -> Vec<(String, Vec<u32>)> {
    let mut out = Vec::new();
    net.visit_weights(&mut |p| out.push((p.name.to_string(), p.data.iter().map(|v| v.to_bits()).collect())));
    out
}

fn metadata(path: &Path) -> std::collections::HashMap<String, String> {
    shaped::io::safetensors::read_metadata(path).unwrap()
}

shaped::model! {
    struct Mlp {
        input: [4],
        Dense(8, activation = relu),
        Dense(3, activation = softmax),
    }
}

shaped::model! {
    /// `Mlp` with the defaults written out: the same architecture.
    struct MlpExplicit {
        input: [4],
        Dense(8, activation = relu, use_bias = true),
        Dense(3, activation = softmax, use_bias = true),
    }
}

shaped::model! {
    struct MlpWider {
        input: [4],
        Dense(16, activation = relu),
        Dense(3, activation = softmax),
    }
}

shaped::model! {
    struct MlpTanh {
        input: [4],
        Dense(8, activation = tanh),
        Dense(3, activation = softmax),
    }
}

shaped::model! {
    struct MlpDropout {
        input: [4],
        Dense(8, activation = relu),
        Dropout(0.5),
        Dense(3, activation = softmax),
    }
}

shaped::model! {
    struct MlpDeeper {
        input: [4],
        Dense(8, activation = relu),
        Dense(3, activation = softmax),
        Dense(3),
    }
}

shaped::model! {
    struct MlpWideInput {
        input: [5],
        Dense(8, activation = relu),
        Dense(3, activation = softmax),
    }
}

shaped::model! {
    struct TwinHeads {
        input a: [4],
        input b: [4],
        shared: Dense(3, activation = tanh)(a),
        shared_b: shared(b),
        cat: Concatenate()(shared, shared_b),
        hidden: Dense(5, activation = relu)(cat),
        proj: Dense(3)(hidden),
        added: Add()(proj, shared),
        output label: Dense(3, activation = softmax)(hidden),
        output score: Dense(1)(added),
    }
}

shaped::model! {
    struct Cnn {
        input: [8, 8, 1],
        Conv2d(4, 3, padding = same, activation = relu),
        BatchNorm,
        MaxPool2d(2),
        Dropout(0.25),
        Flatten,
        Dense(3, activation = softmax),
    }
}

#[test]
fn a_sequential_model_round_trips() {
    let dir = TempDir::new("mlp");
    let path = dir.path("mlp.safetensors");
    let mut saved = Mlp::new(1);
    saved.save_model(&path).unwrap();
    let mut loaded = Mlp::new(2);
    assert_ne!(weight_bits(&saved), weight_bits(&loaded));
    loaded.load_model(&path).unwrap();
    assert_eq!(weight_bits(&saved), weight_bits(&loaded));
    let x = [[0.1, -0.2, 0.3, 0.4], [1.0, 0.0, -1.0, 0.5]];
    let (a, b): (Vec<[f32; 3]>, Vec<[f32; 3]>) = (saved.predict(&x).unwrap(), loaded.predict(&x).unwrap());
    assert_eq!(a, b);

    // The defaults written out are the same configuration.
    MlpExplicit::new(3).load_model(&path).unwrap();

    // The file's configuration, as the metadata holds it.
    let meta = metadata(&path);
    assert_eq!(meta["model_file"], "1");
    let config: serde_json::Value = serde_json::from_str(&meta["config"]).unwrap();
    assert_eq!(
        config["layers"][0],
        serde_json::json!({"name": "dense", "class": "Dense", "inbound": ["input"],
            "config": {"units": 8, "activation": "relu", "use_bias": true}})
    );
    assert_eq!(config["inputs"], serde_json::json!([{"name": "input", "dtype": "float32", "shape": [4]}]));
}

#[test]
fn a_graph_model_round_trips() {
    let dir = TempDir::new("graph");
    let path = dir.path("graph.safetensors");
    let mut saved = TwinHeads::new(1);
    saved.save_model(&path).unwrap();
    let mut loaded = TwinHeads::new(2);
    loaded.load_model(&path).unwrap();
    assert_eq!(weight_bits(&saved), weight_bits(&loaded));
    let x = vec![
        TwinHeadsInput { a: [0.1, 0.2, 0.3, 0.4], b: [-0.5, 0.5, 1.0, 0.0] },
        TwinHeadsInput { a: [1.0, -1.0, 0.0, 2.0], b: [0.3, 0.3, 0.3, 0.3] },
    ];
    assert_eq!(saved.predict(&x).unwrap(), loaded.predict(&x).unwrap());

    let config: serde_json::Value = serde_json::from_str(&metadata(&path)["config"]).unwrap();
    let layers = config["layers"].as_array().unwrap();
    assert_eq!(
        layers[1],
        serde_json::json!({"name": "shared_b", "class": "Dense", "inbound": ["b"], "shares": "shared"})
    );
    assert_eq!(layers[2]["inbound"], serde_json::json!(["shared", "shared_b"]));
    assert_eq!(layers[2]["config"], serde_json::json!({"axis": -1}));
    assert_eq!(config["outputs"], serde_json::json!(["label", "score"]));
}

#[test]
fn a_cnn_with_batch_norm_and_dropout_round_trips() {
    let dir = TempDir::new("cnn");
    let path = dir.path("cnn.safetensors");
    let x: Vec<[[[f32; 1]; 8]; 8]> = (0..12)
        .map(|i| std::array::from_fn(|r| std::array::from_fn(|c| [((i * 7 + r * 3 + c) % 11) as f32 / 11.0])))
        .collect();
    let y: Vec<u32> = (0..12).map(|i| i % 3).collect();
    let mut trained =
        Cnn::new(0).compile(Adam::default(), SparseCategoricalCrossentropy::default(), []).unwrap();
    let options = FitOptions { epochs: 2, batch_size: 4, verbose: Verbose::Silent, ..Default::default() };
    trained.fit(&x, &y, options).unwrap();
    trained.save_model(&path).unwrap();

    let mut loaded = Cnn::new(5);
    loaded.load_model(&path).unwrap();
    // The moving statistics (non-trainable) came along.
    let moving: Vec<_> =
        weight_bits(&loaded).into_iter().filter(|(name, _)| name.contains("moving")).collect::<Vec<_>>();
    assert_eq!(moving.len(), 2);
    assert_eq!(weight_bits(trained.model()), weight_bits(&loaded));
    let a: Vec<[f32; 3]> = trained.predict(&x).unwrap();
    let b: Vec<[f32; 3]> = loaded.predict(&x).unwrap();
    assert_eq!(a, b);

    let config: serde_json::Value = serde_json::from_str(&metadata(&path)["config"]).unwrap();
    assert_eq!(
        config["layers"][0]["config"],
        serde_json::json!({"filters": 4, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
            "dilation_rate": [1, 1], "groups": 1, "activation": "relu", "use_bias": true})
    );
    assert_eq!(
        config["layers"][1]["config"],
        serde_json::json!({"axis": -1, "momentum": 0.99, "epsilon": 0.001, "center": true, "scale": true})
    );
    assert_eq!(config["layers"][3]["config"], serde_json::json!({"rate": 0.25, "seed": null}));
    // Dropout's generator is saved as the layer's state.
    let state: serde_json::Value = serde_json::from_str(&metadata(&path)["state"]).unwrap();
    assert!(state["dropout"].is_string(), "{state}");
}

/// The error of loading the file at `path` into `model`, with the model unchanged.
fn refused<N: Network>(mut model: N, path: &Path) -> String {
    let before = weight_bits(&model);
    let err = model.load_model(path).unwrap_err();
    assert!(matches!(err, shaped::Error::Architecture { .. }), "{err:?}");
    assert_eq!(weight_bits(&model), before, "a refused load changed the weights");
    err.to_string()
}

#[test]
fn another_architecture_is_refused_naming_the_difference() {
    let dir = TempDir::new("diff");
    let path = dir.path("mlp.safetensors");
    Mlp::new(1).save_model(&path).unwrap();
    let shown = path.display().to_string();

    let argument = refused(MlpWider::new(0), &path);
    assert_eq!(
        argument,
        format!("cannot load {shown}: it was saved from a different model: layer `dense` (Dense): `units` is 8 in the file but 16 in this model")
    );
    assert!(refused(MlpTanh::new(0), &path)
        .ends_with("layer `dense` (Dense): `activation` is \"relu\" in the file but \"tanh\" in this model"));
    assert!(refused(MlpDropout::new(0), &path)
        .ends_with("layer 2 is `dense_1` (Dense) in the file but `dropout` (Dropout) in this model"));
    assert!(refused(MlpDeeper::new(0), &path).ends_with(
        "the file has 2 layers but this model has 3: this model's layer `dense_2` (Dense) is not in the file"
    ));
    assert!(refused(MlpWideInput::new(0), &path)
        .ends_with("input `input`: its shape is [4] in the file but [5] in this model"));
}

/// `y = x · factor + w`: a custom layer with a serde configuration and one weight.
#[derive(Serialize, Deserialize)]
struct Shift {
    factor: f32,
    label: String,
    #[serde(skip)]
    w: [f32; 4],
    #[serde(skip)]
    grad: [f32; 4],
}

impl Shift {
    fn new(factor: f32, label: &str) -> Self {
        Shift { factor, label: label.into(), w: [0.5, -0.5, 0.25, 1.0], grad: [0.0; 4] }
    }
}

type In4 = (shaped::dim!(4),);

impl Layer<In4> for Shift {
    type Out = In4;
    fn forward(&mut self, x: TensorRef<'_, In4>, mut y: TensorMut<'_, In4>, _: Mode) -> shaped::Result<()> {
        for (out, row) in y.data_mut().chunks_mut(4).zip(x.data().chunks(4)) {
            for ((o, x), w) in out.iter_mut().zip(row).zip(&self.w) {
                *o = x * self.factor + w;
            }
        }
        Ok(())
    }
    fn backward(
        &mut self,
        _x: TensorRef<'_, In4>,
        _y: TensorRef<'_, In4>,
        dy: TensorRef<'_, In4>,
        dx: Option<TensorMut<'_, In4>>,
    ) -> shaped::Result<()> {
        self.grad = [0.0; 4];
        for d in dy.data().chunks(4) {
            self.grad.iter_mut().zip(d).for_each(|(g, d)| *g += d);
        }
        if let Some(mut dx) = dx {
            dx.data_mut().iter_mut().zip(dy.data()).for_each(|(g, d)| *g = d * self.factor);
        }
        Ok(())
    }
    fn visit_params(&self, visit: &mut dyn FnMut(shaped::layers::Param<'_>)) {
        visit(shaped::layers::Param {
            name: "w",
            shape: &[4],
            data: &self.w,
            grad: &self.grad,
            trainable: true,
        });
    }
    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(shaped::layers::ParamMut<'_>)) {
        visit(shaped::layers::ParamMut {
            name: "w",
            shape: &[4],
            data: &mut self.w,
            grad: &mut self.grad,
            trainable: true,
        });
    }
    fn config(&self) -> Option<String> {
        serde_json::to_string(self).ok()
    }
}

/// [`Shift`] without a configuration.
struct Plain(Shift);

impl Layer<In4> for Plain {
    type Out = In4;
    fn forward(&mut self, x: TensorRef<'_, In4>, y: TensorMut<'_, In4>, mode: Mode) -> shaped::Result<()> {
        self.0.forward(x, y, mode)
    }
    fn backward(
        &mut self,
        x: TensorRef<'_, In4>,
        y: TensorRef<'_, In4>,
        dy: TensorRef<'_, In4>,
        dx: Option<TensorMut<'_, In4>>,
    ) -> shaped::Result<()> {
        self.0.backward(x, y, dy, dx)
    }
    fn visit_params(&self, visit: &mut dyn FnMut(shaped::layers::Param<'_>)) {
        self.0.visit_params(visit)
    }
    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(shaped::layers::ParamMut<'_>)) {
        self.0.visit_params_mut(visit)
    }
}

shaped::model! {
    struct Custom {
        input: [4],
        shift: Shift::new(2.0, "twice") -> [4],
        Dense(2),
    }
}

shaped::model! {
    struct CustomOther {
        input: [4],
        shift: Shift::new(3.0, "twice") -> [4],
        Dense(2),
    }
}

shaped::model! {
    struct NoConfig {
        input: [4],
        plain: Plain(Shift::new(2.0, "twice")) -> [4],
        Dense(2),
    }
}

#[test]
fn a_custom_layer_saves_its_config_and_a_different_one_is_named() {
    let dir = TempDir::new("custom");
    let path = dir.path("custom.safetensors");
    let mut saved = Custom::new(1);
    saved.visit_weights_mut(&mut |p| p.data.iter_mut().for_each(|v| *v += 1.0));
    saved.save_model(&path).unwrap();
    let config: serde_json::Value = serde_json::from_str(&metadata(&path)["config"]).unwrap();
    assert_eq!(
        config["layers"][0],
        serde_json::json!({"name": "shift", "class": "Shift", "inbound": ["input"],
            "config": {"factor": 2.0, "label": "twice"}})
    );
    let mut loaded = Custom::new(2);
    loaded.load_model(&path).unwrap();
    assert_eq!(weight_bits(&saved), weight_bits(&loaded));

    assert!(refused(CustomOther::new(0), &path)
        .ends_with("layer `shift` (Shift): `factor` is 2.0 in the file but 3.0 in this model"));
}

#[test]
fn a_custom_layer_without_config_saves_its_weights_and_the_file_says_so() {
    let dir = TempDir::new("plain");
    let path = dir.path("plain.safetensors");
    let mut saved = NoConfig::new(1);
    saved.visit_weights_mut(&mut |p| p.data.iter_mut().for_each(|v| *v -= 0.5));
    saved.save_model(&path).unwrap();
    let config: serde_json::Value = serde_json::from_str(&metadata(&path)["config"]).unwrap();
    assert_eq!(config["layers"][0]["class"], "Plain");
    assert!(config["layers"][0]["config"].is_null(), "{config}");
    let names: Vec<String> =
        shaped::io::safetensors::read_tensors(&path).unwrap().into_iter().map(|(n, ..)| n).collect();
    assert!(names.contains(&"plain/w".to_string()), "{names:?}");
    let mut loaded = NoConfig::new(2);
    loaded.load_model(&path).unwrap();
    assert_eq!(weight_bits(&saved), weight_bits(&loaded));
}

/// `bytes` with the first `from` replaced by `to`, of the same length.
fn replaced(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = bytes.windows(from.len()).position(|w| w == from).expect("the text to replace");
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to);
    out
}

#[test]
fn corrupt_truncated_and_foreign_files_are_errors_that_change_nothing() {
    let dir = TempDir::new("corrupt");
    let path = dir.path("mlp.safetensors");
    Mlp::new(1).save_model(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let shown = path.display().to_string();
    let mut model = Mlp::new(2);
    let before = weight_bits(&model);

    let truncated = dir.path("truncated.safetensors");
    std::fs::write(&truncated, &bytes[..bytes.len() - 7]).unwrap();
    let err = model.load_model(&truncated).unwrap_err().to_string();
    assert!(err.starts_with(&format!("cannot read {}", truncated.display())), "{err}");

    let garbage = dir.path("garbage.safetensors");
    std::fs::write(&garbage, b"not a safetensors file at all").unwrap();
    let err = model.load_model(&garbage).unwrap_err().to_string();
    assert!(err.starts_with(&format!("cannot read {}", garbage.display())), "{err}");

    // A weight file is not a whole-model file.
    let weights = dir.path("weights.safetensors");
    Mlp::new(1).save_weights(&weights).unwrap();
    let err = model.load_model(&weights).unwrap_err().to_string();
    assert!(err.contains("it is not a whole-model file"), "{err}");

    // Another format version.
    let version = dir.path("version.safetensors");
    std::fs::write(&version, replaced(&bytes, b"\"model_file\":\"1\"", b"\"model_file\":\"9\"")).unwrap();
    let err = model.load_model(&version).unwrap_err().to_string();
    assert!(err.contains("version 9, but this version of shaped reads version 1"), "{err}");

    // A missing tensor: the name of a weight changed in place (same length).
    let missing = dir.path("missing.safetensors");
    std::fs::write(&missing, replaced(&bytes, b"dense_1/bias", b"dense_1/bia5")).unwrap();
    let err = model.load_model(&missing).unwrap_err().to_string();
    assert!(err.contains("dense_1/bias") && err.contains("missing from"), "{err}");

    assert!(model.load_model(dir.path("absent.safetensors")).is_err());
    assert_eq!(weight_bits(&model), before);
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "{shown} changed");
}

#[test]
fn a_failed_save_keeps_the_previous_file() {
    let dir = TempDir::new("failed-save");
    let path = dir.path("mlp.safetensors");
    Mlp::new(1).save_model(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    // Saving over a directory fails, and saving to a file in a missing directory fails; the
    // existing file is untouched either way.
    assert!(Mlp::new(2).save_model(&dir.0).is_err());
    assert!(Mlp::new(2).save_model(dir.path("missing/mlp.safetensors")).is_err());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let locked = dir.path("locked");
        std::fs::create_dir_all(&locked).unwrap();
        let target = locked.join("mlp.safetensors");
        Mlp::new(1).save_model(&target).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o500)).unwrap();
        let result = Mlp::new(2).save_model(&target);
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
        // Root may write anyway; otherwise the save fails and the file is as it was.
        if result.is_err() {
            assert_eq!(std::fs::read(&target).unwrap(), bytes);
        }
    }
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

shaped::model! {
    struct Resumable {
        input: [3],
        Dense(6, activation = relu),
        Dropout(0.3),
        Dense(2, activation = softmax),
    }
}

fn resume_data() -> (Vec<[f32; 3]>, Vec<u32>) {
    let x: Vec<[f32; 3]> =
        (0..40).map(|i| [(i % 7) as f32 / 7.0, (i % 5) as f32 / 5.0, (i % 3) as f32]).collect();
    let y: Vec<u32> = x.iter().map(|r| u32::from(r[0] + r[1] > 0.8)).collect();
    (x, y)
}

fn fit_options(from: usize, to: usize) -> FitOptions<'static, [f32; 3], u32> {
    FitOptions {
        initial_epoch: from,
        epochs: to,
        batch_size: 8,
        seed: 11,
        verbose: Verbose::Silent,
        ..Default::default()
    }
}

#[test]
fn training_resumes_bit_identically_with_adam_and_dropout() {
    let dir = TempDir::new("resume");
    let path = dir.path("checkpoint.safetensors");
    let (x, y) = resume_data();
    let compile =
        |seed| Resumable::new(seed).compile(Adam::default(), SparseCategoricalCrossentropy::default(), []);

    let mut straight = compile(3).unwrap();
    straight.fit(&x, &y, fit_options(0, 10)).unwrap();

    let mut first = compile(3).unwrap();
    first.fit(&x, &y, fit_options(0, 5)).unwrap();
    first.save(&path).unwrap();
    let meta = metadata(&path);
    let optimizer: serde_json::Value = serde_json::from_str(&meta["optimizer"]).unwrap();
    assert_eq!(optimizer["name"], "adam");
    assert_eq!(optimizer["iterations"], 25);
    let tensors: Vec<String> =
        shaped::io::safetensors::read_tensors(&path).unwrap().into_iter().map(|(n, ..)| n).collect();
    assert!(tensors.contains(&"optimizer/dense/kernel/momentum".to_string()), "{tensors:?}");
    assert!(tensors.contains(&"optimizer/dense/kernel/velocity".to_string()), "{tensors:?}");

    let mut resumed = compile(99).unwrap();
    resumed.load(&path).unwrap();
    assert_eq!(resumed.optimizer().iterations(), 25);
    resumed.fit(&x, &y, fit_options(5, 10)).unwrap();
    assert_eq!(weight_bits(straight.model()), weight_bits(resumed.model()));
    assert_eq!(resumed.optimizer().iterations(), straight.optimizer().iterations());

    // Without the optimizer's state (a file of `save_model`), the same steps differ.
    let plain = dir.path("plain.safetensors");
    first.save_model(&plain).unwrap();
    let mut fresh = compile(99).unwrap();
    fresh.load_model(&plain).unwrap();
    fresh.fit(&x, &y, fit_options(5, 10)).unwrap();
    assert_ne!(weight_bits(straight.model()), weight_bits(fresh.model()));
    // `Compiled::load` needs the optimizer's state.
    let err = compile(0).unwrap().load(&plain).unwrap_err().to_string();
    assert!(err.contains("holds no optimizer state"), "{err}");
}

#[test]
fn another_optimizer_is_refused() {
    let dir = TempDir::new("optimizer");
    let path = dir.path("checkpoint.safetensors");
    let (x, y) = resume_data();
    let mut adam =
        Resumable::new(0).compile(Adam::default(), SparseCategoricalCrossentropy::default(), []).unwrap();
    adam.fit(&x, &y, fit_options(0, 1)).unwrap();
    adam.save(&path).unwrap();
    let mut sgd =
        Resumable::new(1).compile(Sgd::default(), SparseCategoricalCrossentropy::default(), []).unwrap();
    let before = weight_bits(sgd.model());
    let err = sgd.load(&path).unwrap_err().to_string();
    assert!(err.ends_with("its optimizer is `adam` but this model was compiled with `sgd`; compile with the file's optimizer to resume its training, or load the model alone with `load_model`"), "{err}");
    assert_eq!(weight_bits(sgd.model()), before);
    // The model alone loads.
    sgd.load_model(&path).unwrap();
    assert_eq!(weight_bits(sgd.model()), weight_bits(adam.model()));
}

const HIDDEN: usize = 6;

shaped::model! {
    struct ConstSized {
        input: [4],
        Dense(HIDDEN, activation = relu),
        Reshape([HIDDEN / 2, -1]),
        Flatten,
        Dense(2),
    }
}

#[test]
fn const_expression_sizes_are_saved_as_their_values() {
    let config = shaped::model::config_json(&ConstSized::new(0));
    assert_eq!(config["layers"][0]["config"]["units"], 6);
    assert_eq!(config["layers"][1]["config"], serde_json::json!({"target_shape": [3, -1]}));
}

shaped::model! {
    /// Preprocessing and a function of one's own: their state and configuration in the file.
    struct Scaled {
        input: [3],
        Normalization,
        Dense(4),
        Lambda(|x| x * x.sigmoid()),
        Dense(2),
    }
}

shaped::model! {
    /// `Scaled` with another `Lambda` function.
    struct ScaledOtherwise {
        input: [3],
        Normalization,
        Dense(4),
        Lambda(|x| x.tanh()),
        Dense(2),
    }
}

#[test]
fn adapted_statistics_and_lambda_functions_are_in_the_file() {
    let dir = TempDir::new("preprocessing");
    let path = dir.path("scaled.safetensors");
    let x = vec![[1.0f32, 10.0, 100.0], [3.0, 30.0, 300.0], [8.0, 20.0, 500.0]];
    let mut model = Scaled::new(1);
    model.adapt(&x).unwrap();
    model.save_model(&path).unwrap();
    let before: Vec<[f32; 2]> = model.predict(&x).unwrap();

    let mut loaded = Scaled::new(2);
    loaded.load_model(&path).unwrap();
    assert_eq!(weight_bits(&loaded), weight_bits(&model), "the adapted mean and variance came back");
    let after: Vec<[f32; 2]> = loaded.predict(&x).unwrap();
    assert_eq!(after, before);

    let err = refused(ScaledOtherwise::new(0), &path);
    assert!(
        err.contains("`function`") && err.contains("x * x.sigmoid()") && err.contains("x.tanh()"),
        "{err}"
    );
}
