//! Optimizers against Keras 3 (`keras/src/optimizers/*.py`, `base_optimizer.apply`): the
//! trajectory of two parameters (a 2×2 kernel and a bias of 2) over 5 steps under a fixed
//! sequence of gradients, for each optimizer and option (dfdx `optim/sgd.rs` style).
//!
//! The expected values come from the numpy float32 re-implementation of the Keras update
//! rules in the comment blocks: the prelude below, then each test's "Equivalent python code".

use shaped_runtime::layers::ParamMut;
use shaped_runtime::testing::assert_close;
use shaped_runtime::train::optim::{
    Adam, AdamW, ExponentialDecay, IntoOptimizer, LearningRate, Optimizer, RmsProp, Sgd,
};
use shaped_runtime::{Error, Result};

/// Initial weights: kernel (2, 2) row-major, then bias (2,).
const W0: [f32; 6] = [0.5, -1.0, 1.5, -2.0, 0.1, -0.3];

/// The gradient of each step, laid out like [`W0`].
const GRADS: [[f32; 6]; 5] = [
    [0.9, -2.4, 0.3, 1.6, -0.5, 0.05],
    [1.5, 0.2, -0.7, -3.1, 0.8, -0.25],
    [-0.4, 1.1, 2.2, 0.6, -1.3, 0.45],
    [0.05, -0.6, -1.8, 2.7, 0.35, -0.9],
    [2.5, 0.75, -0.15, -1.05, 0.6, 1.2],
];

const TOL: f32 = 1e-6;

/// One `apply_gradients` over the kernel (position 0) and the bias (position 1) of `w`.
fn step(opt: &mut dyn Optimizer, w: &mut [f32; 6], grad: &[f32; 6]) {
    let mut g = *grad;
    let (kernel, bias) = w.split_at_mut(4);
    let (kernel_grad, bias_grad) = g.split_at_mut(4);
    opt.apply_gradients(&mut |f| {
        f(ParamMut {
            name: "dense/kernel",
            shape: &[2, 2],
            data: &mut *kernel,
            grad: &mut *kernel_grad,
            trainable: true,
        });
        f(ParamMut {
            name: "dense/bias",
            shape: &[2],
            data: &mut *bias,
            grad: &mut *bias_grad,
            trainable: true,
        });
    });
}

/// Builds `config`, applies [`GRADS`] from [`W0`], and compares the weights after every step
/// (and, when given, the learning rate each step used) with the Python reference.
fn check_trajectory(config: impl IntoOptimizer, expected: &[[f32; 6]; 5], expected_lr: Option<&[f32; 5]>) {
    let mut opt = config.into_optimizer().expect("valid config");
    let mut w = W0;
    let (mut weights, mut lrs) = (Vec::new(), Vec::new());
    for (t, grad) in GRADS.iter().enumerate() {
        assert_eq!(opt.iterations(), t as u64);
        lrs.push(opt.current_learning_rate());
        step(&mut *opt, &mut w, grad);
        weights.extend_from_slice(&w);
    }
    assert_eq!(opt.iterations(), 5);
    // Index i of the flat trajectory is weight i % 6 after step i / 6 + 1.
    assert_close(&weights, expected.as_flattened(), TOL);
    if let Some(expected_lr) = expected_lr {
        assert_close(&lrs, expected_lr, TOL);
    }
}

