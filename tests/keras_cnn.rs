//! A small CNN trained against real Keras 3.15.1 (JAX): convolutions (same padding; strides
//! 2), batch normalization (training mode, its moving statistics, then inference mode), max and
//! average pooling (same padding), flatten and dense, two Adam steps. References made by
//! scripts/keras_reference/cnn_train_step.py into tests/fixtures/cnn_train_step.npz.

use shaped::io::Npz;
use shaped::prelude::*;
use shaped::testing::assert_close;

shaped::model! {
    /// The script's model, layer for layer.
    struct SmallCnn {
        input: [9, 9, 2],
        Conv2d(4, 3, padding = same, activation = relu),
        BatchNorm,
        MaxPool2d(2),
        Conv2d(6, 2, strides = 2, activation = tanh),
        AvgPool2d(2, strides = 1, padding = same),
        Flatten,
        Dense(3, activation = softmax),
    }
}

fn refs() -> Npz {
    Npz::open(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cnn_train_step.npz"))
        .unwrap()
}

/// One 9×9 image of 2 channels.
type Picture = [[[f32; 2]; 9]; 9];

/// The script's data: 5 images of 9×9×2 and their class ids.
fn data(refs: &Npz) -> (Vec<Picture>, Vec<u32>) {
    let x = refs.get("x").unwrap();
    let images = x
        .data
        .chunks(9 * 9 * 2)
        .map(|img| {
            std::array::from_fn(|r| std::array::from_fn(|c| [img[(r * 9 + c) * 2], img[(r * 9 + c) * 2 + 1]]))
        })
        .collect();
    let labels = refs.get("y").unwrap().data.iter().map(|&c| c as u32).collect();
    (images, labels)
}

/// The model with every weight (moving statistics included) set to the script's `init/..`.
fn keras_model(refs: &Npz) -> SmallCnn {
    let mut model = SmallCnn::new(0);
    let mut names = Vec::new();
    model.visit_weights_mut(&mut |p| {
        let init = refs.get(&format!("init/{}", p.name)).unwrap_or_else(|e| panic!("{}: {e}", p.name));
        assert_eq!(p.shape, init.shape.as_slice(), "{}", p.name);
        p.data.copy_from_slice(&init.data);
        names.push(p.name.to_string());
    });
    assert_eq!(names.len(), 10, "every Keras weight has its shaped twin: {names:?}");
    model
}

#[test]
fn two_adam_steps_and_the_moving_statistics_follow_keras() {
    let refs = refs();
    let (x, y) = data(&refs);
    let mut model = keras_model(&refs)
        .compile(
            Adam { learning_rate: 0.01.into(), ..Default::default() },
            SparseCategoricalCrossentropy::default(),
            [],
        )
        .unwrap();
    for step in 0..2 {
        let loss = model.train_on_batch(&x, &y).unwrap();
        assert_close(&[loss], &refs.get(&format!("step{step}/loss")).unwrap().data, 1e-5);
        model.model().visit_weights(&mut |p| {
            let expected = refs.get(&format!("step{step}/{}", p.name)).unwrap();
            if let Some(diff) = shaped::testing::first_difference(p.data, &expected.data, 1e-5) {
                panic!("step {step}, {}: {diff}", p.name);
            }
        });
    }
    // Inference mode: the moving statistics normalise.
    let predictions: Vec<[f32; 3]> = model.predict(&x).unwrap();
    assert_close(predictions.as_flattened(), &refs.get("predict").unwrap().data, 1e-5);
}

#[test]
fn moving_statistics_are_saved_but_not_trained() {
    let model = SmallCnn::new(1);
    let mut non_trainable = Vec::new();
    model.visit_weights(&mut |p| {
        if !p.trainable {
            non_trainable.push(p.name.to_string());
        }
    });
    assert_eq!(non_trainable, ["batch_normalization/moving_mean", "batch_normalization/moving_variance"]);
    let summary = model.summary_string();
    assert!(summary.contains("Non-trainable params: 8"), "{summary}");
}
