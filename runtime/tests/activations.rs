//! Activation functions: forward against float64 Python references, backward against central
//! finite differences of the forward pass, names against Keras's spelling.

use std::f32::consts::LN_2;

use shaped_runtime::layers::activation::{Activation, ActivationFn};
use shaped_runtime::testing::assert_close;

/// The forward tolerance: f32 results against correctly rounded float64 references are within a
/// few ulps, i.e. a few 1e-7 relative.
const TOL: f32 = 1e-6;

/// Inputs of the forward literal tests.
const XS: [f32; 9] = [-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 20.0, -20.0];

/// Inputs of the tail tests, where a naive formula loses every digit.
const TAILS: [f32; 6] = [-80.0, -40.0, -8.0, -5.0, -1e-4, 1e-4];

/* Equivalent python code (float64, `math` only; each value is printed as the shortest f32 literal):

import math, struct
def f32(v): return struct.unpack('f', struct.pack('f', v))[0]
sig = lambda x: 1 / (1 + math.exp(-x))
SA, SS = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
fns = {
    "linear": lambda x: x,
    "relu": lambda x: max(x, 0.0),
    "sigmoid": sig,
    "tanh": math.tanh,
    "gelu": lambda x: 0.5 * x * math.erfc(-x / math.sqrt(2)),
    "elu": lambda x: x if x > 0 else math.expm1(x),
    "selu": lambda x: SS * (x if x > 0 else SA * math.expm1(x)),
    "softplus": lambda x: math.log1p(math.exp(-abs(x))) + max(x, 0.0),
    "softsign": lambda x: x / (abs(x) + 1),
    "leaky_relu": lambda x: x if x >= 0 else 0.2 * x,
    "swish": lambda x: x * sig(x),
}
def softmax(row):
    m = max(row); e = [math.exp(v - m) for v in row]; s = sum(e)
    return [v / s for v in e]
XS = [-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 20.0, -20.0]
TAILS = [-80.0, -40.0, -8.0, -5.0, -1e-4, 1e-4]
for name, f in fns.items():
    print(name, [f32(f(f32(x))) for x in XS], [f32(f(f32(x))) for x in TAILS])
print("softmax", softmax(XS), softmax([1000.0, 1001.0, 1002.0]), softmax([-0.5, 2.0, 0.25]))
print("at -2: exp", math.exp(-2), "selu'", SS * SA * math.exp(-2))
*/

/// `f(xs)` through [`Activation::forward_in_place`], the whole slice as one row.
fn forward(act: Activation, xs: &[f32]) -> Vec<f32> {
    let mut y = xs.to_vec();
    act.forward_in_place(&mut y, xs.len());
    y
}

/// Every pair within `rel · |expected|`: unlike [`assert_close`], tiny values are checked to
/// their own precision.
#[track_caller]
fn assert_rel_close(actual: &[f32], expected: &[f32], rel: f32) {
    assert_eq!(actual.len(), expected.len(), "lengths differ");
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= rel * e.abs(),
            "index {i}: actual {a:e}, expected {e:e} (relative tolerance {rel})"
        );
    }
}

/// Checks `f(XS)` and `f(TAILS)` against the references, absolutely and relatively.
#[track_caller]
fn check_forward(act: Activation, expected: &[f32; 9], expected_tails: &[f32; 6]) {
    let y = forward(act, &XS);
    assert_close(&y, expected, TOL);
    assert_rel_close(&y, expected, TOL);
    let y = forward(act, &TAILS);
    assert_close(&y, expected_tails, TOL);
    assert_rel_close(&y, expected_tails, TOL);
}

#[test]
fn linear_forward() {
    check_forward(Activation::Linear, &XS, &TAILS);
}

#[test]
fn relu_forward() {
    check_forward(
        Activation::Relu,
        &[0.0, 0.0, 0.0, 0.0, 0.5, 1.0, 3.0, 20.0, 0.0],
        &[0.0, 0.0, 0.0, 0.0, 0.0, 1e-4],
    );
}