/*
Python prelude of every "Equivalent python code" block below (numpy, float32 throughout):

import numpy as np

f32 = np.float32
# Two parameters, visited in this order: kernel (2, 2) and bias (2,).
W0 = [np.array([0.5, -1.0, 1.5, -2.0], f32), np.array([0.1, -0.3], f32)]
GRADS = [  # (kernel gradient, bias gradient) of each of the 5 steps
    ([0.9, -2.4, 0.3, 1.6], [-0.5, 0.05]),
    ([1.5, 0.2, -0.7, -3.1], [0.8, -0.25]),
    ([-0.4, 1.1, 2.2, 0.6], [-1.3, 0.45]),
    ([0.05, -0.6, -1.8, 2.7], [0.35, -0.9]),
    ([2.5, 0.75, -0.15, -1.05], [0.6, 1.2]),
]

def sum_sq(g):  # accumulated in float64, like the Rust side
    return np.sum(np.square(g.astype(np.float64)))

def clip(grads, clipnorm=None, clipvalue=None, global_clipnorm=None):
    """keras base_optimizer._clip_gradients"""
    if clipnorm:
        c = f32(clipnorm)
        out = []
        for g in grads:
            l2sum = f32(sum_sq(g))
            l2norm = np.sqrt(l2sum) if l2sum > 0 else l2sum
            out.append(g * c / np.maximum(l2norm, c))
        return out
    if global_clipnorm:
        c = f32(global_clipnorm)
        n = np.sqrt(f32(sum(sum_sq(g) for g in grads)))
        scale = c * np.minimum(f32(1) / n, f32(1) / c) + (n - n)
        return [g * scale for g in grads]
    if clipvalue:
        c = f32(clipvalue)
        return [np.clip(g, -c, c) for g in grads]
    return grads

def run(update_step, lr, weight_decay=None, **clip_args):
    """keras base_optimizer.apply, 5 times: returns (weights after each step, lr of each step)"""
    ws = [w.copy() for w in W0]
    state = [{} for _ in ws]
    out, lrs = [], []
    for t, (gk, gb) in enumerate(GRADS):  # t = optimizer.iterations
        lr_t = f32(lr(t) if callable(lr) else lr)
        grads = clip([np.array(gk, f32), np.array(gb, f32)], **clip_args)
        for i, (w, g) in enumerate(zip(ws, grads)):
            if weight_decay is not None:
                w -= w * f32(weight_decay) * lr_t
            update_step(w, g, lr_t, t, state[i])
        out.append(np.concatenate(ws))
        lrs.append(lr_t)
    return out, lrs

def zeros(s, key, w):
    return s.setdefault(key, np.zeros_like(w))

def sgd(momentum=0.0, nesterov=False):
    mu = f32(momentum)
    def update_step(w, g, lr, t, s):
        if momentum == 0:
            w -= g * lr
            return
        m = zeros(s, "m", w)
        m[:] = m * mu - g * lr
        if nesterov:
            w += m * mu - g * lr
        else:
            w += m
    return update_step

def adam(beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    b1, b2, eps = f32(beta_1), f32(beta_2), f32(epsilon)
    def update_step(w, g, lr, t, s):
        local_step = f32(t + 1)
        alpha = lr * np.sqrt(f32(1) - b2**local_step) / (f32(1) - b1**local_step)
        m, v = zeros(s, "m", w), zeros(s, "v", w)
        m += (g - m) * (f32(1) - b1)
        v += (np.square(g) - v) * (f32(1) - b2)
        if amsgrad:
            v_hat = zeros(s, "v_hat", w)
            v_hat[:] = np.maximum(v_hat, v)
            v = v_hat
        w -= m * alpha / (np.sqrt(v) + eps)
    return update_step

def rmsprop(rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    rho, mu, eps = f32(rho), f32(momentum), f32(epsilon)
    def update_step(w, g, lr, t, s):
        v = zeros(s, "v", w)
        v[:] = rho * v + (f32(1) - rho) * np.square(g)
        if centered:
            mg = zeros(s, "mg", w)
            mg[:] = rho * mg + (f32(1) - rho) * g
            denominator = v - np.square(mg) + eps
        else:
            denominator = v + eps
        increment = lr * g / np.sqrt(denominator)
        if mu > 0:
            M = zeros(s, "M", w)
            M[:] = mu * M + increment
            w -= M
        else:
            w -= increment
    return update_step

def exponential_decay(initial_learning_rate, decay_steps, decay_rate, staircase=False):
    def lr(t):
        p = f32(t) / f32(decay_steps)
        if staircase:
            p = np.floor(p)
        return f32(initial_learning_rate) * f32(decay_rate) ** p
    return lr

def show(values):
    print(np.array(values).tolist())
*/

/// SGD without momentum: `w ← w − lr·g`.
/*
Equivalent python code (after the prelude at the top of this file):

weights, lrs = run(sgd(), lr=0.1)
show(weights)
*/
#[test]
fn sgd_plain() {
    let expected: [[f32; 6]; 5] = [
        [0.41, -0.76, 1.47, -2.16, 0.15, -0.305],
        [0.26, -0.78, 1.5400001, -1.8500001, 0.07, -0.28],
        [0.29999998, -0.89, 1.32, -1.9100001, 0.19999999, -0.325],
        [0.295, -0.83, 1.5, -2.18, 0.16499999, -0.23499998],
        [0.044999987, -0.905, 1.515, -2.075, 0.10499999, -0.355],
    ];
    check_trajectory(Sgd { learning_rate: 0.1.into(), ..Default::default() }, &expected, None);
}

