//! Losses: values against float64 Python references of the Keras 3 formulas, gradients against
//! central finite differences, fused gradients against the chain rule through the activation, and
//! the errors for labels and lengths that do not fit.

use shaped_runtime::layers::{Activation, ActivationFn};
use shaped_runtime::testing::assert_close;
use shaped_runtime::train::loss::{
    BinaryCrossentropy, CategoricalCrossentropy, Huber, Loss, LossValue, MeanAbsoluteError, MeanSquaredError,
    SparseCategoricalCrossentropy,
};
use shaped_runtime::train::Targets;
use shaped_runtime::Error;

/// Values against float64 references: the losses sum and log in f64, so only the final f32
/// rounding and the f32 normalisation/clipping remain.
const TOL: f32 = 1e-6;

/* Helpers of every Python block below (float64, `math` only; `f32` rounds like numpy.float32):

import math, struct
def f32(v): return struct.unpack('f', struct.pack('f', v))[0]
EPS, HI = f32(1e-7), f32(1 - 1e-7)            # float32 Keras clip bounds
clip = lambda p: min(max(p, EPS), HI)
def mean_over_batch(ls, w=None):              # sum_over_batch_size
    w = w or [1.0] * len(ls)
    return sum(a * b for a, b in zip(w, ls)) / len(ls)
def cce(p, y, s=0.0):                         # one row, probabilities
    C = len(p); y = [f32(t * (1 - s) + s / C) for t in y]; S = sum(p)
    return -sum(t * math.log(clip(f32(v / S))) for t, v in zip(y, p))
def cce_logits(z, y, s=0.0):
    C = len(z); y = [f32(t * (1 - s) + s / C) for t in y]; m = max(z)
    lse = m + math.log(sum(math.exp(v - m) for v in z))
    return -sum(t * (v - lse) for t, v in zip(y, z))
def bce(p, y, s=0.0):
    y = [f32(t * (1 - s) + 0.5 * s) for t in y]
    return sum(-(t * math.log(clip(v)) + (1 - t) * math.log(f32(1 - clip(v)))) for t, v in zip(y, p)) / len(p)
def softplus(x): return max(x, 0.0) + math.log1p(math.exp(-abs(x)))
def bce_logits(z, y, s=0.0):
    y = [f32(t * (1 - s) + 0.5 * s) for t in y]
    return sum(t * softplus(-v) + (1 - t) * softplus(v) for t, v in zip(y, z)) / len(z)
def mse(p, y): return sum((f32(a - b)) ** 2 for a, b in zip(p, y)) / len(p)
def mae(p, y): return sum(abs(f32(a - b)) for a, b in zip(p, y)) / len(p)
def huber(p, y, d=1.0):
    e = [f32(a - b) for a, b in zip(p, y)]
    return sum(0.5 * v * v if abs(v) <= d else d * abs(v) - 0.5 * d * d for v in e) / len(e)
F = lambda rows: [[f32(v) for v in r] for r in rows]
*/

/// The loss value without a gradient.
fn value(
    loss: &dyn Loss,
    pred: &[f32],
    targets: Targets<'_>,
    row_len: usize,
    weights: Option<&[f32]>,
) -> f32 {
    loss.compute(pred, targets, row_len, weights, None, None).unwrap().value
}

/// The value and the gradient, from a buffer pre-filled with NaN so that a missed entry shows.
fn value_and_grad(
    loss: &dyn Loss,
    pred: &[f32],
    targets: Targets<'_>,
    row_len: usize,
    weights: Option<&[f32]>,
    activation: Option<Activation>,
) -> (LossValue, Vec<f32>) {
    let mut grad = vec![f32::NAN; pred.len()];
    let v = loss.compute(pred, targets, row_len, weights, activation, Some(&mut grad)).unwrap();
    (v, grad)
}

/// `|actual − expected| ≤ rel·|expected|`, for values far below 1 that `assert_close` would accept
/// as 0.
#[track_caller]
fn assert_rel(actual: f32, expected: f64, rel: f64) {
    let diff = (f64::from(actual) - expected).abs();
    assert!(diff <= rel * expected.abs(), "actual {actual}, expected {expected} (|diff| = {diff})");
}

/// Central finite differences of the f32 loss, in f64: `(L(p + h) − L(p − h)) / (p₊ − p₋)`, the
/// step rounded to f32 so that the denominator is the step actually taken.
fn finite_differences(
    loss: &dyn Loss,
    pred: &[f32],
    targets: Targets<'_>,
    row_len: usize,
    weights: Option<&[f32]>,
    h: f32,
) -> Vec<f32> {
    let mut x = pred.to_vec();
    (0..pred.len())
        .map(|i| {
            let (plus, minus) = (pred[i] + h, pred[i] - h);
            x[i] = plus;
            let up = f64::from(value(loss, &x, targets, row_len, weights));
            x[i] = minus;
            let down = f64::from(value(loss, &x, targets, row_len, weights));
            x[i] = pred[i];
            ((up - down) / (f64::from(plus) - f64::from(minus))) as f32
        })
        .collect()
}

