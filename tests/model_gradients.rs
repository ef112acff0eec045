//! Gradients of a whole model against central finite differences of the loss: a custom layer
//! with weights, a nested model, and each loss on its fused or unfused path.

use shaped::layers::{Param, ParamMut};
use shaped::prelude::*;
use shaped::testing::{check_gradients, Differentiable, FiniteDifferences};
use shaped::train::loss::Loss;
use shaped::train::Targets;

/// `y = w ⊙ x` with one learnable weight per feature: `dw = Σ_batch dy ⊙ x`, `dx = w ⊙ dy`.
struct FeatureScale {
    w: Vec<f32>,
    dw: Vec<f32>,
    shape: [usize; 1],
}

impl FeatureScale {
    fn new(n: usize) -> Self {
        FeatureScale { w: (0..n).map(|i| 0.5 + 0.25 * i as f32).collect(), dw: vec![0.0; n], shape: [n] }
    }
}

impl<S: Shape> Layer<S> for FeatureScale {
    type Out = S;
    const CHECK: Check = Check::Pass;

    fn forward(&mut self, x: TensorRef<'_, S>, mut y: TensorMut<'_, S>, _: Mode) -> shaped::Result<()> {
        let n = self.w.len();
        for (out, inp) in y.data_mut().chunks_mut(n).zip(x.data().chunks(n)) {
            for ((o, i), w) in out.iter_mut().zip(inp).zip(&self.w) {
                *o = w * i;
            }
        }
        Ok(())
    }

    fn backward(
        &mut self,
        x: TensorRef<'_, S>,
        _y: TensorRef<'_, S>,
        dy: TensorRef<'_, S>,
        dx: Option<TensorMut<'_, S>>,
    ) -> shaped::Result<()> {
        let n = self.w.len();
        self.dw.fill(0.0);
        for (d, i) in dy.data().chunks(n).zip(x.data().chunks(n)) {
            for ((g, d), i) in self.dw.iter_mut().zip(d).zip(i) {
                *g += d * i;
            }
        }
        if let Some(mut dx) = dx {
            for (g, d) in dx.data_mut().chunks_mut(n).zip(dy.data().chunks(n)) {
                for ((g, d), w) in g.iter_mut().zip(d).zip(&self.w) {
                    *g = w * d;
                }
            }
        }
        Ok(())
    }

    fn visit_params(&self, visit: &mut dyn FnMut(shaped::layers::Param<'_>)) {
        visit(shaped::layers::Param {
            name: "scale",
            shape: &self.shape,
            data: &self.w,
            grad: &self.dw,
            trainable: true,
        });
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(shaped::layers::ParamMut<'_>)) {
        visit(shaped::layers::ParamMut {
            name: "scale",
            shape: &self.shape,
            data: &mut self.w,
            grad: &mut self.dw,
            trainable: true,
        });
    }
}

shaped::model! {
    /// A nested block.
    struct Encoder {
        input: [3],
        Dense(5, activation = tanh),
    }
}

shaped::model! {
    struct Softmaxed {
        input: [3],
        FeatureScale::new(3) -> [3],
        encoder: Encoder::new(seed),
        Dense(4, activation = softmax),
    }
}

shaped::model! {
    struct Sigmoided {
        input: [3],
        Dense(6, activation = gelu),
        Dense(4, activation = sigmoid),
    }
}

/// A scale the `Lambda` below names: named `f32` constants are constants of the function.
const SLOPE: f32 = 0.3;

shaped::model! {
    /// Element-wise functions of the user's, differentiated by dual numbers.
    struct Lambdas {
        input: [3],
        Dense(6),
        Lambda(|x| x * x.sigmoid() + SLOPE * (x * 2.0).sin() - (x.powi(2) + 1.0).ln()),
        Lambda(|x| (x.abs() + 0.5).sqrt().max(x.tanh()) / (1.0 + x.exp())),
        Dense(4, activation = softmax),
    }
}

/// A model under a loss: what the one finite-difference harness differentiates.
struct UnderLoss<'a, M, L> {
    model: &'a mut M,
    loss: &'a L,
    targets: Targets<'a>,
}

impl<M: Model, L: Loss> Differentiable for UnderLoss<'_, M, L> {
    fn loss(&mut self, x: &[f32]) -> f64 {
        self.model.run(x, Dims::from_array([3]), 3, Mode::Training).unwrap();
        let act = self.model.output_activation();
        let (pred, _) = self.model.output_and_grad();
        self.loss.compute(pred, self.targets, 4, None, act, None).unwrap().value as f64
    }

    fn gradient(&mut self, x: &[f32]) -> Vec<f32> {
        self.model.run(x, Dims::from_array([3]), 3, Mode::Training).unwrap();
        let act = self.model.output_activation();
        let (pred, grad) = self.model.output_and_grad();
        let value = self.loss.compute(pred, self.targets, 4, None, act, Some(grad)).unwrap();
        let mut dx = vec![0.0f32; x.len()];
        self.model
            .backward(x, Dims::from_array([3]), 3, None, value.grad_is_preactivation, Some(&mut dx))
            .unwrap();
        dx
    }

    fn visit_weights(&self, visit: &mut dyn FnMut(Param<'_>)) {
        self.model.visit_weights(visit)
    }

    fn visit_weights_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        self.model.visit_weights_mut(visit)
    }
}

/// Every weight gradient and the input gradient of `model` under `loss` (3 samples of 3
/// features) against finite differences.
fn check<M: Model>(model: &mut M, loss: impl Loss, targets: Targets<'_>) {
    let x = [0.3f32, -0.8, 0.5, 1.1, 0.2, -0.4, -0.6, 0.9, 0.05];
    let label = loss.name().to_string();
    let fd = FiniteDifferences { floor: 0.05, label: &label, ..FiniteDifferences::default() };
    check_gradients(&mut UnderLoss { model, loss: &loss, targets }, &x, &fd);
}

#[test]
fn sparse_crossentropy_through_custom_and_nested_layers() {
    let mut names = Vec::new();
    let mut model = Softmaxed::new(1);
    model.visit_weights(&mut |p| names.push(p.name.to_string()));
    assert_eq!(
        names,
        ["feature_scale/scale", "encoder/dense/kernel", "encoder/dense/bias", "dense/kernel", "dense/bias"]
    );
    check(&mut model, SparseCategoricalCrossentropy::default(), Targets::Sparse(&[2, 0, 3]));
}

#[test]
fn categorical_crossentropy_with_label_smoothing() {
    let y = [0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0];
    check(
        &mut Softmaxed::new(2),
        CategoricalCrossentropy { label_smoothing: 0.1, ..Default::default() },
        Targets::Dense(&y),
    );
}

#[test]
fn regression_losses_unfused() {
    let y = [0.2, -0.1, 0.7, 0.3, 0.9, 0.1, 0.0, 0.4, 0.5, 0.6, 0.2, 0.8];
    check(&mut Softmaxed::new(3), MeanSquaredError, Targets::Dense(&y));
    check(&mut Sigmoided::new(4), Huber { delta: 0.1 }, Targets::Dense(&y));
}

#[test]
fn binary_crossentropy_fused_with_sigmoid() {
    let y = [0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0];
    check(&mut Sigmoided::new(5), BinaryCrossentropy::default(), Targets::Dense(&y));
}

#[test]
fn lambda_layers_need_no_hand_written_backward() {
    check(&mut Lambdas::new(6), SparseCategoricalCrossentropy::default(), Targets::Sparse(&[1, 3, 0]));
}