/// SGD with momentum: `m ← μm − lr·g`, `w ← w + m`.
/*
Equivalent python code (after the prelude at the top of this file):

weights, lrs = run(sgd(momentum=0.9), lr=0.1)
show(weights)
*/
#[test]
fn sgd_momentum() {
    let expected: [[f32; 6]; 5] = [
        [0.41, -0.76, 1.47, -2.16, 0.15, -0.305],
        [0.17899999, -0.564, 1.513, -1.9940001, 0.114999995, -0.2845],
        [0.011099994, -0.49760002, 1.3317, -1.9046001, 0.2135, -0.31105],
        [-0.14501, -0.37784, 1.3485299, -2.09414, 0.26714998, -0.24494499],
        [-0.535509, -0.34505603, 1.3786769, -2.1597261, 0.25543496, -0.3054505],
    ];
    check_trajectory(Sgd { learning_rate: 0.1.into(), momentum: 0.9, ..Default::default() }, &expected, None);
}

/// SGD with Nesterov momentum: `m ← μm − lr·g`, `w ← w + μm − lr·g`.
/*
Equivalent python code (after the prelude at the top of this file):

weights, lrs = run(sgd(momentum=0.9, nesterov=True), lr=0.1)
show(weights)
*/
#[test]
fn sgd_nesterov() {
    let expected: [[f32; 6]; 5] = [
        [0.329, -0.54399997, 1.443, -2.304, 0.195, -0.3095],
        [-0.028900027, -0.38759995, 1.5517, -1.8446, 0.08349998, -0.26605],
        [-0.14001001, -0.43783996, 1.16853, -1.82414, 0.30214995, -0.33494502],
        [-0.285509, -0.27005595, 1.363677, -2.264726, 0.31543493, -0.18545052],
        [-0.88695806, -0.31555036, 1.4058093, -2.2187533, 0.24489142, -0.35990548],
    ];
    check_trajectory(
        Sgd { learning_rate: 0.1.into(), momentum: 0.9, nesterov: true, ..Default::default() },
        &expected,
        None,
    );
}

/// SGD with momentum and decoupled weight decay `w ← w − w·wd·lr` before the update.
/*
Equivalent python code (after the prelude at the top of this file):

weights, lrs = run(sgd(momentum=0.5), lr=0.1, weight_decay=0.2)
show(weights)
*/
#[test]
fn sgd_weight_decay() {
    let expected: [[f32; 6]; 5] = [
        [0.4, -0.74, 1.44, -2.1200001, 0.148, -0.299],
        [0.19700001, -0.6252, 1.4662, -1.8476, 0.09004, -0.27052],
        [0.13556, -0.672696, 1.244376, -1.755648, 0.19073918, -0.2988596],
        [0.0990988, -0.6292421, 1.3032384, -1.9630351, 0.2031744, -0.21975741],
        [-0.16975817, -0.67665726, 1.3340486, -1.9400244, 0.1472359, -0.29879975],
    ];
    check_trajectory(
        Sgd { learning_rate: 0.1.into(), momentum: 0.5, weight_decay: Some(0.2), ..Default::default() },
        &expected,
        None,
    );
}

/// Adam with Keras's ε-hat form: `w ← w − α·m/(√v + ε)`, `α = lr·√(1−β2ᵗ)/(1−β1ᵗ)`.
/*
Equivalent python code (after the prelude at the top of this file):

weights, lrs = run(adam(), lr=0.1)
show(weights)
*/
#[test]
fn adam() {
    let expected: [[f32; 6]; 5] = [
        [0.40000036, -0.9000001, 1.400001, -2.1, 0.19999936, -0.3999937],
        [0.3017217, -0.839409, 1.4420192, -2.064587, 0.17238824, -0.3401592],
        [0.2419138, -0.823375, 1.3922684, -2.0484438, 0.21157117, -0.37295592],
        [0.19132176, -0.7977068, 1.395593, -2.073202, 0.23054941, -0.3359422],
        [0.122073546, -0.79134685, 1.4011787, -2.0810323, 0.22689393, -0.35674953],
    ];
    check_trajectory(Adam { learning_rate: 0.1.into(), ..Default::default() }, &expected, None);
}

/// AMSGrad: `v̂ ← max(v̂, v)` in the denominator (β2 = 0.9 so that `v` decreases for some weights).
/*
Equivalent python code (after the prelude at the top of this file):

weights, lrs = run(adam(beta_2=0.9, amsgrad=True), lr=0.1)
show(weights)
*/
#[test]
fn adam_amsgrad() {
    let expected: [[f32; 6]; 5] = [
        [0.40000004, -0.90000004, 1.4000001, -2.1, 0.19999993, -0.39999938],
        [0.30290437, -0.84075284, 1.4412833, -2.0651097, 0.17269865, -0.34155312],
        [0.2438121, -0.82416344, 1.3936865, -2.0493762, 0.21078198, -0.37313563],
        [0.19503912, -0.79760253, 1.3968835, -2.0739748, 0.2291955, -0.33825994],
        [0.12905876, -0.79093945, 1.4021313, -2.081775, 0.2255118, -0.3576399],
    ];
    check_trajectory(
        Adam { learning_rate: 0.1.into(), beta_2: 0.9, amsgrad: true, ..Default::default() },
        &expected,
        None,
    );
}