/// The analytic gradient equals central finite differences (step 1e-3): the f32 value rounding
/// contributes about 3e-5·|L| and the truncation about 1e-5 at these inputs.
#[track_caller]
fn check_gradient(
    loss: &dyn Loss,
    pred: &[f32],
    targets: Targets<'_>,
    row_len: usize,
    weights: Option<&[f32]>,
) {
    let (v, grad) = value_and_grad(loss, pred, targets, row_len, weights, None);
    assert!(!v.grad_is_preactivation);
    let fd = finite_differences(loss, pred, targets, row_len, weights, 1e-3);
    assert_close(&grad, &fd, 2e-4);
}

#[test]
fn names_and_keras_defaults() {
    assert_eq!(CategoricalCrossentropy::default().name(), "categorical_crossentropy");
    assert_eq!(SparseCategoricalCrossentropy::default().name(), "sparse_categorical_crossentropy");
    assert_eq!(BinaryCrossentropy::default().name(), "binary_crossentropy");
    assert_eq!(MeanSquaredError.name(), "mean_squared_error");
    assert_eq!(MeanAbsoluteError.name(), "mean_absolute_error");
    assert_eq!(Huber::default().name(), "huber");
    assert_eq!(Huber::default().delta, 1.0);
    assert_eq!(
        CategoricalCrossentropy::default(),
        CategoricalCrossentropy { from_logits: false, label_smoothing: 0.0 }
    );
    assert_eq!(
        BinaryCrossentropy::default(),
        BinaryCrossentropy { from_logits: false, label_smoothing: 0.0 }
    );
    assert_eq!(
        SparseCategoricalCrossentropy::default(),
        SparseCategoricalCrossentropy { from_logits: false, ignore_class: None }
    );
}

/* Equivalent python code (with the helpers above):

P = F([[0.2, 0.3, 0.5], [0.3, 0.5, 0.4]]); Y = [[0, 0, 1], [0, 1, 0]]
print(mean_over_batch([cce(p, y) for p, y in zip(P, Y)]))              # 0.7843079708778518
print(mean_over_batch([cce(p, y) for p, y in zip(P, Y)], [0.5, 2.0]))  # 1.0487555563357445
print(mean_over_batch([cce(p, y, 0.1) for p, y in zip(P, Y)]))         # 0.8203260685765033
*/
#[test]
fn categorical_crossentropy_from_probabilities() {
    // The second row sums to 1.2: Keras renormalises it before the log.
    let pred = [0.2, 0.3, 0.5, 0.3, 0.5, 0.4];
    let y = Targets::Dense(&[0.0, 0.0, 1.0, 0.0, 1.0, 0.0]);
    let cce = CategoricalCrossentropy::default();
    assert_close(&[value(&cce, &pred, y, 3, None)], &[0.784_307_96], TOL);
    // Weighted: Σ w·l / rows, not / Σ w.
    assert_close(&[value(&cce, &pred, y, 3, Some(&[0.5, 2.0]))], &[1.048_755_5], TOL);
    let smoothed = CategoricalCrossentropy { label_smoothing: 0.1, ..Default::default() };
    assert_close(&[value(&smoothed, &pred, y, 3, None)], &[0.820_326_1], TOL);
}

