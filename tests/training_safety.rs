//! Nothing lost, nothing silently wrong: every mistake in the data or the settings is an `Err`
//! before the first step, and a step that would leave a NaN or infinite weight is undone.
//! Each test checks the model's weights afterwards, not only the error.

use shaped::prelude::*;
use std::collections::HashMap;

shaped::model! {
    struct Net {
        input: [4],
        Dense(8, activation = tanh),
        Dense(3, activation = softmax),
    }
}

shaped::model! {
    struct Regressor {
        input: [4],
        Dense(1),
    }
}

shaped::model! {
    struct Tokens {
        input: u32[None],
        Embedding(50, 4, mask_zero = true),
        GlobalAvgPool1d,
        Dense(2, activation = softmax),
    }
}

shaped::model! {
    struct Pooled {
        input: [None, 3],
        pooled: GlobalMaxPool1d,
        Dense(2, activation = softmax),
    }
}

fn data() -> (Vec<[f32; 4]>, Vec<u32>) {
    let mut rng = shaped::data::SplitMix64::new(5);
    let x: Vec<[f32; 4]> = (0..40).map(|_| std::array::from_fn(|_| rng.next_f32())).collect();
    let y = x.iter().map(|s| (0..3).max_by(|&a, &b| s[a].total_cmp(&s[b])).unwrap() as u32).collect();
    (x, y)
}

fn one_hot(y: &[u32]) -> Vec<[f32; 3]> {
    shaped::data::to_categorical(y).unwrap()
}

fn silent<'a, X, Y>(epochs: usize) -> FitOptions<'a, X, Y> {
    FitOptions { epochs, batch_size: 8, verbose: Verbose::Silent, ..Default::default() }
}

fn weights(model: &impl Model) -> Vec<f32> {
    let mut all = Vec::new();
    model.visit_weights(&mut |p| all.extend_from_slice(p.data));
    all
}

fn categorical() -> Compiled<Net, CategoricalCrossentropy> {
    Net::new(1).compile(Adam::default(), CategoricalCrossentropy::default(), [Accuracy]).unwrap()
}

fn sparse() -> Compiled<Net, SparseCategoricalCrossentropy> {
    Net::new(1).compile(Adam::default(), SparseCategoricalCrossentropy::default(), [Accuracy]).unwrap()
}

/// Runs `fit` (or any call) on `model` and expects an `Err` containing `expected`, with the
/// weights untouched.
fn assert_rejected<C: std::ops::DerefMut<Target = M>, M: Model, T: std::fmt::Debug>(
    model: &mut C,
    call: impl FnOnce(&mut C) -> shaped::Result<T>,
    expected: &str,
) {
    let before = weights(&**model);
    let err = call(model).expect_err("must be rejected").to_string();
    assert!(err.contains(expected), "`{err}` should contain `{expected}`");
    assert_eq!(weights(&**model), before, "no step may run before the data is checked");
}

#[test]
fn nan_or_infinite_labels_are_rejected_before_training() {
    let (x, y) = data();
    for bad in [f32::NAN, f32::INFINITY] {
        let mut labels = one_hot(&y);
        labels[37][2] = bad;
        let mut model = categorical();
        assert_rejected(
            &mut model,
            |m: &mut Compiled<_, _>| m.fit(&x, &labels, silent(3)),
            &format!("y[37] holds {bad} at 2"),
        );
    }
}

#[test]
fn nan_or_negative_class_weights_are_rejected() {
    let (x, y) = data();
    for (bad, shown) in [(f32::NAN, "NaN"), (-1.0, "-1")] {
        let class_weight = HashMap::from([(0, 1.0), (2, bad)]);
        let mut model = sparse();
        assert_rejected(
            &mut model,
            |m: &mut Compiled<_, _>| {
                m.fit(&x, &y, FitOptions { class_weight: Some(&class_weight), ..silent(2) })
            },
            &format!("the weight of class 2 is {shown}"),
        );
    }
}