/// AdamW: weight decay `w ← w − w·wd·lr`, then the Adam update.
/*
Equivalent python code (after the prelude at the top of this file):

weights, lrs = run(adam(), lr=0.1, weight_decay=0.1)
show(weights)
*/
#[test]
fn adamw() {
    let expected: [[f32; 6]; 5] = [
        [0.39500037, -0.8900001, 1.3850011, -2.08, 0.19899936, -0.3969937],
        [0.2927717, -0.8205091, 1.4131693, -2.023787, 0.16939825, -0.33318928],
        [0.23003608, -0.79626995, 1.3492868, -1.9874058, 0.2068872, -0.3626541],
        [0.17714366, -0.76263905, 1.3391186, -1.9922898, 0.22379656, -0.32201383],
        [0.10612401, -0.7486527, 1.3313131, -1.9801972, 0.21790312, -0.339601],
    ];
    check_trajectory(
        AdamW { learning_rate: 0.1.into(), weight_decay: 0.1, ..Default::default() },
        &expected,
        None,
    );
}

/// RMSprop: `v ← ρv + (1−ρ)g²`, `w ← w − lr·g/√(v + ε)`.
/*
Equivalent python code (after the prelude at the top of this file):

weights, lrs = run(rmsprop(), lr=0.1)
show(weights)
*/
#[test]
fn rmsprop() {
    let expected: [[f32; 6]; 5] = [
        [0.18377244, -0.6837723, 1.183774, -2.3162277, 0.41622707, -0.61616457],
        [-0.09105235, -0.71144354, 1.4767146, -2.0322182, 0.14421907, -0.30548212],
        [-0.016008236, -0.8545107, 1.1760464, -2.0892124, 0.40587264, -0.5841447],
        [-0.025891334, -0.7749021, 1.3765606, -2.2947016, 0.33358315, -0.30569488],
        [-0.29620436, -0.8744615, 1.3941467, -2.2133048, 0.21285015, -0.55165905],
    ];
    check_trajectory(RmsProp { learning_rate: 0.1.into(), ..Default::default() }, &expected, None);
}

/// Centered RMSprop: `ḡ ← ρḡ + (1−ρ)g`, denominator `√(v − ḡ² + ε)`.
/*
Equivalent python code (after the prelude at the top of this file):

weights, lrs = run(rmsprop(centered=True), lr=0.1)
show(weights)
*/
#[test]
fn rmsprop_centered() {
    let expected: [[f32; 6]; 5] = [
        [0.16666692, -0.66666675, 1.1666688, -2.3333333, 0.43333256, -0.6332593],
        [-0.13666427, -0.6954152, 1.4644707, -2.0459812, 0.15937781, -0.3119759],
        [-0.057594925, -0.83901894, 1.154125, -2.1031818, 0.42633015, -0.59448284],
        [-0.06798504, -0.75838584, 1.3546743, -2.310843, 0.3535927, -0.31002006],
        [-0.36618263, -0.8580396, 1.3722714, -2.2293408, 0.23282614, -0.55789787],
    ];
    check_trajectory(
        RmsProp { learning_rate: 0.1.into(), centered: true, ..Default::default() },
        &expected,
        None,
    );
}

/// RMSprop with momentum: `M ← μM + lr·g/√(v + ε)`, `w ← w − M`.
/*
Equivalent python code (after the prelude at the top of this file):

weights, lrs = run(rmsprop(momentum=0.9), lr=0.1)
show(weights)
*/
#[test]
fn rmsprop_momentum() {
    let expected: [[f32; 6]; 5] = [
        [0.18377244, -0.6837723, 1.183774, -2.3162277, 0.41622707, -0.61616457],
        [-0.37565714, -0.4268386, 1.1921113, -2.3168232, 0.42882344, -0.5900302],
        [-0.8040997, -0.33866546, 0.8989465, -2.3743534, 0.70181376, -0.8451718],
        [-1.199581, -0.17970099, 0.8356125, -2.6316195, 0.87521553, -0.7963494],
        [-1.8258272, -0.13619235, 0.79619795, -2.7817621, 0.91054416, -0.99837345],
    ];
    check_trajectory(
        RmsProp { learning_rate: 0.1.into(), momentum: 0.9, ..Default::default() },
        &expected,
        None,
    );
}