#[test]
fn sigmoid_forward() {
    check_forward(
        Activation::Sigmoid,
        &[0.047425874, 0.26894143, 0.37754068, 0.5, 0.62245935, 0.7310586, 0.95257413, 1.0, 2.0611537e-9],
        &[1.8048513e-35, 4.248354e-18, 0.00033535014, 0.006692851, 0.499975, 0.500025],
    );
}

#[test]
fn tanh_forward() {
    check_forward(
        Activation::Tanh,
        &[-0.9950548, -0.7615942, -0.46211717, 0.0, 0.46211717, 0.7615942, 0.9950548, 1.0, -1.0],
        &[-1.0, -1.0, -0.99999976, -0.9999092, -0.0001, 0.0001],
    );
}

#[test]
fn gelu_forward_is_the_exact_erf_form() {
    check_forward(
        Activation::Gelu,
        &[-0.004049694, -0.15865526, -0.15426877, 0.0, 0.34573123, 0.8413448, 2.9959502, 20.0, 0.0],
        &[0.0, 0.0, -4.9767683e-15, -1.4332578e-6, -4.9996008e-5, 5.000399e-5],
    );
}

#[test]
fn elu_forward() {
    check_forward(
        Activation::Elu,
        &[-0.95021296, -0.63212055, -0.39346933, 0.0, 0.5, 1.0, 3.0, 20.0, -1.0],
        &[-1.0, -1.0, -0.99966455, -0.99326205, -9.9995e-5, 0.0001],
    );
}

#[test]
fn selu_forward() {
    check_forward(
        Activation::Selu,
        &[-1.6705687, -1.1113307, -0.6917582, 0.0, 0.5253505, 1.050701, 3.152103, 21.014019, -1.7580993],
        &[-1.7580993, -1.7580993, -1.7575096, -1.7462534, -0.00017580113, 0.000105070096],
    );
}

#[test]
fn softplus_forward() {
    check_forward(
        Activation::Softplus,
        &[0.048587352, 0.3132617, 0.474077, LN_2, 0.974077, 1.3132616, 3.0485873, 20.0, 2.0611537e-9],
        &[1.8048513e-35, 4.248354e-18, 0.00033540637, 0.0067153485, 0.6930972, 0.6931972],
    );
}

#[test]
fn softsign_forward() {
    check_forward(
        Activation::Softsign,
        &[-0.75, -0.5, -0.33333334, 0.0, 0.33333334, 0.5, 0.75, 0.95238096, -0.95238096],
        &[-0.9876543, -0.9756098, -0.8888889, -0.8333333, -9.999e-5, 9.999e-5],
    );
}

#[test]
fn leaky_relu_forward_has_slope_0_2() {
    check_forward(
        Activation::LeakyRelu,
        &[-0.6, -0.2, -0.1, 0.0, 0.5, 1.0, 3.0, 20.0, -4.0],
        &[-16.0, -8.0, -1.6, -1.0, -2e-5, 1e-4],
    );
}

#[test]
fn swish_forward() {
    check_forward(
        Activation::Swish,
        &[-0.14227761, -0.26894143, -0.18877034, 0.0, 0.31122968, 0.7310586, 2.8577223, 20.0, -4.122307e-8],
        &[-1.4438811e-33, -1.6993417e-16, -0.002682801, -0.033464253, -4.99975e-5, 5.0002498e-5],
    );
}

#[test]
fn softmax_forward_matches_reference() {
    let y = forward(Activation::Softmax, &XS);
    let expected = [
        1.0261879e-10,
        7.58256e-10,
        1.2501528e-9,
        2.0611535e-9,
        3.3982677e-9,
        5.602796e-9,
        4.1399375e-8,
        0.99999994,
        4.248354e-18,
    ];
    assert_close(&y, &expected, TOL);
    assert_rel_close(&y, &expected, TOL);
}

