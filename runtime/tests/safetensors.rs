//! Weights through safetensors files: round trip, all-or-nothing loading, atomic saving.

use std::fs;
use std::path::{Path, PathBuf};

use shaped_runtime::error::{Error, Result};
use shaped_runtime::io::safetensors::{load_weights, read_metadata, read_tensors, save_weights};
use shaped_runtime::layers::{Activation, Input, Mode, Param, ParamMut};
use shaped_runtime::model::{InputSpec, LayerInfo, Network, OutputSpec};
use shaped_runtime::shape::Dims;

/// One weight of [`Weights`]: name, shape, values, gradient.
type Weight = (String, Vec<usize>, Vec<f32>, Vec<f32>);

/// A stand-in model: named weights with shapes, and no computation.
struct Weights {
    params: Vec<Weight>,
    out: Vec<f32>,
}

impl Weights {
    fn new(params: &[(&str, &[usize])]) -> Self {
        let mut next = 0.0f32;
        let params = params
            .iter()
            .map(|(name, shape)| {
                let n: usize = shape.iter().product();
                let data: Vec<f32> = (0..n)
                    .map(|_| {
                        next += 1.0;
                        next * 0.25 - 1.0
                    })
                    .collect();
                (name.to_string(), shape.to_vec(), data, vec![0.0; n])
            })
            .collect();
        Weights { params, out: Vec::new() }
    }

    fn mlp() -> Self {
        Weights::new(&[
            ("dense/kernel", &[2, 4]),
            ("dense/bias", &[4]),
            ("dense_1/kernel", &[4, 3]),
            ("dense_1/bias", &[3]),
        ])
    }

    fn data(&self) -> Vec<Vec<f32>> {
        self.params.iter().map(|p| p.2.clone()).collect()
    }

    fn fill(&mut self, value: f32) {
        for p in &mut self.params {
            p.2.iter_mut().for_each(|v| *v = value);
        }
    }
}