/// Centered RMSprop with momentum.
/*
Equivalent python code (after the prelude at the top of this file):

weights, lrs = run(rmsprop(momentum=0.5, centered=True), lr=0.1)
show(weights)
*/
#[test]
fn rmsprop_centered_momentum() {
    let expected: [[f32; 6]; 5] = [
        [0.16666692, -0.66666675, 1.1666688, -2.3333333, 0.43333256, -0.6332593],
        [-0.3033308, -0.5287486, 1.2978051, -2.212648, 0.32604408, -0.4786055],
        [-0.45926034, -0.6033932, 1.0530275, -2.209506, 0.5393522, -0.68378556],
        [-0.54761523, -0.56008244, 1.1311882, -2.415596, 0.5732688, -0.50191283],
        [-0.8899902, -0.63808084, 1.1878656, -2.4371388, 0.46946055, -0.65885425],
    ];
    check_trajectory(
        RmsProp { learning_rate: 0.1.into(), momentum: 0.5, centered: true, ..Default::default() },
        &expected,
        None,
    );
}

/// Per-tensor clipping `g ← g·c/max(‖g‖, c)`: the kernel gradient is clipped at every step, the bias gradient at some.
/*
Equivalent python code (after the prelude at the top of this file):

weights, lrs = run(sgd(), lr=0.1, clipnorm=1.0)
show(weights)
*/
#[test]
fn clipnorm() {
    let expected: [[f32; 6]; 5] = [
        [0.47036007, -0.9209602, 1.49012, -2.0526931, 0.15, -0.305],
        [0.42774576, -0.9266421, 1.5100068, -1.9646236, 0.07, -0.28],
        [0.44335124, -0.9695572, 1.4241766, -1.9880317, 0.1644986, -0.31271106],
        [0.44183627, -0.9513775, 1.4787158, -2.0698404, 0.1294986, -0.22271106],
        [0.3531006, -0.9779982, 1.4840399, -2.0325716, 0.084777236, -0.3121538],
    ];
    check_trajectory(
        Sgd { learning_rate: 0.1.into(), clipnorm: Some(1.0), ..Default::default() },
        &expected,
        None,
    );
}

/// Element-wise clipping `g ← clamp(g, −c, c)`.
/*
Equivalent python code (after the prelude at the top of this file):

weights, lrs = run(sgd(), lr=0.1, clipvalue=1.0)
show(weights)
*/
#[test]
fn clipvalue() {
    let expected: [[f32; 6]; 5] = [
        [0.41, -0.9, 1.47, -2.1, 0.15, -0.305],
        [0.31, -0.91999996, 1.5400001, -1.9999999, 0.07, -0.28],
        [0.35, -1.02, 1.44, -2.06, 0.17, -0.325],
        [0.345, -0.96, 1.5400001, -2.1599998, 0.135, -0.23499998],
        [0.245, -1.035, 1.5550001, -2.06, 0.075, -0.33499998],
    ];
    check_trajectory(
        Sgd { learning_rate: 0.1.into(), clipvalue: Some(1.0), ..Default::default() },
        &expected,
        None,
    );
}

/// Global clipping `g ← g·c·min(1/N, 1/c)` with `N` the norm of both gradients together.
/*
Equivalent python code (after the prelude at the top of this file):

weights, lrs = run(sgd(), lr=0.1, global_clipnorm=2.5)
show(weights)
*/
#[test]
fn global_clipnorm() {
    let expected: [[f32; 6]; 5] = [
        [0.4268945, -0.8050519, 1.4756315, -2.1299653, 0.14061418, -0.30406144],
        [0.32325625, -0.81887037, 1.523996, -1.9157796, 0.085340455, -0.2867884],
        [0.3576319, -0.91340333, 1.3349301, -1.9673431, 0.19706124, -0.32546097],
        [0.35399684, -0.8697828, 1.4657916, -2.1636355, 0.17161594, -0.2600302],
        [0.1537082, -0.9298694, 1.477809, -2.0795143, 0.123546675, -0.35616875],
    ];
    check_trajectory(
        Sgd { learning_rate: 0.1.into(), global_clipnorm: Some(2.5), ..Default::default() },
        &expected,
        None,
    );
}

