//! Every built-in layer's backward against central finite differences.
//!
//! The loss is the linear functional `L = Σ r ⊙ y` for a fixed random `r`, so `dL/dy = r`;
//! each analytic gradient (weights and input) is compared with `(L(θ+h) − L(θ−h)) / 2h`,
//! evaluated in f64 from the f32 forward.

use shaped_runtime::data::SplitMix64;
use shaped_runtime::layers::{Activation, Backward, Dense, Dropout, Flatten, Input, Mode, Reshape, Stage};
use shaped_runtime::shape::Dims;
use shaped_runtime::testing::{backward_one, check_gradients, forward_one, Chain, FiniteDifferences, Probe};

fn random(rng: &mut SplitMix64, n: usize, scale: f32) -> Vec<f32> {
    (0..n).map(|_| (2.0 * rng.next_f32() - 1.0) * scale).collect()
}

/// Checks input and weight gradients of `stage` at a random input (`label` in messages).
fn check(stage: impl Stage + 'static, dims: Dims, batch: usize, seed: u64, h: f32, tol: f64, label: &str) {
    let mut rng = SplitMix64::new(seed);
    let x = random(&mut rng, batch * dims.numel(), 1.5);
    let kind = format!("{} {label}", stage.kind());
    let mut probe = Probe::new(Chain::new(vec![("layer", Box::new(stage))]), &x, dims, batch, None, seed + 1);
    check_gradients(
        &mut probe,
        &x,
        &FiniteDifferences { h, tolerance: tol, label: &kind, ..Default::default() },
    );
}

#[test]
fn dense_with_every_activation() {
    for (i, &act) in Activation::ALL.iter().enumerate() {
        let mut rng = SplitMix64::new(i as u64);
        let mut dense = Dense::new(5, 4, act, true, &mut rng);
        // Random biases too, so no term is trivially zero.
        dense.visit_params_mut(&mut |p| {
            if p.name == "bias" {
                p.data.copy_from_slice(&random(&mut rng, 4, 0.5));
            }
        });
        // Piecewise activations get a smaller step, so that a step rarely crosses their kink.
        let piecewise =
            matches!(act, Activation::Relu | Activation::LeakyRelu | Activation::Elu | Activation::Selu);
        let h = if piecewise { 1e-3 } else { 1e-2 };
        check(dense, Dims::new(&[5]).unwrap(), 3, 10 + i as u64, h, 2e-3, act.keras_name());
    }
}

#[test]
fn dense_without_bias_on_a_sequence() {
    let dense = Dense::new(3, 2, Activation::Tanh, false, &mut SplitMix64::new(4));
    // `[7, 3]` samples: the dense layer applies to the last axis of every step.
    check(dense, Dims::new(&[7, 3]).unwrap(), 2, 5, 1e-2, 2e-3, "on a sequence");
}

#[test]
fn activation_layers() {
    for (i, &act) in Activation::ALL.iter().enumerate() {
        check(act, Dims::new(&[6]).unwrap(), 2, 100 + i as u64, 1e-2, 2e-3, act.keras_name());
    }
}

#[test]
fn flatten_and_reshape() {
    check(Flatten, Dims::new(&[2, 3, 2]).unwrap(), 2, 7, 1e-2, 1e-3, "");
    check(Reshape::new(&[None, Some(3)]), Dims::new(&[12]).unwrap(), 2, 8, 1e-2, 1e-3, "");
}

#[test]
fn dropout_gradient_uses_the_forward_mask() {
    // The mask is drawn anew on every forward, so check dx = dy ⊙ mask against the forward:
    // y = x ⊙ mask, hence dx_i = r_i · y_i / x_i.
    let mut dropout = Dropout::new(0.4, SplitMix64::new(9));
    let dims = Dims::new(&[50]).unwrap();
    let x: Vec<f32> = (0..100).map(|i| 1.0 + i as f32 / 100.0).collect();
    let r: Vec<f32> = (0..100).map(|i| (i as f32 * 0.37).sin()).collect();
    let mut y = vec![0.0; 100];
    forward_one(&mut dropout, &x, dims, 2, None, &mut y, Mode::Training).unwrap();
    let mut dx = vec![f32::NAN; 100];
    backward_one(&mut dropout, &x, dims, 2, None, &y, &r, Some(&mut dx)).unwrap();
    for i in 0..100 {
        let expected = r[i] * y[i] / x[i];
        assert!((dx[i] - expected).abs() < 1e-5, "dx[{i}] = {}, expected {expected}", dx[i]);
    }
    assert!(y.contains(&0.0) && y.iter().any(|&v| v != 0.0));
}

#[test]
fn fused_softmax_gradient_is_the_preactivation_gradient() {
    // With dy_is_preactivation, Dense(softmax) treats dy as dL/dz: the same weight gradients as
    // a linear Dense given that dz.
    let mut rng = SplitMix64::new(21);
    let mut soft = Dense::new(4, 3, Activation::Softmax, true, &mut rng);
    let mut linear = Dense::new(4, 3, Activation::Linear, true, &mut SplitMix64::new(0));
    let mut weights = Vec::new();
    soft.visit_params(&mut |p| weights.push(p.data.to_vec()));
    let mut k = 0;
    linear.visit_params_mut(&mut |p| {
        p.data.copy_from_slice(&weights[k]);
        k += 1;
    });
    let dims = Dims::new(&[4]).unwrap();
    let x = random(&mut rng, 8, 1.0);
    let dz = random(&mut rng, 6, 1.0);
    let (mut y1, mut y2) = (vec![0.0; 6], vec![0.0; 6]);
    forward_one(&mut soft, &x, dims, 2, None, &mut y1, Mode::Training).unwrap();
    forward_one(&mut linear, &x, dims, 2, None, &mut y2, Mode::Training).unwrap();
    let (mut dx1, mut dx2) = (vec![0.0; 8], vec![0.0; 8]);
    let inputs = [Input::new(&x, dims)];
    let fused =
        Backward { inputs: &inputs, batch: 2, output: &y1, grad_output: &dz, dy_is_preactivation: true };
    soft.backward(fused, &mut [Some(&mut dx1)]).unwrap();
    backward_one(&mut linear, &x, dims, 2, None, &y2, &dz, Some(&mut dx2)).unwrap();
    assert_eq!(dx1, dx2);
    let (mut g1, mut g2) = (Vec::new(), Vec::new());
    soft.visit_params(&mut |p| g1.extend_from_slice(p.grad));
    linear.visit_params(&mut |p| g2.extend_from_slice(p.grad));
    assert_eq!(g1, g2);
}
