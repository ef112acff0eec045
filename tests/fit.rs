//! `fit`, `evaluate` and weight files, as a Keras user relies on them.

use shaped::prelude::*;
use std::collections::HashMap;

shaped::model! {
    struct Net {
        input: [4],
        Dense(8, activation = tanh),
        Dense(3, activation = softmax),
    }
}

/// 40 samples of a 3-class problem a small net can learn: the class is the largest of the first
/// three features.
fn data() -> (Vec<[f32; 4]>, Vec<u32>) {
    let mut rng = shaped::data::SplitMix64::new(5);
    let x: Vec<[f32; 4]> = (0..40).map(|_| std::array::from_fn(|_| rng.next_f32())).collect();
    let y = x.iter().map(|s| (0..3).max_by(|&a, &b| s[a].total_cmp(&s[b])).unwrap() as u32).collect();
    (x, y)
}

fn silent<'a, X, Y>(epochs: usize) -> FitOptions<'a, X, Y> {
    FitOptions { epochs, batch_size: 8, verbose: Verbose::Silent, ..Default::default() }
}

fn compiled(seed: u64, lr: f32) -> Compiled<Net, SparseCategoricalCrossentropy> {
    Net::new(seed)
        .compile(
            Sgd { learning_rate: lr.into(), ..Default::default() },
            SparseCategoricalCrossentropy::default(),
            [Accuracy],
        )
        .unwrap()
}

fn weights(model: &impl Model) -> Vec<f32> {
    let mut all = Vec::new();
    model.visit_weights(&mut |p| all.extend_from_slice(p.data));
    all
}

#[test]
fn training_reduces_the_loss_and_history_has_keras_keys() {
    let (x, y) = data();
    let mut model = compiled(1, 0.5);
    let history = model.fit(&x, &y, FitOptions { validation_split: 0.25, ..silent(30) }).unwrap();
    assert_eq!(history.keys().collect::<Vec<_>>(), ["loss", "accuracy", "val_loss", "val_accuracy"]);
    let loss = history.get("loss").unwrap();
    assert_eq!(loss.len(), 30);
    assert!(loss[29] < 0.7 * loss[0], "loss went from {} to {}", loss[0], loss[29]);
    assert!(history.get("accuracy").unwrap()[29] > 0.6);
}

#[test]
fn validation_split_is_the_tail_before_shuffling() {
    let (x, y) = data();
    // A learning rate of 0 keeps the weights, so val_loss is the loss of the untouched model.
    let mut model = compiled(2, 0.0);
    let history = model.fit(&x, &y, FitOptions { validation_split: 0.25, ..silent(1) }).unwrap();
    let tail = model.evaluate(&x[30..], &y[30..]).unwrap();
    let head = model.evaluate(&x[..10], &y[..10]).unwrap();
    let val_loss = history.get("val_loss").unwrap()[0];
    assert!((val_loss - tail.get("loss").unwrap()).abs() < 1e-6, "{val_loss} vs tail {tail:?}");
    assert!((val_loss - head.get("loss").unwrap()).abs() > 1e-4);
}