/// Clipping happens before the update rule: Adam on clipped gradients.
/*
Equivalent python code (after the prelude at the top of this file):

weights, lrs = run(adam(), lr=0.1, clipnorm=1.0)
show(weights)
*/
#[test]
fn clipnorm_with_adam() {
    let expected: [[f32; 6]; 5] = [
        [0.40000105, -0.9000004, 1.4000032, -2.0999994, 0.19999936, -0.3999937],
        [0.30065465, -0.8385059, 1.4368505, -2.0705247, 0.17238824, -0.3401592],
        [0.24551761, -0.82716006, 1.3821335, -2.0625257, 0.20253696, -0.36212987],
        [0.19874527, -0.80654454, 1.3744247, -2.093039, 0.21167879, -0.31687275],
        [0.13158911, -0.8050057, 1.3707066, -2.103173, 0.20219731, -0.32504576],
    ];
    check_trajectory(
        Adam { learning_rate: 0.1.into(), clipnorm: Some(1.0), ..Default::default() },
        &expected,
        None,
    );
}

/// `lr(t) = 0.1·0.5^(t/2)` evaluated at `iterations`, with SGD momentum.
/*
Equivalent python code (after the prelude at the top of this file):

weights, lrs = run(sgd(momentum=0.9), lr=exponential_decay(0.1, decay_steps=2, decay_rate=0.5))
show(weights); show(lrs)
*/
#[test]
fn exponential_decay() {
    let expected: [[f32; 6]; 5] = [
        [0.41, -0.76, 1.47, -2.16, 0.15, -0.305],
        [0.22293398, -0.5581421, 1.4924976, -2.084797, 0.13843146, -0.29182234],
        [0.07457456, -0.43147007, 1.4027452, -2.0471141, 0.19301976, -0.30246243],
        [-0.06071669, -0.296252, 1.3856078, -2.108659, 0.22977486, -0.28021872],
        [-0.24497882, -0.19330576, 1.3739341, -2.1377995, 0.24785446, -0.29019937],
    ];
    let expected_lr = [0.1, 0.07071068, 0.05, 0.03535534, 0.025];
    check_trajectory(
        Sgd {
            learning_rate: ExponentialDecay {
                initial_learning_rate: 0.1,
                decay_steps: 2,
                decay_rate: 0.5,
                staircase: false,
            }
            .into(),
            momentum: 0.9,
            ..Default::default()
        },
        &expected,
        Some(&expected_lr),
    );
}

/// `lr(t) = 0.1·0.5^⌊t/2⌋`, with SGD momentum.
/*
Equivalent python code (after the prelude at the top of this file):

weights, lrs = run(sgd(momentum=0.9), lr=exponential_decay(0.1, decay_steps=2, decay_rate=0.5, staircase=True))
show(weights); show(lrs)
*/
#[test]
fn exponential_decay_staircase() {
    let expected: [[f32; 6]; 5] = [
        [0.41, -0.76, 1.47, -2.16, 0.15, -0.305],
        [0.17899999, -0.564, 1.513, -1.9940001, 0.114999995, -0.2845],
        [-0.008900017, -0.4426, 1.4417, -1.8746, 0.1485, -0.28855],
        [-0.18051001, -0.30334002, 1.46753, -1.90214, 0.16115, -0.24719499],
        [-0.39745903, -0.19675602, 1.494527, -1.900676, 0.15753499, -0.2399755],
    ];
    let expected_lr = [0.1, 0.1, 0.05, 0.05, 0.025];
    check_trajectory(
        Sgd {
            learning_rate: ExponentialDecay {
                initial_learning_rate: 0.1,
                decay_steps: 2,
                decay_rate: 0.5,
                staircase: true,
            }
            .into(),
            momentum: 0.9,
            ..Default::default()
        },
        &expected,
        Some(&expected_lr),
    );
}

/// The weight decay uses the scheduled rate of the current step too.
/*
Equivalent python code (after the prelude at the top of this file):

weights, lrs = run(adam(), lr=exponential_decay(0.1, decay_steps=3, decay_rate=0.25), weight_decay=0.5)
show(weights); show(lrs)
*/
#[test]
fn adamw_with_schedule() {
    let expected: [[f32; 6]; 5] = [
        [0.37500036, -0.85000014, 1.325001, -1.9999998, 0.19499937, -0.3849937],
        [0.30127692, -0.7850568, 1.3097359, -1.9146951, 0.17146336, -0.33517382],
        [0.27156407, -0.76311624, 1.2640039, -1.8702964, 0.18361084, -0.34153852],
        [0.2555215, -0.74716026, 1.249035, -1.8531072, 0.18606026, -0.32801586],
        [0.2426035, -0.74027514, 1.2400792, -1.8397481, 0.18401943, -0.32870984],
    ];
    let expected_lr = [0.1, 0.06299605, 0.039685026, 0.025, 0.015749013];
    check_trajectory(
        AdamW {
            learning_rate: ExponentialDecay {
                initial_learning_rate: 0.1,
                decay_steps: 3,
                decay_rate: 0.25,
                staircase: false,
            }
            .into(),
            weight_decay: 0.5,
            ..Default::default()
        },
        &expected,
        Some(&expected_lr),
    );
}