#[test]
fn softmax_is_per_row_and_stable_for_large_inputs() {
    // Two rows of 3: exp(1000) overflows f32, so this only works with the row max subtracted.
    let mut y = [1000.0, 1001.0, 1002.0, -0.5, 2.0, 0.25];
    Activation::Softmax.forward_in_place(&mut y, 3);
    assert!(y.iter().all(|v| v.is_finite()), "{y:?}");
    let expected = [0.09003057, 0.24472848, 0.66524094, 0.06536164, 0.79626775, 0.13837059];
    assert_close(&y, &expected, TOL);
    assert_rel_close(&y, &expected, TOL);
    for row in y.chunks(3) {
        let sum: f32 = row.iter().sum();
        assert!((sum - 1.0).abs() <= 2e-7, "row {row:?} sums to {sum}");
    }
    // Extremes: a single winner, no NaN.
    let y = forward(Activation::Softmax, &[-1e30, 1e30, 0.0, 3e38, -3e38]);
    assert_eq!(y, [0.0, 0.0, 0.0, 1.0, 0.0]);
}

#[test]
fn softmax_rows_sum_to_one() {
    let z: Vec<f32> = (0..5 * 7).map(|i| ((i * 37 % 23) as f32 - 11.0) * 0.9).collect();
    let mut y = z.clone();
    Activation::Softmax.forward_in_place(&mut y, 7);
    for (r, row) in y.chunks(7).enumerate() {
        let sum: f64 = row.iter().map(|&v| f64::from(v)).sum();
        assert!((sum - 1.0).abs() <= 3e-7, "row {r} sums to {sum}");
        assert!(row.iter().all(|&v| v > 0.0 && v < 1.0), "row {r}: {row:?}");
    }
}

// ---- backward ----

/// Points for the finite-difference checks: away from the kink at 0, both tails and the bend.
const ZS: [f32; 10] = [-6.0, -3.0, -1.25, -0.5, -0.125, 0.25, 0.75, 1.5, 4.0, 9.0];
/// An arbitrary upstream gradient.
const DY: [f32; 10] = [0.3, -1.2, 0.7, 2.0, -0.4, 1.1, -0.9, 0.5, -1.7, 0.8];
/// The finite-difference step, `2^-7`, so `z ± h` is exact in f32.
const H: f32 = 1.0 / 128.0;

/// `dz` from [`Activation::backward`], given the forward output of `z` (`row_len` per row).
fn backward(act: Activation, z: &[f32], dy: &[f32], row_len: usize) -> Vec<f32> {
    let mut y = z.to_vec();
    act.forward_in_place(&mut y, row_len);
    let mut dz = vec![f32::NAN; z.len()];
    act.backward(z, &y, dy, &mut dz, row_len);
    dz
}

/// `Σ_i dy_i · ∂y_i/∂z_j`, each partial as `(f(z + h·e_j) − f(z − h·e_j)) / 2h` in the forward pass.
fn finite_difference_vjp(act: Activation, z: &[f32], dy: &[f32], row_len: usize) -> Vec<f32> {
    (0..z.len())
        .map(|j| {
            let (mut plus, mut minus) = (z.to_vec(), z.to_vec());
            plus[j] += H;
            minus[j] -= H;
            act.forward_in_place(&mut plus, row_len);
            act.forward_in_place(&mut minus, row_len);
            let dot: f64 = (0..z.len()).map(|i| f64::from(dy[i]) * f64::from(plus[i] - minus[i])).sum();
            (dot / f64::from(2.0 * H)) as f32
        })
        .collect()
}

#[test]
fn elementwise_backward_matches_finite_differences() {
    // dz = dy ⊙ f'(z); the central difference errs by h²·f'''/6 plus f32 rounding, ≲ 4e-5 here.
    for &act in Activation::ALL.iter().filter(|&&a| a != Activation::Softmax) {
        let dz = backward(act, &ZS, &DY, ZS.len());
        let fd = finite_difference_vjp(act, &ZS, &DY, ZS.len());
        if let Some(msg) = shaped_runtime::testing::first_difference(&dz, &fd, 1e-4) {
            panic!("{act}: {msg}\n analytic {dz:?}\n finite   {fd:?}");
        }
    }
}