#[test]
fn bad_optimizer_settings_are_rejected_at_compile() {
    let attempts: Vec<(shaped::Result<Box<dyn Optimizer>>, &str)> = vec![
        (Adam { learning_rate: f32::NAN.into(), ..Default::default() }.into_optimizer(), "learning_rate"),
        (Sgd { learning_rate: f32::INFINITY.into(), ..Default::default() }.into_optimizer(), "learning_rate"),
        (RmsProp { learning_rate: (-0.1).into(), ..Default::default() }.into_optimizer(), "learning_rate"),
        (Adam { beta_1: f32::NAN, ..Default::default() }.into_optimizer(), "beta_1"),
        (Adam { beta_1: 1.0, ..Default::default() }.into_optimizer(), "beta_1"),
        (AdamW { beta_2: 1.5, ..Default::default() }.into_optimizer(), "beta_2"),
        (Adam { epsilon: 0.0, ..Default::default() }.into_optimizer(), "epsilon"),
        (RmsProp { rho: f32::NAN, ..Default::default() }.into_optimizer(), "rho"),
        (AdamW { weight_decay: f32::NAN, ..Default::default() }.into_optimizer(), "weight_decay"),
    ];
    for (result, name) in attempts {
        let err = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains(name), "expected an error naming `{name}`, got `{err}`");
    }
    let compiled = Net::new(0).compile(
        Adam { beta_1: f32::NAN, ..Default::default() },
        SparseCategoricalCrossentropy::default(),
        [Accuracy],
    );
    assert!(compiled.is_err());
    // A callback that sets a NaN learning rate is refused too.
    let mut model = sparse();
    let err = model.optimizer_mut().set_learning_rate(f32::NAN).unwrap_err().to_string();
    assert!(err.contains("learning_rate"), "{err}");
}

#[test]
fn a_step_that_makes_a_weight_infinite_is_undone() {
    // Labels of 1e3 give gradients far above 1; a learning rate of 1e38 turns the first update
    // into ±∞.
    let x = vec![[1.0f32, 2.0, 3.0, 4.0]; 16];
    let y = vec![[1e3f32]; 16];
    let mut model = Regressor::new(3)
        .compile(Sgd { learning_rate: 1e38.into(), ..Default::default() }, MeanSquaredError, [Mae])
        .unwrap();
    let before = weights(&*model);
    let err = model.fit(&x, &y, silent(2)).unwrap_err().to_string();
    assert!(err.contains("the update in epoch 1, batch 1 made weight `dense/kernel` "), "{err}");
    assert!(err.contains("the weights are those of the step before"), "{err}");
    assert_eq!(weights(&*model), before, "the first step was undone");
    assert_eq!(model.optimizer().iterations(), 0, "the optimizer starts afresh");

    // The same model trains once the learning rate is sane, from those weights.
    model.optimizer_mut().set_learning_rate(1e-3).unwrap();
    model.fit(&x, &y, silent(1)).unwrap();
    assert!(weights(&*model).iter().all(|w| w.is_finite()));
}

#[test]
fn a_diverging_run_stops_with_the_last_finite_weights() {
    // Gradient descent on a least-squares problem with a step far above 2/λmax grows the
    // weights about 800-fold per step, until the loss or a weight is no longer finite; `fit`
    // stops there instead of returning a model of NaN.
    let x = vec![[10.0f32, -10.0, 10.0, 10.0]; 16];
    let y = vec![[1.0f32]; 16];
    let mut model = Regressor::new(3)
        .compile(Sgd { learning_rate: 1.0.into(), ..Default::default() }, MeanSquaredError, [Mae])
        .unwrap();
    let err = model.fit(&x, &y, silent(100)).unwrap_err();
    assert!(matches!(err, shaped::Error::NonFinite { .. }), "{err}");
    let last = weights(&*model);
    assert!(last.iter().all(|w| w.is_finite()) && last.iter().any(|w| w.abs() > 1e10), "{last:?}");
}

