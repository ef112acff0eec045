//! Metrics: Keras's resolution of `"accuracy"`, the per-row values (threshold, argmax ties), and
//! the running weighted mean over batches.

use shaped_runtime::testing::assert_close;
use shaped_runtime::train::metrics::{Metric, MetricState};
use shaped_runtime::train::Targets;
use shaped_runtime::Error;

const ALL: [Metric; 6] = [
    Metric::Accuracy,
    Metric::BinaryAccuracy,
    Metric::CategoricalAccuracy,
    Metric::SparseCategoricalAccuracy,
    Metric::MeanAbsoluteError,
    Metric::MeanSquaredError,
];

/// The result of one batch.
fn one_batch(
    metric: Metric,
    pred: &[f32],
    targets: Targets<'_>,
    row_len: usize,
    weights: Option<&[f32]>,
) -> f32 {
    let mut state = MetricState::new(metric, row_len, targets.is_sparse());
    state.update(pred, targets, row_len, weights).unwrap();
    state.result() as f32
}

#[test]
fn names_are_keras_history_keys() {
    let names: Vec<_> = ALL.iter().map(|m| m.name()).collect();
    assert_eq!(
        names,
        ["accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "mae", "mse"]
    );
}

/// Keras `compile_utils.get_metric`: one output → binary; class ids → sparse; else categorical.
#[test]
fn accuracy_resolves_from_the_shapes() {
    let table = [
        (1, false, Metric::BinaryAccuracy),
        (1, true, Metric::BinaryAccuracy),
        (10, true, Metric::SparseCategoricalAccuracy),
        (10, false, Metric::CategoricalAccuracy),
        (2, true, Metric::SparseCategoricalAccuracy),
        (2, false, Metric::CategoricalAccuracy),
    ];
    for (row_len, sparse, expected) in table {
        assert_eq!(Metric::Accuracy.resolve(row_len, sparse), expected, "row_len {row_len}, sparse {sparse}");
        let state = MetricState::new(Metric::Accuracy, row_len, sparse);
        assert_eq!(state.name(), "accuracy", "the user's name stays");
        assert_eq!(state.resolved(), expected);
    }
    for metric in &ALL[1..] {
        for (row_len, sparse) in [(1, false), (1, true), (10, false), (10, true)] {
            assert_eq!(metric.resolve(row_len, sparse), *metric);
            assert_eq!(MetricState::new(*metric, row_len, sparse).name(), metric.name());
        }
    }
}

/* Equivalent python code (float64):

wmean = lambda v, w: sum(a * b for a, b in zip(v, w)) / sum(w)
p = [0.5, 0.51, 0.2, 0.9]; y = [1, 1, 0, 0]                  # one output per row
v = [float((1.0 if a > 0.5 else 0.0) == b) for a, b in zip(p, y)]
print(v, sum(v) / 4, wmean(v, [1, 2, 3, 0.5]))               # [0.0, 1.0, 1.0, 0.0] 0.5 0.7692307692307693
P = [[0.7, 0.2], [0.6, 0.8]]; Y = [[1, 0], [0, 1]]           # multi-label: per-row mean, then rows
v = [sum(float((1.0 if a > 0.5 else 0.0) == b) for a, b in zip(p, y)) / 2 for p, y in zip(P, Y)]
print(v, sum(v) / 2, wmean(v, [3, 1]))                       # [1.0, 0.5] 0.75 0.875
*/
#[test]
fn binary_accuracy_thresholds_strictly_above_one_half() {
    let pred = [0.5, 0.51, 0.2, 0.9];
    let y = Targets::Dense(&[1.0, 1.0, 0.0, 0.0]);
    assert_close(&[one_batch(Metric::Accuracy, &pred, y, 1, None)], &[0.5], 1e-7);
    assert_close(
        &[one_batch(Metric::Accuracy, &pred, y, 1, Some(&[1.0, 2.0, 3.0, 0.5]))],
        &[0.769_230_8],
        1e-7,
    );
    // The same labels as class ids.
    let ids = Targets::Sparse(&[1, 1, 0, 0]);
    assert_close(&[one_batch(Metric::Accuracy, &pred, ids, 1, None)], &[0.5], 1e-7);

    let pred = [0.7, 0.2, 0.6, 0.8];
    let y = Targets::Dense(&[1.0, 0.0, 0.0, 1.0]);
    assert_close(&[one_batch(Metric::BinaryAccuracy, &pred, y, 2, None)], &[0.75], 1e-7);
    assert_close(&[one_batch(Metric::BinaryAccuracy, &pred, y, 2, Some(&[3.0, 1.0]))], &[0.875], 1e-7);
    // A soft label never equals a thresholded 0/1 prediction (Keras compares exactly).
    let soft = Targets::Dense(&[0.9, 0.0, 0.0, 1.0]);
    assert_close(&[one_batch(Metric::BinaryAccuracy, &pred, soft, 2, None)], &[0.5], 1e-7);
}

/* Equivalent python code (float64, `wmean` from above; list.index(max) is the first maximum, like argmax):

argmax = lambda r: r.index(max(r))
P = [[0.4, 0.4, 0.2], [0.4, 0.4, 0.2], [0.1, 0.3, 0.6]]; Y = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
v = [float(argmax(p) == argmax(y)) for p, y in zip(P, Y)]
print(v, sum(v) / 3, wmean(v, [1, 2, 1]))   # [1.0, 0.0, 1.0] 0.6666666666666666 0.5
*/
#[test]
fn categorical_and_sparse_accuracy_break_ties_at_the_first_maximum() {
    let pred = [0.4, 0.4, 0.2, 0.4, 0.4, 0.2, 0.1, 0.3, 0.6];
    let one_hot = Targets::Dense(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
    let ids = Targets::Sparse(&[0, 1, 2]);
    let w = Some(&[1.0, 2.0, 1.0][..]);
    for targets in [one_hot, ids] {
        assert_close(&[one_batch(Metric::Accuracy, &pred, targets, 3, None)], &[0.666_666_7], 1e-7);
        assert_close(&[one_batch(Metric::Accuracy, &pred, targets, 3, w)], &[0.5], 1e-7);
    }
    // Tied soft targets also take their first maximum: classes 0, 1, 2 against predicted 0, 0, 2
    // (the last maximum would give 1, 2, 2 and 1/3).
    let soft = Targets::Dense(&[0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 1.0]);
    assert_close(&[one_batch(Metric::CategoricalAccuracy, &pred, soft, 3, None)], &[0.666_666_7], 1e-7);
    // Keras's `(batch, 1)` float labels for the sparse accuracy.
    let float_ids = Targets::Dense(&[0.0, 1.0, 2.0]);
    assert_close(&[one_batch(Metric::SparseCategoricalAccuracy, &pred, float_ids, 3, w)], &[0.5], 1e-7);
    // An id that is not a class simply never matches.
    assert_close(
        &[one_batch(Metric::Accuracy, &pred, Targets::Sparse(&[0, 9, 2]), 3, None)],
        &[0.666_666_7],
        1e-7,
    );
}

/* Equivalent python code (float64, `wmean` from above):

P = [[1, 2], [3, 5]]; Y = [[0, 2], [3, 3]]
mae = [sum(abs(b - a) for a, b in zip(p, y)) / 2 for p, y in zip(P, Y)]
mse = [sum((b - a) ** 2 for a, b in zip(p, y)) / 2 for p, y in zip(P, Y)]
print(mae, wmean(mae, [1, 3]), mse, wmean(mse, [1, 3]))   # [0.5, 1.0] 0.875 [0.5, 2.0] 1.625
*/
#[test]
fn regression_metrics_are_weighted_means_of_row_means() {
    let pred = [1.0, 2.0, 3.0, 5.0];
    let y = Targets::Dense(&[0.0, 2.0, 3.0, 3.0]);
    let w = Some(&[1.0, 3.0][..]);
    assert_close(&[one_batch(Metric::MeanAbsoluteError, &pred, y, 2, None)], &[0.75], 1e-7);
    assert_close(&[one_batch(Metric::MeanAbsoluteError, &pred, y, 2, w)], &[0.875], 1e-7);
    assert_close(&[one_batch(Metric::MeanSquaredError, &pred, y, 2, None)], &[1.25], 1e-7);
    assert_close(&[one_batch(Metric::MeanSquaredError, &pred, y, 2, w)], &[1.625], 1e-7);
}

/// Keras's `Mean` state: `Σ w·v / Σ w` over every batch since the last reset, not a mean of batch
/// means.
#[test]
fn the_state_accumulates_across_batches_and_resets() {
    let mut state = MetricState::new(Metric::Accuracy, 3, true);
    assert_eq!(state.result(), 0.0, "no batch yet");
    let pred = [0.1, 0.8, 0.1, 0.7, 0.2, 0.1, 0.2, 0.2, 0.6];
    // Batch 1: rows right, wrong, right with weights 1, 1, 2 → 3 of 4.
    state.update(&pred, Targets::Sparse(&[1, 1, 2]), 3, Some(&[1.0, 1.0, 2.0])).unwrap();
    assert_eq!(state.result(), 0.75);
    // Batch 2: one wrong row of weight 4 → 3 of 8 (the mean of batch means would be 0.375 too, so
    // also check a third batch).
    state.update(&pred[..3], Targets::Sparse(&[0]), 3, Some(&[4.0])).unwrap();
    assert_eq!(state.result(), 0.375);
    state.update(&pred[..6], Targets::Sparse(&[1, 0]), 3, None).unwrap();
    assert_eq!(state.result(), 0.5);
    state.reset();
    assert_eq!(state.result(), 0.0);
    state.update(&pred[..3], Targets::Sparse(&[1]), 3, None).unwrap();
    assert_eq!(state.result(), 1.0);
    // Weights that sum to 0 leave the mean undefined: 0, as Keras's divide_no_nan.
    let mut zero = MetricState::new(Metric::MeanSquaredError, 3, false);
    zero.update(&pred[..3], Targets::Dense(&[0.0; 3]), 3, Some(&[0.0])).unwrap();
    assert_eq!(zero.result(), 0.0);
}

#[test]
fn batches_that_do_not_fit_are_errors_and_leave_the_state_alone() {
    let mut state = MetricState::new(Metric::Accuracy, 3, false);
    state.update(&[0.2, 0.7, 0.1], Targets::Dense(&[0.0, 1.0, 0.0]), 3, None).unwrap();
    let pred = [0.5; 6];
    let errors = [
        state.update(&pred, Targets::Dense(&[0.0; 6]), 2, None).unwrap_err(),
        state.update(&pred, Targets::Dense(&[0.0; 5]), 3, None).unwrap_err(),
        state.update(&pred, Targets::Dense(&[0.0; 6]), 3, Some(&[1.0; 3])).unwrap_err(),
        state.update(&pred, Targets::Sparse(&[0, 1]), 3, None).unwrap_err(),
        state.update(&[0.5; 5], Targets::Dense(&[0.0; 5]), 3, None).unwrap_err(),
    ];
    assert!(matches!(errors[0], Error::InvalidArgument { name: "row_len", .. }), "{:?}", errors[0]);
    assert!(errors[1].to_string().contains('5') && errors[1].to_string().contains('6'), "{}", errors[1]);
    assert!(errors[2].to_string().contains("weights"), "{}", errors[2]);
    let e = errors[3].to_string();
    assert!(e.contains("accuracy") && e.contains("categorical_accuracy") && e.contains("class ids"), "{e}");
    assert!(matches!(errors[4], Error::InvalidArgument { .. }), "{:?}", errors[4]);
    assert_eq!(state.result(), 1.0, "the first batch only");

    let mut mse = MetricState::new(Metric::MeanSquaredError, 2, false);
    assert!(mse.update(&pred, Targets::Sparse(&[0, 1, 0]), 2, None).is_err());
    let mut sparse = MetricState::new(Metric::SparseCategoricalAccuracy, 3, true);
    assert!(sparse.update(&pred, Targets::Sparse(&[0, 1, 2]), 3, None).is_err());
}