impl Network for Weights {
    const NAME: &'static str = "tiny";
    const INPUTS: &'static [InputSpec] = &[InputSpec {
        name: "input",
        dims: &[Some(2)],
        dtype: shaped_runtime::tensor::InputDType::F32,
        ids_below: None,
    }];
    const OUTPUTS: &'static [OutputSpec] =
        &[OutputSpec { name: "dense_1", dims: &[Some(3)], steps_from: None }];

    fn run_inputs(&mut self, _inputs: &[Input<'_>], _batch: usize, _mode: Mode) -> Result<()> {
        Ok(())
    }

    fn check_dims(&self, _inputs: &[Dims]) -> Result<()> {
        Ok(())
    }

    fn adapt_node(
        &mut self,
        _node: usize,
        _inputs: &[Input<'_>],
        _batch: usize,
        _phase: shaped_runtime::layers::AdaptPhase,
    ) -> Result<bool> {
        Ok(false)
    }

    fn output_at(&self, _j: usize) -> (&[f32], Dims) {
        (&self.out, Dims::from_array([3]))
    }

    fn output_mask_at(&self, _j: usize) -> Option<&[f32]> {
        None
    }

    fn output_and_grad_at(&mut self, _j: usize) -> (&[f32], &mut [f32]) {
        (&[], &mut [])
    }

    fn output_activation_at(&self, _j: usize) -> Option<Activation> {
        None
    }

    fn backward_inputs(
        &mut self,
        _inputs: &[Input<'_>],
        _batch: usize,
        _pre: &[bool],
        _grads: &mut [Option<&mut [f32]>],
    ) -> Result<()> {
        Ok(())
    }

    fn backward_visiting_inputs(
        &mut self,
        _inputs: &[Input<'_>],
        _batch: usize,
        _pre: &[bool],
        visit: &mut dyn FnMut(ParamMut<'_>),
    ) -> Result<()> {
        self.visit_weights_mut(visit);
        Ok(())
    }

    fn layers(&self) -> Vec<LayerInfo> {
        Vec::new()
    }

    fn visit_weights(&self, visit: &mut dyn FnMut(Param<'_>)) {
        for (name, shape, data, grad) in &self.params {
            visit(Param { name, shape, data, grad, trainable: true });
        }
    }

    fn visit_weights_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        for (name, shape, data, grad) in &mut self.params {
            visit(ParamMut { name, shape, data, grad, trainable: true });
        }
    }
}

/// A fresh empty directory under the target's temp dir, unique per test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shaped-safetensors-{}-{test}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every entry of `dir` by file name, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

fn weights_error(result: Result<()>) -> (String, String) {
    match result {
        Err(Error::Weights { name, detail }) => (name, detail),
        other => panic!("expected Error::Weights, got {other:?}"),
    }
}

#[test]
fn round_trip_restores_every_weight() {
    let dir = scratch("round-trip");
    let path = dir.join("mlp.safetensors");
    let saved = Weights::mlp();
    save_weights(&saved, &path).unwrap();

    let mut loaded = Weights::mlp();
    loaded.fill(0.0);
    load_weights(&mut loaded, &path).unwrap();
    assert_eq!(loaded.data(), saved.data());
    assert_eq!(listing(&dir), ["mlp.safetensors"]);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn file_holds_keras_names_shapes_and_metadata() {
    let dir = scratch("layout");
    let path = dir.join("mlp.safetensors");
    let model = Weights::mlp();
    save_weights(&model, &path).unwrap();

    let mut tensors = read_tensors(&path).unwrap();
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    let names: Vec<(&str, &[usize])> = tensors.iter().map(|(n, s, _)| (n.as_str(), s.as_slice())).collect();
    assert_eq!(
        names,
        [
            ("dense/bias", &[4][..]),
            ("dense/kernel", &[2, 4][..]),
            ("dense_1/bias", &[3][..]),
            ("dense_1/kernel", &[4, 3][..]),
        ]
    );
    let kernel = &tensors[1].2;
    assert_eq!(kernel, &model.params[0].2);

    let metadata = read_metadata(&path).unwrap();
    assert_eq!(metadata.get("format").map(String::as_str), Some("shaped"));
    assert_eq!(metadata.get("model").map(String::as_str), Some("tiny"));
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn other_shape_is_an_error_naming_the_weight_and_both_shapes_and_loads_nothing() {
    let dir = scratch("shape");
    let path = dir.join("w.safetensors");
    save_weights(&Weights::mlp(), &path).unwrap();

    let mut other = Weights::new(&[
        ("dense/kernel", &[2, 4]),
        ("dense/bias", &[4]),
        ("dense_1/kernel", &[4, 5]),
        ("dense_1/bias", &[3]),
    ]);
    other.fill(7.0);
    let (name, detail) = weights_error(load_weights(&mut other, &path));
    assert_eq!(name, "dense_1/kernel");
    assert!(detail.contains("[4, 3]") && detail.contains("[4, 5]"), "{detail}");
    // All-or-nothing: `dense/kernel` matched but was not written.
    assert!(other.params.iter().all(|p| p.2.iter().all(|&v| v == 7.0)));
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn missing_weight_is_an_error_naming_it() {
    let dir = scratch("missing");
    let path = dir.join("w.safetensors");
    save_weights(&Weights::new(&[("dense/kernel", &[2, 4])]), &path).unwrap();

    let mut model = Weights::mlp();
    let before = model.data();
    let (name, detail) = weights_error(load_weights(&mut model, &path));
    assert_eq!(name, "dense/bias");
    assert!(detail.contains("missing"), "{detail}");
    assert_eq!(model.data(), before);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn extra_tensor_in_the_file_is_an_error_naming_it() {
    let dir = scratch("extra");
    let path = dir.join("w.safetensors");
    let mut bigger = Weights::mlp();
    bigger.params.push(("dense_2/kernel".into(), vec![3, 1], vec![0.5; 3], vec![0.0; 3]));
    save_weights(&bigger, &path).unwrap();

    let mut model = Weights::mlp();
    let before = model.data();
    let (name, detail) = weights_error(load_weights(&mut model, &path));
    assert_eq!(name, "dense_2/kernel");
    assert!(detail.contains("no such weight"), "{detail}");
    assert_eq!(model.data(), before);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn other_dtype_is_an_error_naming_the_weight() {
    let dir = scratch("dtype");
    let path = dir.join("w.safetensors");
    let bytes: Vec<u8> = [1.0f64, 2.0, 3.0].iter().flat_map(|v| v.to_le_bytes()).collect();
    let view = safetensors::tensor::TensorView::new(safetensors::Dtype::F64, vec![3], &bytes).unwrap();
    fs::write(&path, safetensors::serialize([("dense_1/bias", view)], None).unwrap()).unwrap();

    let mut model = Weights::new(&[("dense_1/bias", &[3])]);
    let (name, detail) = weights_error(load_weights(&mut model, &path));
    assert_eq!(name, "dense_1/bias");
    assert!(detail.contains("F64"), "{detail}");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn corrupt_file_is_a_format_error() {
    let dir = scratch("corrupt");
    let path = dir.join("w.safetensors");
    fs::write(&path, b"not a safetensors file").unwrap();
    let result = load_weights(&mut Weights::mlp(), &path);
    assert!(matches!(result, Err(Error::Format { .. })), "{result:?}");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn save_over_an_existing_file_replaces_it() {
    let dir = scratch("replace");
    let path = dir.join("w.safetensors");
    save_weights(&Weights::new(&[("a", &[1])]), &path).unwrap();
    save_weights(&Weights::mlp(), &path).unwrap();
    assert_eq!(read_tensors(&path).unwrap().len(), 4);
    assert_eq!(listing(&dir), ["w.safetensors"]);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_directory_in_the_way_is_an_error_and_stays_intact() {
    let dir = scratch("target-is-dir");
    let path = dir.join("w.safetensors");
    fs::create_dir(&path).unwrap();
    fs::write(path.join("keep"), b"keep").unwrap();
    let result = save_weights(&Weights::mlp(), &path);
    assert!(result.as_ref().is_err_and(|e| e.to_string().contains("is a directory")), "{result:?}");
    assert_eq!(listing(&dir), ["w.safetensors"]);
    assert_eq!(fs::read(path.join("keep")).unwrap(), b"keep");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn failed_save_leaves_the_previous_file_byte_for_byte() {
    let dir = scratch("previous");
    let path = dir.join("w.safetensors");
    save_weights(&Weights::mlp(), &path).unwrap();
    let before = fs::read(&path).unwrap();

    // A model whose weight does not fit its shape cannot be saved.
    let mut broken = Weights::mlp();
    broken.params[1].2.pop();
    let (name, _) = weights_error(save_weights(&broken, &path));
    assert_eq!(name, "dense/bias");
    assert_eq!(fs::read(&path).unwrap(), before);

    // Two weights with one name cannot be saved either.
    let twice = Weights::new(&[("dense/kernel", &[2, 4]), ("dense/kernel", &[2, 4])]);
    let (name, detail) = weights_error(save_weights(&twice, &path));
    assert_eq!(name, "dense/kernel");
    assert!(detail.contains("two weights"), "{detail}");
    assert_eq!(fs::read(&path).unwrap(), before);

    assert_eq!(listing(&dir), ["w.safetensors"]);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn missing_parent_directory_is_an_io_error_naming_the_path_and_creates_nothing() {
    let dir = scratch("no-parent");
    let path = dir.join("absent").join("w.safetensors");
    let result = save_weights(&Weights::mlp(), &path);
    match &result {
        Err(Error::Io { path: shown, .. }) => assert_eq!(shown, &path.display().to_string()),
        other => panic!("expected an Io error naming {}, got {other:?}", path.display()),
    }
    assert!(listing(&dir).is_empty());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_same_weights_give_the_same_bytes() {
    let dir = scratch("reproducible");
    let path = dir.join("w.safetensors");
    let model = Weights::mlp();
    save_weights(&model, &path).unwrap();
    let first = fs::read(&path).unwrap();
    // The metadata map is hashed in a random order per map: twenty saves would not all agree
    // by chance.
    for _ in 0..20 {
        save_weights(&model, &path).unwrap();
        assert_eq!(fs::read(&path).unwrap(), first);
    }
    let mut reloaded = Weights::mlp();
    reloaded.fill(0.0);
    load_weights(&mut reloaded, &path).unwrap();
    assert_eq!(reloaded.data(), model.data());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn missing_file_is_an_io_error() {
    let dir = scratch("no-file");
    let result = load_weights(&mut Weights::mlp(), &dir.join("absent.safetensors"));
    assert!(matches!(result, Err(Error::Io { .. })), "{result:?}");
    fs::remove_dir_all(dir).unwrap();
}