/// `set_learning_rate` on a constant rate takes effect at the next step and keeps the state.
/*
Equivalent python code (after the prelude at the top of this file):

weights, lrs = run(adam(), lr=lambda t: 0.1 if t < 2 else 0.05)
show(weights); show(lrs)
*/
#[test]
fn set_learning_rate_changes_the_next_steps() -> Result<()> {
    let expected: [[f32; 6]; 5] = [
        [0.40000036, -0.9000001, 1.400001, -2.1, 0.19999936, -0.3999937],
        [0.3017217, -0.839409, 1.4420192, -2.064587, 0.17238824, -0.3401592],
        [0.27181774, -0.831392, 1.4171438, -2.0565155, 0.1919797, -0.35655755],
        [0.24652173, -0.81855786, 1.4188062, -2.0688946, 0.20146883, -0.3380507],
        [0.21189761, -0.8153779, 1.421599, -2.0728097, 0.19964108, -0.34845436],
    ];
    let mut opt = Adam { learning_rate: 0.1.into(), ..Default::default() }.into_optimizer()?;
    let mut w = W0;
    let mut weights = Vec::new();
    for (t, grad) in GRADS.iter().enumerate() {
        if t == 2 {
            opt.set_learning_rate(0.05)?;
        }
        assert_eq!(opt.current_learning_rate(), if t < 2 { 0.1 } else { 0.05 });
        step(&mut *opt, &mut w, grad);
        weights.extend_from_slice(&w);
    }
    assert_close(&weights, expected.as_flattened(), TOL);
    Ok(())
}

/// Keras raises a TypeError when the learning rate of a scheduled optimizer is set.
#[test]
fn set_learning_rate_is_an_error_with_a_schedule() -> Result<()> {
    let schedule =
        ExponentialDecay { initial_learning_rate: 0.1, decay_steps: 10, decay_rate: 0.5, staircase: true };
    let mut opt = Sgd { learning_rate: schedule.into(), ..Default::default() }.into_optimizer()?;
    let err = opt.set_learning_rate(0.01).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { name: "learning_rate", .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("ExponentialDecay") && msg.contains("decay_steps: 10"), "{msg}");
    // The schedule is untouched.
    assert_eq!(opt.current_learning_rate(), 0.1);
    Ok(())
}

/// The state of each parameter is keyed by its position in `visit`: stepping the kernel and
/// the bias together gives what two optimizers stepping each alone give.
#[test]
fn state_is_keyed_by_parameter_position() -> Result<()> {
    let config = || Adam { learning_rate: 0.1.into(), amsgrad: true, ..Default::default() };
    let (mut together, mut kernel_only, mut bias_only) =
        (config().into_optimizer()?, config().into_optimizer()?, config().into_optimizer()?);
    let mut w = W0;
    let (mut kernel, mut bias) = ([0.5f32, -1.0, 1.5, -2.0], [0.1f32, -0.3]);
    for grad in &GRADS {
        step(&mut *together, &mut w, grad);
        let (mut gk, mut gb) = ([grad[0], grad[1], grad[2], grad[3]], [grad[4], grad[5]]);
        kernel_only.apply_gradients(&mut |f| {
            f(ParamMut { name: "k", shape: &[2, 2], data: &mut kernel, grad: &mut gk, trainable: true })
        });
        bias_only.apply_gradients(&mut |f| {
            f(ParamMut { name: "b", shape: &[2], data: &mut bias, grad: &mut gb, trainable: true })
        });
    }
    assert_eq!(w[..4], kernel);
    assert_eq!(w[4..], bias);
    Ok(())
}

