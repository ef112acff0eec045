//! Training steps against real Keras 3.15.1 (JAX): fixture a's MLP, its weights and input,
//! one-hot labels [0, 2, 1, 2], categorical crossentropy. References made by
//! scripts/keras_reference/train_steps.py into tests/fixtures/train_steps.npz.

use shaped::io::Npz;
use shaped::prelude::*;
use shaped::testing::assert_close;

shaped::model! {
    /// Fixture a's model.
    struct Mlp {
        input: [5],
        Dense(4, activation = relu),
        Dense(3, activation = softmax),
    }
}

const NAMES: [&str; 4] = ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"];

fn fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn data() -> (Vec<[f32; 5]>, Vec<[f32; 3]>, Npz) {
    let refs = Npz::open(fixtures().join("train_steps.npz")).unwrap();
    let x = refs.get("x").unwrap().data.chunks(5).map(|r| r.try_into().unwrap()).collect();
    let y = refs.get("y").unwrap().data.chunks(3).map(|r| r.try_into().unwrap()).collect();
    (x, y, refs)
}

fn fixture_model() -> Mlp {
    let mut model = Mlp::new(0);
    model.load_keras_npz(fixtures().join("a_dense_mlp.npz")).unwrap();
    model
}

/// Every weight of `model` against `refs[prefix/name]`.
fn assert_weights(model: &impl Model, refs: &Npz, prefix: &str) {
    model.visit_weights(&mut |p| {
        let expected = refs.get(&format!("{prefix}/{}", p.name)).unwrap();
        assert_eq!(p.shape, expected.shape.as_slice(), "{}", p.name);
        assert_close(p.data, &expected.data, 1e-5);
    });
}

fn one_step(optimizer: impl IntoOptimizer, key: &str) {
    let (x, y, refs) = data();
    let mut model = fixture_model().compile(optimizer, CategoricalCrossentropy::default(), []).unwrap();
    let loss = model.train_on_batch(&x, &y).unwrap();
    assert_close(&[loss], &refs.get(&format!("{key}/loss")).unwrap().data, 1e-5);
    assert_weights(model.model(), &refs, key);
}

#[test]
fn sgd_step_matches_keras() {
    one_step(Sgd { learning_rate: 0.1.into(), ..Default::default() }, "sgd");
}

#[test]
fn sgd_nesterov_step_matches_keras() {
    one_step(
        Sgd { learning_rate: 0.1.into(), momentum: 0.9, nesterov: true, ..Default::default() },
        "sgd_nesterov",
    );
}

#[test]
fn adam_step_matches_keras() {
    one_step(Adam { learning_rate: 0.01.into(), ..Default::default() }, "adam");
}

#[test]
fn rmsprop_step_matches_keras() {
    one_step(RmsProp { learning_rate: 0.01.into(), ..Default::default() }, "rmsprop");
}

#[test]
fn five_adam_steps_follow_keras() {
    let (x, y, refs) = data();
    let mut model = fixture_model()
        .compile(
            Adam { learning_rate: 0.01.into(), ..Default::default() },
            CategoricalCrossentropy::default(),
            [],
        )
        .unwrap();
    let expected_losses = refs.get("adam5/loss").unwrap().data;
    for (step, expected) in expected_losses.iter().enumerate() {
        let loss = model.train_on_batch(&x, &y).unwrap();
        assert_close(&[loss], &[*expected], 1e-5);
        assert_weights(model.model(), &refs, &format!("adam5/step{step}"));
    }
    assert_eq!(NAMES.len(), 4);
}