#[test]
fn softmax_backward_is_the_jacobian_vector_product() {
    // dz = y ⊙ (dy − Σ dy⊙y) per row, checked against the full finite-difference Jacobian of two
    // rows of 5 (a perturbation in one row must not move the other).
    let dz = backward(Activation::Softmax, &ZS, &DY, 5);
    let fd = finite_difference_vjp(Activation::Softmax, &ZS, &DY, 5);
    assert_close(&dz, &fd, 1e-4);
    // Σ_j dz_j = 0 per row, since Σ_j y_j = 1 whatever z is.
    for row in dz.chunks(5) {
        assert!(row.iter().sum::<f32>().abs() <= 1e-6, "{row:?}");
    }
}

#[test]
fn backward_at_the_kinks_follows_jax() {
    // relu'(0) = 0, leaky_relu'(0) = 1, elu'(0) = 1, selu'(0) = λ·α (the z ≤ 0 branch).
    let z = [0.0, -2.0, 2.0];
    let dy = [1.0; 3];
    assert_close(&backward(Activation::Relu, &z, &dy, 3), &[0.0, 0.0, 1.0], 0.0);
    assert_close(&backward(Activation::LeakyRelu, &z, &dy, 3), &[1.0, 0.2, 1.0], 0.0);
    assert_close(&backward(Activation::Elu, &z, &dy, 3), &[1.0, 0.13533528, 1.0], TOL);
    assert_close(&backward(Activation::Selu, &z, &dy, 3), &[1.7580993, 0.23793288, 1.050701], TOL);
}

#[test]
fn backward_without_z_when_not_needed() {
    for &act in Activation::ALL {
        let with_z = backward(act, &ZS, &DY, 5);
        if act.backward_needs_input() {
            continue;
        }
        let mut y = ZS.to_vec();
        act.forward_in_place(&mut y, 5);
        let mut dz = vec![f32::NAN; ZS.len()];
        act.backward(&[], &y, &DY, &mut dz, 5);
        assert_eq!(dz, with_z, "{act}");
    }
    let needs: Vec<_> = Activation::ALL.iter().filter(|a| a.backward_needs_input()).collect();
    assert_eq!(needs, [&Activation::Gelu, &Activation::Softsign, &Activation::Swish]);
}

#[test]
fn extreme_inputs_stay_finite() {
    let z = [-3e38, -1e30, -1e4, -100.0, -30.0, 30.0, 100.0, 1e4, 1e30, 3e38];
    for &act in Activation::ALL {
        let y = forward(act, &z);
        assert!(y.iter().all(|v| v.is_finite()), "{act} forward: {y:?}");
        let dz = backward(act, &z, &[1.0; 10], z.len());
        assert!(dz.iter().all(|v| v.is_finite()), "{act} backward: {dz:?}");
    }
}

// ---- names ----

#[test]
fn names_round_trip() {
    assert_eq!(Activation::ALL.len(), 12);
    for &act in Activation::ALL {
        assert_eq!(Activation::from_name(act.keras_name()), Some(act));
        assert_eq!(act.to_string(), act.keras_name());
    }
    let names: Vec<_> = Activation::ALL.iter().map(|a| a.keras_name()).collect();
    assert_eq!(
        names,
        [
            "linear",
            "relu",
            "sigmoid",
            "tanh",
            "softmax",
            "gelu",
            "elu",
            "selu",
            "softplus",
            "softsign",
            "leaky_relu",
            "swish"
        ]
    );
}

#[test]
fn silu_is_swish_and_unknown_names_are_rejected() {
    assert_eq!(Activation::from_name("silu"), Some(Activation::Swish));
    for name in ["", "None", "Relu", "RELU", "leaky-relu", "LeakyReLU", "hard_sigmoid", "relu6", " relu"] {
        assert_eq!(Activation::from_name(name), None, "{name:?}");
    }
    assert_eq!(Activation::default(), Activation::Linear);
}