#[test]
fn token_ids_are_checked_before_the_first_step_and_shown_exactly() {
    let x: Vec<Vec<u32>> = (0..40).map(|i| vec![1 + i % 40, 2, 3]).collect();
    let y: Vec<u32> = (0..40).map(|i| i % 2).collect();
    let mut bad = x.clone();
    bad[35][1] = 16_777_217; // 2^24 + 1: not representable as f32
    let mut model =
        Tokens::new(0).compile(Adam::default(), SparseCategoricalCrossentropy::default(), []).unwrap();
    assert_rejected(
        &mut model,
        |m: &mut Compiled<_, _>| m.fit(&bad, &y, silent(2)),
        "x[35] holds token id 16777217 at step 1, but the model's `Embedding` takes ids below 50",
    );
    let err = model.predict(&bad).unwrap_err().to_string();
    assert!(err.contains("x[35] holds token id 16777217"), "{err}");
    // Bad ids in the validation data are found before training too.
    assert_rejected(
        &mut model,
        |m: &mut Compiled<_, _>| m.fit(&x, &y, FitOptions { validation_data: Some((&bad, &y)), ..silent(2) }),
        "validation_data.0[35] holds token id 16777217",
    );
}

#[test]
fn bad_validation_data_is_found_before_training() {
    let (x, y) = data();
    let mut model = sparse();
    let empty: (&[[f32; 4]], &[u32]) = (&[], &[]);
    assert_rejected(
        &mut model,
        |m: &mut Compiled<_, _>| m.fit(&x, &y, FitOptions { validation_data: Some(empty), ..silent(2) }),
        "`validation_data.0` is empty",
    );
    let mut bad_labels = y.clone();
    bad_labels[3] = 9;
    assert_rejected(
        &mut model,
        |m: &mut Compiled<_, _>| {
            m.fit(&x, &y, FitOptions { validation_data: Some((&x, &bad_labels)), ..silent(2) })
        },
        "validation_data.1[3] holds class id 9, but the model has 3 outputs",
    );
    let mut bad_inputs = x.clone();
    bad_inputs[7][1] = f32::NAN;
    assert_rejected(
        &mut model,
        |m: &mut Compiled<_, _>| {
            m.fit(&x, &y, FitOptions { validation_data: Some((&bad_inputs, &y)), ..silent(2) })
        },
        "validation_data.0[7] holds NaN at feature 1",
    );
}

#[test]
fn small_holes_are_errors() {
    let (x, y) = data();
    let mut model = sparse();
    let before = weights(&*model);
    let err = model.train_on_batch(&[], &[] as &[u32]).unwrap_err().to_string();
    assert!(err.contains("`x` is empty"), "{err}");
    assert_eq!(weights(&*model), before);
    assert_rejected(
        &mut model,
        |m: &mut Compiled<_, _>| {
            m.fit(&x, &y, FitOptions { validation_split: 0.25, validation_batch_size: Some(0), ..silent(2) })
        },
        "validation_batch_size",
    );
    let err = model.evaluate(&[], &[] as &[u32]).unwrap_err().to_string();
    assert!(err.contains("`x` is empty"), "{err}");
}

#[test]
fn empty_sequences_pool_to_zeros_and_train_finite() {
    // Sequence 3 has no step at all: its pooled features are 0 (Keras gives NaN, 0/0).
    let x: Vec<Vec<[f32; 3]>> =
        (0..8).map(|i| vec![[0.1 * i as f32, 0.5, -0.5]; if i == 3 { 0 } else { 1 + i }]).collect();
    let y: Vec<u32> = (0..8).map(|i| i % 2).collect();
    let mut model = Pooled::new(0)
        .compile(Adam::default(), SparseCategoricalCrossentropy::default(), [Accuracy])
        .unwrap();
    model
        .fit(&x, &y, FitOptions { epochs: 3, batch_size: 4, verbose: Verbose::Silent, ..Default::default() })
        .unwrap();
    assert!(weights(&*model).iter().all(|w| w.is_finite()));
    let probs: Vec<[f32; 2]> = model.predict(&x).unwrap();
    assert!(probs.iter().flatten().all(|p| p.is_finite()));

    let x: Vec<Vec<u32>> = vec![vec![], vec![4, 5], vec![0, 0], vec![7]];
    let y: Vec<u32> = vec![0, 1, 0, 1];
    let mut model =
        Tokens::new(0).compile(Adam::default(), SparseCategoricalCrossentropy::default(), []).unwrap();
    model
        .fit(&x, &y, FitOptions { epochs: 3, batch_size: 4, verbose: Verbose::Silent, ..Default::default() })
        .unwrap();
    assert!(weights(&*model).iter().all(|w| w.is_finite()));
}