#[test]
fn invalid_configs_are_errors_like_in_keras() {
    let two_clips = Adam { clipnorm: Some(1.0), clipvalue: Some(0.5), ..Default::default() }.into_optimizer();
    let err = two_clips.err().expect("two clip options").to_string();
    assert!(err.contains("only one of `clipnorm`, `clipvalue` and `global_clipnorm`"), "{err}");

    let schedule =
        ExponentialDecay { initial_learning_rate: 0.1, decay_steps: 0, decay_rate: 0.5, staircase: false };
    let err = RmsProp { learning_rate: schedule.into(), ..Default::default() }.into_optimizer();
    assert!(matches!(err, Err(Error::InvalidArgument { name: "decay_steps", .. })));

    let err = Sgd { momentum: 1.5, ..Default::default() }.into_optimizer();
    assert!(matches!(err, Err(Error::InvalidArgument { name: "momentum", .. })));

    let err =
        AdamW { global_clipnorm: Some(1.0), clipnorm: Some(1.0), ..Default::default() }.into_optimizer();
    assert!(err.is_err());
}

/// A NaN gradient propagates into its weight (Keras does not check), under every clipping.
#[test]
fn nan_gradients_propagate_without_panicking() -> Result<()> {
    let configs: Vec<Box<dyn Optimizer>> = vec![
        Sgd { clipnorm: Some(1.0), ..Default::default() }.into_optimizer()?,
        Sgd { clipvalue: Some(1.0), ..Default::default() }.into_optimizer()?,
        Sgd { global_clipnorm: Some(1.0), ..Default::default() }.into_optimizer()?,
        Adam { amsgrad: true, ..Default::default() }.into_optimizer()?,
        RmsProp { centered: true, momentum: 0.9, ..Default::default() }.into_optimizer()?,
    ];
    for mut opt in configs {
        let mut w = W0;
        step(&mut *opt, &mut w, &[f32::NAN, 1.0, 1.0, 1.0, 1.0, 1.0]);
        assert!(w[0].is_nan(), "{}: {w:?}", opt.name());
    }
    Ok(())
}

/// The names Keras gives its optimizers, and `iterations` counting steps.
#[test]
fn names_and_iterations() -> Result<()> {
    let built = [
        Sgd::default().into_optimizer()?,
        Adam::default().into_optimizer()?,
        AdamW::default().into_optimizer()?,
        RmsProp::default().into_optimizer()?,
    ];
    let names: Vec<&str> = built.iter().map(|o| o.name()).collect();
    assert_eq!(names, ["sgd", "adam", "adamw", "rmsprop"]);
    let lrs: Vec<f32> = built.iter().map(|o| o.current_learning_rate()).collect();
    assert_eq!(lrs, [0.01, 1e-3, 1e-3, 1e-3]);
    for mut opt in built {
        let mut w = W0;
        for grad in &GRADS[..3] {
            step(&mut *opt, &mut w, grad);
        }
        assert_eq!(opt.iterations(), 3, "{}", opt.name());
    }
    Ok(())
}

/// A custom optimizer is its own `IntoOptimizer`, and so is a `Box<dyn Optimizer>`.
#[test]
fn custom_optimizers_go_through_into_optimizer() -> Result<()> {
    /// `w ← w − g`, no state.
    struct Unit(u64);
    impl Optimizer for Unit {
        fn name(&self) -> &'static str {
            "unit"
        }
        fn iterations(&self) -> u64 {
            self.0
        }
        fn current_learning_rate(&self) -> f32 {
            1.0
        }
        fn set_learning_rate(&mut self, _lr: f32) -> Result<()> {
            Ok(())
        }
        fn apply_gradients(&mut self, visit: &mut dyn FnMut(&mut dyn FnMut(ParamMut<'_>))) {
            visit(&mut |p| p.data.iter_mut().zip(p.grad.iter()).for_each(|(w, g)| *w -= g));
            self.0 += 1;
        }
    }
    let mut opt = Unit(0).into_optimizer()?;
    let mut w = W0;
    step(&mut *opt, &mut w, &GRADS[0]);
    assert_close(&w, &[-0.4, 1.4, 1.2, -3.6, 0.6, -0.35], TOL);
    let boxed: Box<dyn Optimizer> = Box::new(Unit(7));
    assert_eq!(boxed.into_optimizer()?.iterations(), 7);
    Ok(())
}

/// The struct-literal syntax of the configs, and `LearningRate` conversions.
#[test]
fn configs_read_like_keras_calls() {
    let adam = Adam { learning_rate: 3e-4.into(), beta_2: 0.99, ..Default::default() };
    assert_eq!(adam.learning_rate, LearningRate::Constant(3e-4));
    assert_eq!((adam.beta_1, adam.beta_2), (0.9, 0.99));
    let schedule =
        ExponentialDecay { initial_learning_rate: 0.1, decay_steps: 4, decay_rate: 0.5, staircase: true };
    let lr: LearningRate = schedule.into();
    assert_eq!([lr.at(0), lr.at(3), lr.at(4), lr.at(8)], [0.1, 0.1, 0.05, 0.025]);
}