#[test]
fn same_seed_same_weights_bit_for_bit() {
    let (x, y) = data();
    let run = |seed: u64| {
        let mut model = compiled(3, 0.3);
        model.fit(&x, &y, FitOptions { seed, ..silent(3) }).unwrap();
        weights(model.model())
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
}

#[test]
fn bad_input_is_an_error_naming_both_values() {
    let (x, y) = data();
    let mut model = compiled(4, 0.1);
    let err = |r: shaped::Result<History>| r.unwrap_err().to_string();
    assert_eq!(
        err(model.fit(&x, &y[..39], silent(1))),
        "x and y must have the same length, but have 40 and 39"
    );
    let no_labels: &[u32] = &[];
    assert!(err(model.fit(&[], no_labels, silent(1))).contains("empty"));
    assert!(err(model.fit(&x, &y, FitOptions { batch_size: 0, ..silent(1) })).contains("batch_size"));
    let mut bad = x.clone();
    bad[12][2] = f32::NAN;
    assert_eq!(
        err(model.fit(&bad, &y, silent(1))),
        "invalid `x`: x[12] holds NaN at feature 2; replace or drop non-finite values before training"
    );
    let mut ids = y.clone();
    ids[5] = 7;
    assert_eq!(
        err(model.fit(&x, &ids, silent(1))),
        "invalid `y`: y[5] holds class id 7, but the model has 3 outputs, so class ids must be below 3"
    );
    assert!(err(model.fit(&x, &y, FitOptions { validation_split: 1.0, ..silent(1) }))
        .contains("validation_split"));
    let w = vec![1.0; 3];
    assert_eq!(
        err(model.fit(&x, &y, FitOptions { sample_weight: Some(&w), ..silent(1) })),
        "x and sample_weight must have the same length, but have 40 and 3"
    );
}

#[test]
fn zero_sample_weight_removes_a_sample_from_the_gradient() {
    let (x, y) = data();
    // Keras divides the weighted sum by the batch size, so dropping half the batch through
    // zero weights equals training on the other half with half the learning rate.
    let weights_of = |model: &mut Compiled<Net, SparseCategoricalCrossentropy>,
                      xs: &[[f32; 4]],
                      ys: &[u32],
                      w: Option<&[f32]>| {
        model
            .fit(xs, ys, FitOptions { batch_size: xs.len(), shuffle: false, sample_weight: w, ..silent(1) })
            .unwrap();
        weights(model.model())
    };
    let w: Vec<f32> = (0..8).map(|i| if i < 4 { 1.0 } else { 0.0 }).collect();
    let a = weights_of(&mut compiled(6, 0.2), &x[..8], &y[..8], Some(&w));
    let b = weights_of(&mut compiled(6, 0.1), &x[..4], &y[..4], None);
    shaped::testing::assert_close(&a, &b, 1e-6);
}

#[test]
fn class_weight_equals_the_matching_sample_weight() {
    let (x, y) = data();
    let classes = HashMap::from([(0u32, 3.0f32)]);
    let sample: Vec<f32> = y.iter().map(|&c| if c == 0 { 3.0 } else { 1.0 }).collect();
    let mut a = compiled(9, 0.2);
    a.fit(&x, &y, FitOptions { class_weight: Some(&classes), ..silent(2) }).unwrap();
    let mut b = compiled(9, 0.2);
    b.fit(&x, &y, FitOptions { sample_weight: Some(&sample), ..silent(2) }).unwrap();
    assert_eq!(weights(a.model()), weights(b.model()));
}

#[test]
fn early_stopping_stops_on_a_plateau_and_restores_the_best_weights() {
    let (x, y) = data();
    let mut model = compiled(10, 0.0);
    // min_delta: reshuffling changes the summation order of the epoch's mean loss by ~1e-8.
    let stop = EarlyStopping { monitor: "loss".into(), patience: 2, min_delta: 1e-6, ..Default::default() };
    let history = model.fit(&x, &y, FitOptions { callbacks: vec![Box::new(stop)], ..silent(50) }).unwrap();
    // With a learning rate of 0 the loss never improves after epoch 0: stop after 3 epochs.
    assert_eq!(history.len(), 3);

    let mut model = compiled(11, 2.0);
    let before = weights(model.model());
    let stop = EarlyStopping {
        monitor: "val_loss".into(),
        patience: 1,
        restore_best_weights: true,
        ..Default::default()
    };
    let history = model
        .fit(&x, &y, FitOptions { validation_split: 0.25, callbacks: vec![Box::new(stop)], ..silent(40) })
        .unwrap();
    let val = history.get("val_loss").unwrap();
    let best = val.iter().cloned().fold(f64::INFINITY, f64::min);
    let restored = model.evaluate(&x[30..], &y[30..]).unwrap().get("loss").unwrap();
    assert!((restored - best).abs() < 1e-5, "restored val_loss {restored}, best {best}, history {val:?}");
    assert_ne!(weights(model.model()), before);
}

#[test]
fn terminate_on_nan_and_reduce_lr_on_plateau() {
    let (x, y) = data();
    // An infinite learning rate is refused at `compile`; a step that makes a weight
    // non-finite stops `fit` with an `Err` by itself (tests/training_safety.rs), so
    // TerminateOnNaN, kept for Keras code, lets a finite run go on.
    assert!(Net::new(12)
        .compile(
            Sgd { learning_rate: f32::INFINITY.into(), ..Default::default() },
            SparseCategoricalCrossentropy::default(),
            []
        )
        .is_err());
    let mut model = compiled(12, 0.5);
    let history = model
        .fit(&x, &y, FitOptions { callbacks: vec![Box::new(TerminateOnNaN::default())], ..silent(5) })
        .unwrap();
    assert_eq!(history.len(), 5);

    let mut model = compiled(13, 0.4);
    let reduce = ReduceLROnPlateau {
        monitor: "loss".into(),
        patience: 0,
        min_delta: 10.0,
        factor: 0.5,
        ..Default::default()
    };
    model.fit(&x, &y, FitOptions { callbacks: vec![Box::new(reduce)], ..silent(3) }).unwrap();
    // Epoch 0 improves on the initial best (infinity), as in Keras; epochs 1 and 2 are plateaus:
    // 0.4 → 0.2 → 0.1.
    assert!((model.optimizer().current_learning_rate() - 0.1).abs() < 1e-7);
}

#[test]
fn weights_round_trip_and_checkpoints() {
    let dir = std::env::temp_dir().join(format!("shaped-fit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (x, y) = data();
    let mut model = compiled(14, 0.5);
    let checkpoint = ModelCheckpoint::new(dir.join("epoch-{epoch:02d}.safetensors"));
    model.fit(&x, &y, FitOptions { callbacks: vec![Box::new(checkpoint)], ..silent(2) }).unwrap();
    assert!(dir.join("epoch-01.safetensors").exists() && dir.join("epoch-02.safetensors").exists());

    let path = dir.join("net.safetensors");
    model.save_weights(&path).unwrap();
    let mut fresh = Net::new(99);
    fresh.load_weights(&path).unwrap();
    assert_eq!(fresh.predict(&x).unwrap(), model.predict(&x).unwrap());

    shaped::model! {
        struct Other {
            input: [4],
            Dense(9, activation = tanh),
            Dense(3, activation = softmax),
        }
    }
    let err = Other::new(0).load_weights(&path).unwrap_err().to_string();
    assert!(err.contains("dense/kernel") && err.contains("[4, 9]") && err.contains("[4, 8]"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn history_files() {
    let dir = std::env::temp_dir().join(format!("shaped-history-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (x, y) = data();
    let mut model = compiled(15, 0.5);
    let history = model.fit(&x, &y, FitOptions { validation_split: 0.2, ..silent(3) }).unwrap();
    history.write_csv(dir.join("h.csv")).unwrap();
    history.write_json(dir.join("h.json")).unwrap();
    history.write_svg(dir.join("h.svg")).unwrap();
    let csv = std::fs::read_to_string(dir.join("h.csv")).unwrap();
    assert_eq!(csv.lines().count(), 4);
    assert!(csv.starts_with("epoch,accuracy,loss,val_accuracy,val_loss"));
    assert!(std::fs::read_to_string(dir.join("h.json")).unwrap().contains("\"val_loss\":["));
    assert!(std::fs::read_to_string(dir.join("h.svg")).unwrap().starts_with("<svg"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fused_and_two_pass_updates_give_identical_weights() {
    // Adam updates each layer right after its backward pass; with `global_clipnorm` it must
    // see every gradient first and updates after the whole backward. A clip norm far above the
    // gradients' norm scales by exactly 1, so both paths must agree bit for bit.
    let (x, y) = data();
    let run = |adam: Adam, one_pass: bool| {
        let mut model = Net::new(21).compile(adam, SparseCategoricalCrossentropy::default(), []).unwrap();
        assert_eq!(model.optimizer().updates_in_one_pass(), one_pass);
        model.fit(&x, &y, silent(3)).unwrap();
        weights(model.model())
    };
    let fused = run(Adam::default(), true);
    let two_pass = run(Adam { global_clipnorm: Some(1e30), ..Default::default() }, false);
    assert_eq!(fused, two_pass);
}

/// Progress and the callbacks' messages both go to `FitOptions::output`, in order, each on a
/// line of its own.
#[test]
fn callbacks_print_through_the_fit_output() {
    let (x, y) = data();
    let mut model = compiled(15, 0.0);
    let stop = EarlyStopping {
        monitor: "loss".into(),
        patience: 0,
        min_delta: 1.0,
        verbose: true,
        ..Default::default()
    };
    let mut printed: Vec<u8> = Vec::new();
    let options = FitOptions {
        epochs: 5,
        batch_size: 8,
        verbose: Verbose::EpochLines,
        output: Some(Box::new(&mut printed)),
        callbacks: vec![Box::new(stop)],
        ..Default::default()
    };
    model.fit(&x, &y, options).unwrap();
    let text = String::from_utf8(printed).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.first(), Some(&"Epoch 1/5"), "{text}");
    assert_eq!(lines.last(), Some(&"Epoch 2: early stopping"), "{text}");
    assert!(lines.iter().any(|l| l.starts_with("5/5 - ") && l.contains(" - loss: ")), "{text}");
}
