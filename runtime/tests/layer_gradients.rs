//! Every built-in layer's backward against central finite differences.
//!
//! The loss is the linear functional `L = Σ r ⊙ y` for a fixed random `r`, so `dL/dy = r`;
//! each analytic gradient (weights and input) is compared with `(L(θ+h) − L(θ−h)) / 2h`,
//! evaluated in f64 from the f32 forward.

use shaped_runtime::data::SplitMix64;
use shaped_runtime::layers::{Activation, Dense, Dropout, Flatten, Mode, Reshape};
use shaped_runtime::model::Stage;
use shaped_runtime::shape::Dims;

fn random(rng: &mut SplitMix64, n: usize, scale: f32) -> Vec<f32> {
    (0..n).map(|_| (2.0 * rng.next_f32() - 1.0) * scale).collect()
}

/// `Σ r ⊙ forward(x)` in f64.
fn loss(stage: &mut dyn Stage, x: &[f32], dims: Dims, batch: usize, r: &[f32]) -> f64 {
    let mut y = vec![0.0; r.len()];
    stage.forward(x, dims, batch, &mut y, Mode::Training).unwrap();
    y.iter().zip(r).map(|(&a, &b)| a as f64 * b as f64).sum()
}

/// Checks input and weight gradients of `stage` at a random input.
fn check(stage: &mut dyn Stage, dims: Dims, batch: usize, seed: u64, h: f32, tol: f64) {
    check_named(stage, dims, batch, seed, h, tol, "")
}

/// [`check`], with `label` in failure messages.
fn check_named(stage: &mut dyn Stage, dims: Dims, batch: usize, seed: u64, h: f32, tol: f64, label: &str) {
    let mut rng = SplitMix64::new(seed);
    let x = random(&mut rng, batch * dims.numel(), 1.5);
    let out_dims = stage.output_dims(dims).unwrap();
    let r = random(&mut rng, batch * out_dims.numel(), 1.0);
    let mut y = vec![0.0; r.len()];
    stage.forward(&x, dims, batch, &mut y, Mode::Training).unwrap();
    let mut dx = vec![f32::NAN; x.len()];
    stage.backward(&x, dims, batch, &y, &r, Some(&mut dx), false).unwrap();

    let kind = format!("{} {label}", stage.kind());
    let close = |analytic: f32, numeric: f64, what: &str| {
        let err = (analytic as f64 - numeric).abs();
        assert!(
            err <= tol * numeric.abs().max(1.0),
            "{kind}: {what}: analytic {analytic}, finite difference {numeric}"
        );
    };
    for i in 0..x.len() {
        let mut xp = x.clone();
        xp[i] += h;
        let mut xm = x.clone();
        xm[i] -= h;
        let numeric =
            (loss(stage, &xp, dims, batch, &r) - loss(stage, &xm, dims, batch, &r)) / (2.0 * h as f64);
        close(dx[i], numeric, &format!("dx[{i}]"));
    }
    // Weight gradients: read them, then perturb each weight through visit_params_mut.
    let mut grads = Vec::new();
    stage.visit_params(&mut |p| grads.push((p.name.to_string(), p.grad.to_vec())));
    for (param, (name, grad)) in grads.iter().enumerate() {
        for (j, &analytic) in grad.iter().enumerate() {
            let value = |delta: f32, stage: &mut dyn Stage| {
                let mut index = 0;
                stage.visit_params_mut(&mut |p| {
                    if index == param {
                        p.data[j] += delta;
                    }
                    index += 1;
                });
            };
            value(h, stage);
            let lp = loss(stage, &x, dims, batch, &r);
            value(-2.0 * h, stage);
            let lm = loss(stage, &x, dims, batch, &r);
            value(h, stage);
            close(analytic, (lp - lm) / (2.0 * h as f64), &format!("{name}[{j}]"));
        }
    }
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
        check_named(&mut dense, Dims::new(&[5]).unwrap(), 3, 10 + i as u64, h, 2e-3, act.keras_name());
    }
}

#[test]
fn dense_without_bias_on_a_sequence() {
    let mut dense = Dense::new(3, 2, Activation::Tanh, false, &mut SplitMix64::new(4));
    // `[7, 3]` samples: the dense layer applies to the last axis of every step.
    check(&mut dense, Dims::new(&[7, 3]).unwrap(), 2, 5, 1e-2, 2e-3);
}

#[test]
fn activation_layers() {
    for (i, &act) in Activation::ALL.iter().enumerate() {
        let mut layer = act;
        check(&mut layer, Dims::new(&[6]).unwrap(), 2, 100 + i as u64, 1e-2, 2e-3);
    }
}

#[test]
fn flatten_and_reshape() {
    check(&mut Flatten, Dims::new(&[2, 3, 2]).unwrap(), 2, 7, 1e-2, 1e-3);
    check(&mut Reshape::new(&[None, Some(3)]), Dims::new(&[12]).unwrap(), 2, 8, 1e-2, 1e-3);
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
    dropout.forward(&x, dims, 2, &mut y, Mode::Training).unwrap();
    let mut dx = vec![f32::NAN; 100];
    dropout.backward(&x, dims, 2, &y, &r, Some(&mut dx), false).unwrap();
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
    soft.forward(&x, dims, 2, &mut y1, Mode::Training).unwrap();
    linear.forward(&x, dims, 2, &mut y2, Mode::Training).unwrap();
    let (mut dx1, mut dx2) = (vec![0.0; 8], vec![0.0; 8]);
    soft.backward(&x, dims, 2, &y1, &dz, Some(&mut dx1), true).unwrap();
    linear.backward(&x, dims, 2, &y2, &dz, Some(&mut dx2), false).unwrap();
    assert_eq!(dx1, dx2);
    let (mut g1, mut g2) = (Vec::new(), Vec::new());
    soft.visit_params(&mut |p| g1.extend_from_slice(p.grad));
    linear.visit_params(&mut |p| g2.extend_from_slice(p.grad));
    assert_eq!(g1, g2);
}