/* Equivalent python code (with the helpers above):

print(mean_over_batch([cce([1.0, 0.0, 0.0], [1, 0, 0]), cce([0.0, 1.0, 0.0], [1, 0, 0])]))  # 8.05904787924076
# one row with an exact 0 that is clipped; the gradient still flows through the normalisation
p = F([[0.0, 0.25, 0.75]])[0]; y = [0, 1, 0]; S = sum(p); q = [v / S for v in p]
dq = [-t / v if EPS < v < HI else 0.0 for t, v in zip(y, q)]   # ∂l/∂q, zero where clipped
dot = sum(a * b for a, b in zip(dq, q))
print(cce(p, y), [(d - dot) / S for d in dq])   # 1.3862943611198906 [1.0, -3.0, 1.0]
*/
#[test]
fn categorical_crossentropy_clips_exact_zero_and_one() {
    let cce = CategoricalCrossentropy::default();
    // Row 1 is right with p = 1 (costs −log(1 − ε)), row 2 wrong with p = 0 (costs −log ε).
    let pred = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
    let y = Targets::Dense(&[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
    let (v, grad) = value_and_grad(&cce, &pred, y, 3, None, None);
    assert_close(&[v.value], &[8.059_048], TOL);
    assert!(v.value.is_finite());
    // Every normalised probability is clipped, so nothing flows back.
    assert_eq!(grad, [0.0; 6]);

    let (v, grad) = value_and_grad(&cce, &[0.0, 0.25, 0.75], Targets::Dense(&[0.0, 1.0, 0.0]), 3, None, None);
    assert_close(&[v.value], &[1.386_294_4], TOL);
    assert_close(&grad, &[1.0, -3.0, 1.0], TOL);
}

/* Equivalent python code (with the helpers above):

Z = F([[1, 2, 3], [-1, 0.5, 4]]); YZ = [[0, 0, 1], [1, 0, 0]]
print(mean_over_batch([cce_logits(z, y) for z, y in zip(Z, YZ)]))                    # 2.7219377647845797
print(mean_over_batch([cce_logits(z, y, 0.2) for z, y in zip(Z, YZ)], [1.5, 0.25]))  # 1.0310715212414485
print(cce_logits([1000.0, 0.0, -1000.0], [0, 1, 0]))                                 # 1000.0
*/
#[test]
fn categorical_crossentropy_from_logits() {
    let logits = CategoricalCrossentropy { from_logits: true, ..Default::default() };
    let z = [1.0, 2.0, 3.0, -1.0, 0.5, 4.0];
    let y = Targets::Dense(&[0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
    assert_close(&[value(&logits, &z, y, 3, None)], &[2.721_937_7], TOL);
    let smoothed = CategoricalCrossentropy { from_logits: true, label_smoothing: 0.2 };
    assert_close(&[value(&smoothed, &z, y, 3, Some(&[1.5, 0.25]))], &[1.031_071_5], TOL);
    // Huge logits stay finite: log_softmax, not log(softmax).
    let (v, grad) =
        value_and_grad(&logits, &[1000.0, 0.0, -1000.0], Targets::Dense(&[0.0, 1.0, 0.0]), 3, None, None);
    assert_close(&[v.value], &[1000.0], TOL);
    assert_close(&grad, &[1.0, -1.0, 0.0], TOL);
}

/// The sparse loss is the categorical loss of the one-hot targets: same value, same gradient.
#[test]
fn sparse_matches_categorical_on_one_hot_targets() {
    let pred = [0.2, 0.3, 0.5, 0.3, 0.5, 0.4, 0.7, 0.2, 0.1];
    let ids = [2, 1, 0];
    let one_hot = [0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0];
    let weights = [0.5, 2.0, 1.25];
    for from_logits in [false, true] {
        let sparse = SparseCategoricalCrossentropy { from_logits, ignore_class: None };
        let dense = CategoricalCrossentropy { from_logits, label_smoothing: 0.0 };
        for w in [None, Some(&weights[..])] {
            let (vs, gs) = value_and_grad(&sparse, &pred, Targets::Sparse(&ids), 3, w, None);
            let (vd, gd) = value_and_grad(&dense, &pred, Targets::Dense(&one_hot), 3, w, None);
            assert_close(&[vs.value], &[vd.value], TOL);
            assert_close(&gs, &gd, TOL);
        }
    }
}

/* Equivalent python code (with the helpers above):

Z = F([[1, 2, 3], [-1, 0.5, 4]])   # class ids [1, 2], weights [1, 3]
print(mean_over_batch([cce_logits(z, y) for z, y in zip(Z, [[0, 1, 0], [0, 0, 1]])], [1.0, 3.0]))  # 0.7582073299093586
*/
#[test]
fn sparse_categorical_crossentropy_from_logits() {
    let logits = SparseCategoricalCrossentropy { from_logits: true, ignore_class: None };
    let z = [1.0, 2.0, 3.0, -1.0, 0.5, 4.0];
    assert_close(&[value(&logits, &z, Targets::Sparse(&[1, 2]), 3, Some(&[1.0, 3.0]))], &[0.758_207_3], TOL);
}

/* Equivalent python code (with the helpers above):

P3 = F([[0.2, 0.3, 0.5], [0.9, 0.05, 0.05], [0.3, 0.5, 0.4]])  # ids [2, 7, 1], ignore_class 7, weights [2, 5, 0.5]
# Keras masks the ignored row: Σ_valid w·l / valid rows
print((2.0 * cce(P3[0], [0, 0, 1]) + 0.5 * cce(P3[2], [0, 1, 0])) / 2)   # 0.9120143708588848
*/
#[test]
fn sparse_ignore_class_masks_rows_out_of_the_mean() {
    let pred = [0.2, 0.3, 0.5, 0.9, 0.05, 0.05, 0.3, 0.5, 0.4];
    let weights = [2.0, 5.0, 0.5];
    // The ignored id 7 is not a class of a 3-way output: it is not checked, as Keras masks it first.
    let ids = Targets::Sparse(&[2, 7, 1]);
    let loss = SparseCategoricalCrossentropy { from_logits: false, ignore_class: Some(7) };
    let (v, grad) = value_and_grad(&loss, &pred, ids, 3, Some(&weights), None);
    assert_close(&[v.value], &[0.912_014_37], TOL);
    assert_eq!(grad[3..6], [0.0; 3]);
    assert!(grad.iter().all(|g| g.is_finite()));
    // The kept rows get the gradient of the 2-row batch without the ignored row.
    let kept = [0.2, 0.3, 0.5, 0.3, 0.5, 0.4];
    let (v2, grad2) = value_and_grad(&loss, &kept, Targets::Sparse(&[2, 1]), 3, Some(&[2.0, 0.5]), None);
    assert_close(&[v.value], &[v2.value], TOL);
    assert_close(&[&grad[..3], &grad[6..]].concat(), &grad2, TOL);
    check_gradient(&loss, &pred, ids, 3, Some(&weights));

    // Every row ignored: no valid row, value 0 (Keras divide_no_nan), zero gradient.
    let (v, grad) = value_and_grad(&loss, &pred, Targets::Sparse(&[7, 7, 7]), 3, None, None);
    assert_eq!(v.value, 0.0);
    assert_eq!(grad, [0.0; 9]);
}

#[test]
fn sparse_class_id_out_of_range_is_an_error_naming_both_numbers() {
    let pred = [0.1; 40];
    let mut grad = [7.0; 40];
    let loss = SparseCategoricalCrossentropy::default();
    let err =
        loss.compute(&pred, Targets::Sparse(&[0, 9, 1, 12]), 10, None, None, Some(&mut grad)).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::InvalidArgument { name: "labels", .. }), "{err:?}");
    assert!(msg.contains("class id 12") && msg.contains("row 3") && msg.contains("10 outputs"), "{msg}");
    // Nothing was written before the error.
    assert_eq!(grad, [7.0; 40]);
    // Also from logits, and with an ignore_class that is not the offending id.
    let logits = SparseCategoricalCrossentropy { from_logits: true, ignore_class: Some(0) };
    let msg =
        logits.compute(&pred, Targets::Sparse(&[0, 10, 1, 2]), 10, None, None, None).unwrap_err().to_string();
    assert!(msg.contains("class id 10") && msg.contains("row 1") && msg.contains("10 outputs"), "{msg}");
}

/* Equivalent python code (with the helpers above):

PB = F([[0.9, 0.2], [0.4, 0.6]]); YB = [[1, 0], [0, 1]]
print(mean_over_batch([bce(p, y) for p, y in zip(PB, YB)]))              # 0.3375388116552379
print(mean_over_batch([bce(p, y) for p, y in zip(PB, YB)], [2.0, 0.5]))  # 0.2919584352883047
print(mean_over_batch([bce(p, y, 0.2) for p, y in zip(PB, YB)]))         # 0.44740005318444076
*/
#[test]
fn binary_crossentropy_from_probabilities() {
    let pred = [0.9, 0.2, 0.4, 0.6];
    let y = Targets::Dense(&[1.0, 0.0, 0.0, 1.0]);
    let bce = BinaryCrossentropy::default();
    assert_close(&[value(&bce, &pred, y, 2, None)], &[0.337_538_8], TOL);
    assert_close(&[value(&bce, &pred, y, 2, Some(&[2.0, 0.5]))], &[0.291_958_42], TOL);
    let smoothed = BinaryCrossentropy { label_smoothing: 0.2, ..Default::default() };
    assert_close(&[value(&smoothed, &pred, y, 2, None)], &[0.447_400_06], TOL);
}

/* Equivalent python code (with the helpers above):

# 1 − clip(1) is 1 − f32(1 − 1e-7) = 2⁻²³ in float32, so a confident wrong 1 costs 15.94, not 16.12
print(bce([0.0, 1.0], [1, 0]), bce([0.0, 1.0], [0, 1]))   # 16.030240396075484 1.1920929665620916e-07
*/
#[test]
fn binary_crossentropy_clips_exact_zero_and_one() {
    let bce = BinaryCrossentropy::default();
    let (v, grad) = value_and_grad(&bce, &[0.0, 1.0], Targets::Dense(&[1.0, 0.0]), 2, None, None);
    assert_close(&[v.value], &[16.030_241], TOL);
    assert_eq!(grad, [0.0, 0.0]);
    let (v, grad) = value_and_grad(&bce, &[0.0, 1.0], Targets::Dense(&[0.0, 1.0]), 2, None, None);
    assert_rel(v.value, 1.192_092_966_562_091_6e-7, 1e-5);
    assert_eq!(grad, [0.0, 0.0]);
}

/* Equivalent python code (with the helpers above):

ZB = F([[2, -1], [0.5, 100]]); YZB = [[1, 0], [0, 0]]
print(mean_over_batch([bce_logits(z, y) for z, y in zip(ZB, YZB)]))                    # 25.353566670685325
print(mean_over_batch([bce_logits(z, y, 0.1) for z, y in zip(ZB, YZB)], [1.0, 0.5]))   # 12.14118204444975
*/
#[test]
fn binary_crossentropy_from_logits() {
    let z = [2.0, -1.0, 0.5, 100.0];
    let y = Targets::Dense(&[1.0, 0.0, 0.0, 0.0]);
    let logits = BinaryCrossentropy { from_logits: true, label_smoothing: 0.0 };
    assert_close(&[value(&logits, &z, y, 2, None)], &[25.353_567], TOL);
    let smoothed = BinaryCrossentropy { from_logits: true, label_smoothing: 0.1 };
    assert_close(&[value(&smoothed, &z, y, 2, Some(&[1.0, 0.5]))], &[12.141_182], TOL);
}

/* Equivalent python code (with the helpers above):

PR = F([[1, 2, 3], [0.5, -1, 2]]); YR = F([[1.5, 2, 1], [0, 0, 0]])
for f in [mse, mae, huber, lambda p, y: huber(p, y, 2.5)]:
    print(mean_over_batch([f(p, y) for p, y in zip(PR, YR)]), mean_over_batch([f(p, y) for p, y in zip(PR, YR)], [1.0, 3.0]))
# 1.5833333333333335 3.3333333333333335
# 1.0 2.1666666666666665
# 0.625 1.3333333333333333
# 0.7916666666666667 1.6666666666666667
*/
#[test]
fn regression_losses() {
    let pred = [1.0, 2.0, 3.0, 0.5, -1.0, 2.0];
    let y = Targets::Dense(&[1.5, 2.0, 1.0, 0.0, 0.0, 0.0]);
    let w = Some(&[1.0, 3.0][..]);
    let cases: [(&dyn Loss, f32, f32); 4] = [
        (&MeanSquaredError, 1.583_333_3, 3.333_333_3),
        (&MeanAbsoluteError, 1.0, 2.166_666_7),
        // Errors −0.5, 0, 2 and 0.5, −1, 2: |e| = δ = 1 takes the quadratic branch.
        (&Huber::default(), 0.625, 1.333_333_3),
        (&Huber { delta: 2.5 }, 0.791_666_7, 1.666_666_7),
    ];
    for (loss, plain, weighted) in cases {
        assert_close(&[value(loss, &pred, y, 3, None)], &[plain], TOL);
        assert_close(&[value(loss, &pred, y, 3, w)], &[weighted], TOL);
    }
}

/// Analytic gradients at the points finite differences must avoid.
#[test]
fn gradients_at_kinks_follow_jax() {
    // MAE: sign(0) = 0. d/dp mean|p − y| = sign(p − y)/n with n = 3, rows = 1.
    let (_, grad) =
        value_and_grad(&MeanAbsoluteError, &[1.0, 2.0, 0.0], Targets::Dense(&[1.0, 1.0, 1.0]), 3, None, None);
    assert_close(&grad, &[0.0, 1.0 / 3.0, -1.0 / 3.0], TOL);
    // Huber at |e| = δ: the quadratic branch, e/n = ±δ/n, equal to the linear one there.
    let (_, grad) = value_and_grad(
        &Huber::default(),
        &[2.0, -1.0, 0.25],
        Targets::Dense(&[1.0, 0.0, 0.0]),
        3,
        None,
        None,
    );
    assert_close(&grad, &[1.0 / 3.0, -1.0 / 3.0, 0.25 / 3.0], TOL);
    // A normalised probability exactly at the clip bound 1 − ε gets half the gradient (JAX's clip
    // splits ties): the row [1 − ε, 2⁻²³] sums to exactly 1, so q = p and, with g₀ = −½/q₀,
    // ∂/∂p_k = (δ_k0·g₀ − g₀·q₀)/Σp = [½ − ½/p₀, ½] (a full gradient would give [1 − 1/p₀, 1]).
    let p0 = 1.0f32 - 1e-7;
    let p1 = 1.0 - p0;
    let (_, grad) = value_and_grad(
        &CategoricalCrossentropy::default(),
        &[p0, p1],
        Targets::Dense(&[1.0, 0.0]),
        2,
        None,
        None,
    );
    assert_close(&grad, &[(0.5 - 0.5 / f64::from(p0)) as f32, 0.5], TOL);
}

#[test]
fn categorical_gradients_match_finite_differences() {
    let pred = [0.2, 0.3, 0.5, 0.3, 0.5, 0.4];
    let soft = Targets::Dense(&[0.1, 0.2, 0.7, 0.0, 1.0, 0.0]);
    let w = Some(&[0.5, 2.0][..]);
    check_gradient(&CategoricalCrossentropy::default(), &pred, soft, 3, None);
    check_gradient(&CategoricalCrossentropy { from_logits: false, label_smoothing: 0.1 }, &pred, soft, 3, w);
    let z = [1.0, 2.0, 3.0, -1.0, 0.5, 4.0];
    check_gradient(&CategoricalCrossentropy { from_logits: true, label_smoothing: 0.0 }, &z, soft, 3, None);
    check_gradient(&CategoricalCrossentropy { from_logits: true, label_smoothing: 0.2 }, &z, soft, 3, w);
}

#[test]
fn sparse_gradients_match_finite_differences() {
    let pred = [0.2, 0.3, 0.5, 0.3, 0.5, 0.4];
    let ids = Targets::Sparse(&[2, 0]);
    let w = Some(&[0.5, 2.0][..]);
    check_gradient(&SparseCategoricalCrossentropy::default(), &pred, ids, 3, None);
    check_gradient(&SparseCategoricalCrossentropy::default(), &pred, ids, 3, w);
    let z = [1.0, 2.0, 3.0, -1.0, 0.5, 4.0];
    let logits = SparseCategoricalCrossentropy { from_logits: true, ignore_class: None };
    check_gradient(&logits, &z, ids, 3, w);
    let ignoring = SparseCategoricalCrossentropy { from_logits: true, ignore_class: Some(0) };
    check_gradient(&ignoring, &z, ids, 3, w);
}

#[test]
fn binary_gradients_match_finite_differences() {
    let pred = [0.9, 0.2, 0.4, 0.6, 0.35, 0.05];
    let y = Targets::Dense(&[1.0, 0.0, 0.0, 1.0, 0.3, 1.0]);
    let w = Some(&[2.0, 0.5, 1.0][..]);
    check_gradient(&BinaryCrossentropy::default(), &pred, y, 2, None);
    check_gradient(&BinaryCrossentropy { from_logits: false, label_smoothing: 0.2 }, &pred, y, 2, w);
    let z = [2.0, -1.0, 0.5, 3.0, -0.25, 0.0];
    check_gradient(&BinaryCrossentropy { from_logits: true, label_smoothing: 0.0 }, &z, y, 2, None);
    check_gradient(
        &BinaryCrossentropy { from_logits: true, label_smoothing: 0.1 },
        &z,
        y,
        3,
        Some(&[1.0, 0.5]),
    );
}

#[test]
fn regression_gradients_match_finite_differences() {
    // No error is 0 (MAE's kink) or ±δ (Huber's).
    let pred = [1.0, 2.2, 3.0, 0.5, -1.0, 2.0];
    let y = Targets::Dense(&[1.5, 2.0, 1.0, 0.0, 0.3, 0.0]);
    for w in [None, Some(&[1.0, 3.0][..])] {
        check_gradient(&MeanSquaredError, &pred, y, 3, w);
        check_gradient(&MeanAbsoluteError, &pred, y, 3, w);
        check_gradient(&Huber::default(), &pred, y, 3, w);
        check_gradient(&Huber { delta: 0.4 }, &pred, y, 2, Some(&[1.0, 0.5, 2.0]));
    }
}

/// `dz` of the unfused loss gradient through the activation's own backward pass.
fn chain_rule(
    loss: &dyn Loss,
    act: Activation,
    z: &[f32],
    targets: Targets<'_>,
    row_len: usize,
    weights: Option<&[f32]>,
) -> (Vec<f32>, LossValue) {
    let mut p = z.to_vec();
    act.forward_in_place(&mut p, row_len);
    let (v, dp) = value_and_grad(loss, &p, targets, row_len, weights, None);
    assert!(!v.grad_is_preactivation);
    let mut dz = vec![0.0; z.len()];
    act.backward(z, &p, &dp, &mut dz, row_len);
    (dz, v)
}

/// The fused gradient and value for the activation's output.
fn fused(
    loss: &dyn Loss,
    act: Activation,
    z: &[f32],
    targets: Targets<'_>,
    row_len: usize,
    weights: Option<&[f32]>,
) -> (Vec<f32>, LossValue) {
    let mut p = z.to_vec();
    act.forward_in_place(&mut p, row_len);
    let (v, dz) = value_and_grad(loss, &p, targets, row_len, weights, Some(act));
    assert!(v.grad_is_preactivation, "{} does not fuse with {act:?}", loss.name());
    (dz, v)
}

#[test]
fn fused_softmax_gradient_equals_the_chain_rule() {
    // Moderate logits: no probability reaches a clip bound.
    let z = [1.0, 2.0, 3.0, -1.0, 0.5, 4.0, 0.3, 0.3, -2.0];
    let w = Some(&[1.5, 0.25, 1.0][..]);
    let one_hot = Targets::Dense(&[0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
    // Soft targets that do not sum to 1: the fused gradient is p·Σy − y, not p − y.
    let unnormalised = Targets::Dense(&[0.3, 0.9, 0.0, 0.5, 0.0, 0.0, 1.0, 1.0, 1.0]);
    for (targets, smoothing) in [(one_hot, 0.0), (one_hot, 0.1), (unnormalised, 0.0)] {
        let cce = CategoricalCrossentropy { from_logits: false, label_smoothing: smoothing };
        for weights in [None, w] {
            let (chained, v1) = chain_rule(&cce, Activation::Softmax, &z, targets, 3, weights);
            let (fused, v2) = fused(&cce, Activation::Softmax, &z, targets, 3, weights);
            assert_close(&fused, &chained, 1e-5);
            assert_eq!(v1.value, v2.value, "fusion changes only the gradient");
        }
    }
    let sparse = SparseCategoricalCrossentropy::default();
    let ids = Targets::Sparse(&[2, 0, 1]);
    let (chained, v1) = chain_rule(&sparse, Activation::Softmax, &z, ids, 3, w);
    let (fused_grad, v2) = fused(&sparse, Activation::Softmax, &z, ids, 3, w);
    assert_close(&fused_grad, &chained, 1e-5);
    assert_eq!(v1.value, v2.value);
    // With an ignored row, which stays at zero gradient.
    let ignoring = SparseCategoricalCrossentropy { from_logits: false, ignore_class: Some(0) };
    let (chained, _) = chain_rule(&ignoring, Activation::Softmax, &z, ids, 3, w);
    let (fused_grad, _) = fused(&ignoring, Activation::Softmax, &z, ids, 3, w);
    assert_close(&fused_grad, &chained, 1e-5);
    assert_eq!(fused_grad[3..6], [0.0; 3]);
}

#[test]
fn fused_sigmoid_gradient_equals_the_chain_rule() {
    let z = [2.0, -1.0, 0.5, 3.0, -0.25, 0.0];
    let y = Targets::Dense(&[1.0, 0.0, 0.0, 1.0, 0.3, 1.0]);
    for (smoothing, weights) in [(0.0, None), (0.2, Some(&[2.0, 0.5, 1.0][..]))] {
        let bce = BinaryCrossentropy { from_logits: false, label_smoothing: smoothing };
        let (chained, v1) = chain_rule(&bce, Activation::Sigmoid, &z, y, 2, weights);
        let (fused_grad, v2) = fused(&bce, Activation::Sigmoid, &z, y, 2, weights);
        assert_close(&fused_grad, &chained, 1e-5);
        assert_eq!(v1.value, v2.value);
    }
}

/* Equivalent python code (with the helpers above):

print(cce([math.exp(30), 1.0, math.exp(-30)], [0, 1, 0]))   # 16.118095639272223 = −log ε: p₁ ≈ 9.4e-14 is clipped
*/
/// The fused gradient stays exact where the chain rule is lost: a saturated softmax whose
/// probabilities are clipped still gets `p − y`.
#[test]
fn fused_gradient_survives_saturation() {
    let mut p = [30.0, 0.0, -30.0];
    Activation::Softmax.forward_in_place(&mut p, 3);
    let (v, grad) = value_and_grad(
        &CategoricalCrossentropy::default(),
        &p,
        Targets::Dense(&[0.0, 1.0, 0.0]),
        3,
        None,
        Some(Activation::Softmax),
    );
    assert!(v.grad_is_preactivation);
    // The value is Keras's clipped one: p₁ ≈ 9.4e-14 is clipped to ε.
    assert_close(&[v.value], &[16.118_095], TOL);
    assert_close(&grad, &[1.0, -1.0, 0.0], 1e-6);
}

#[test]
fn fusion_only_for_the_matching_activation_on_probabilities() {
    let z = [1.0, 2.0, 3.0];
    let y = Targets::Dense(&[0.0, 0.0, 1.0]);
    let not_fused = |loss: &dyn Loss, act: Activation| {
        let (v, _) = value_and_grad(loss, &z, y, 3, None, Some(act));
        !v.grad_is_preactivation
    };
    let cce_logits = CategoricalCrossentropy { from_logits: true, label_smoothing: 0.0 };
    assert!(not_fused(&cce_logits, Activation::Softmax));
    assert!(not_fused(&CategoricalCrossentropy::default(), Activation::Sigmoid));
    assert!(not_fused(&CategoricalCrossentropy::default(), Activation::Relu));
    assert!(not_fused(&BinaryCrossentropy::default(), Activation::Softmax));
    assert!(not_fused(&BinaryCrossentropy { from_logits: true, label_smoothing: 0.0 }, Activation::Sigmoid));
    assert!(not_fused(&MeanSquaredError, Activation::Softmax));
    assert!(not_fused(&MeanAbsoluteError, Activation::Sigmoid));
    assert!(not_fused(&Huber::default(), Activation::Linear));
    // Without a fusing activation the gradient is the plain one.
    let (_, with_relu) =
        value_and_grad(&CategoricalCrossentropy::default(), &z, y, 3, None, Some(Activation::Relu));
    let (_, plain) = value_and_grad(&CategoricalCrossentropy::default(), &z, y, 3, None, None);
    assert_eq!(with_relu, plain);
}

#[test]
fn lengths_that_do_not_fit_are_errors_naming_both() {
    let pred = [0.5; 6];
    let mut grad = [0.0; 5];
    let cce = CategoricalCrossentropy::default();
    let msg = |e: Error| e.to_string();
    let e = msg(cce.compute(&pred, Targets::Dense(&[0.0; 4]), 3, None, None, None).unwrap_err());
    assert!(e.contains('4') && e.contains('6') && e.contains("targets"), "{e}");
    let e = msg(MeanSquaredError.compute(&pred, Targets::Dense(&[0.0; 7]), 2, None, None, None).unwrap_err());
    assert!(e.contains('7') && e.contains('6'), "{e}");
    let sparse = SparseCategoricalCrossentropy::default();
    let e = msg(sparse.compute(&pred, Targets::Sparse(&[0, 1, 2]), 3, None, None, None).unwrap_err());
    assert!(e.contains('3') && e.contains('2') && e.contains("class ids"), "{e}");
    let e = msg(cce.compute(&pred, Targets::Dense(&[0.0; 6]), 3, Some(&[1.0; 3]), None, None).unwrap_err());
    assert!(e.contains('3') && e.contains('2') && e.contains("weights"), "{e}");
    let e = msg(cce.compute(&pred, Targets::Dense(&[0.0; 6]), 3, None, None, Some(&mut grad)).unwrap_err());
    assert!(e.contains('5') && e.contains('6') && e.contains("gradient"), "{e}");
    let e = msg(cce.compute(&pred, Targets::Dense(&[0.0; 6]), 4, None, None, None).unwrap_err());
    assert!(e.contains('6') && e.contains('4'), "{e}");
    let e = msg(cce.compute(&pred, Targets::Dense(&[0.0; 6]), 0, None, None, None).unwrap_err());
    assert!(e.contains("row_len"), "{e}");
}

#[test]
fn the_wrong_kind_of_targets_is_an_error() {
    let pred = [0.5; 4];
    let losses: [&dyn Loss; 5] = [
        &CategoricalCrossentropy::default(),
        &BinaryCrossentropy::default(),
        &MeanSquaredError,
        &MeanAbsoluteError,
        &Huber::default(),
    ];
    for loss in losses {
        let err = loss.compute(&pred, Targets::Sparse(&[0, 1]), 2, None, None, None).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { name: "targets", .. }), "{}: {err}", loss.name());
    }
    let err = SparseCategoricalCrossentropy::default().compute(
        &pred,
        Targets::Dense(&[0.0; 4]),
        2,
        None,
        None,
        None,
    );
    assert!(matches!(err, Err(Error::InvalidArgument { name: "targets", .. })), "{err:?}");
}

#[test]
fn an_empty_batch_has_value_zero() {
    let losses: [&dyn Loss; 3] =
        [&CategoricalCrossentropy::default(), &MeanSquaredError, &BinaryCrossentropy::default()];
    for loss in losses {
        let v = loss.compute(&[], Targets::Dense(&[]), 3, None, None, Some(&mut [])).unwrap();
        assert_eq!(v.value, 0.0, "{}", loss.name());
    }
    let v = SparseCategoricalCrossentropy::default().compute(&[], Targets::Sparse(&[]), 3, None, None, None);
    assert_eq!(v.unwrap().value, 0.0);
}
