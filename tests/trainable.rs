//! Non-trainable weights (Keras's `non_trainable_weights`, BatchNorm's moving statistics):
//! saved, loaded and counted, never changed by an optimiser.

use shaped::layers::{Param, ParamMut};
use shaped::prelude::*;

/// `y = scale ⊙ (x − mean)`: `scale` is trained; `mean` is a fixed statistic whose gradient the
/// layer still reports (so an optimiser that ignored `trainable` would move it).
struct Centered {
    mean: Vec<f32>,
    mean_grad: Vec<f32>,
    scale: Vec<f32>,
    scale_grad: Vec<f32>,
    shape: [usize; 1],
}

impl Centered {
    fn new(n: usize) -> Self {
        Centered {
            mean: vec![0.25; n],
            mean_grad: vec![0.0; n],
            scale: vec![1.0; n],
            scale_grad: vec![0.0; n],
            shape: [n],
        }
    }
}

impl<S: Shape> Layer<S> for Centered {
    type Out = S;

    fn forward(&mut self, x: TensorRef<'_, S>, mut y: TensorMut<'_, S>, _: Mode) -> shaped::Result<()> {
        let n = self.scale.len();
        for (out, inp) in y.data_mut().chunks_mut(n).zip(x.data().chunks(n)) {
            for (((o, i), s), m) in out.iter_mut().zip(inp).zip(&self.scale).zip(&self.mean) {
                *o = s * (i - m);
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
        let n = self.scale.len();
        self.scale_grad.fill(0.0);
        self.mean_grad.fill(0.0);
        for (d, i) in dy.data().chunks(n).zip(x.data().chunks(n)) {
            for k in 0..n {
                self.scale_grad[k] += d[k] * (i[k] - self.mean[k]);
                self.mean_grad[k] -= d[k] * self.scale[k];
            }
        }
        if let Some(mut dx) = dx {
            for (g, d) in dx.data_mut().chunks_mut(n).zip(dy.data().chunks(n)) {
                for k in 0..n {
                    g[k] = d[k] * self.scale[k];
                }
            }
        }
        Ok(())
    }

    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        visit(Param {
            name: "scale",
            shape: &self.shape,
            data: &self.scale,
            grad: &self.scale_grad,
            trainable: true,
        });
        visit(Param {
            name: "mean",
            shape: &self.shape,
            data: &self.mean,
            grad: &self.mean_grad,
            trainable: false,
        });
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        visit(ParamMut {
            name: "scale",
            shape: &self.shape,
            data: &mut self.scale,
            grad: &mut self.scale_grad,
            trainable: true,
        });
        visit(ParamMut {
            name: "mean",
            shape: &self.shape,
            data: &mut self.mean,
            grad: &mut self.mean_grad,
            trainable: false,
        });
    }
}

shaped::model! {
    struct Net {
        input: [4],
        centered: Centered::new(4) -> [4],
        Dense(1),
    }
}

#[test]
fn non_trainable_weights_are_kept_saved_and_counted() {
    let x: Vec<[f32; 4]> = (0..16).map(|i| [i as f32 / 16.0, 0.5, -0.5, 1.0]).collect();
    let y: Vec<[f32; 1]> = (0..16).map(|i| [i as f32 / 8.0]).collect();
    let mut model = Net::new(0)
        .compile(Sgd { learning_rate: 0.5f32.into(), ..Default::default() }, MeanSquaredError, [])
        .unwrap();
    model.fit(&x, &y, FitOptions { epochs: 3, verbose: Verbose::Silent, ..Default::default() }).unwrap();
    let mut weights = std::collections::HashMap::new();
    model.visit_weights(&mut |p| {
        weights.insert(p.name.to_string(), (p.data.to_vec(), p.grad.iter().any(|&g| g != 0.0)));
    });
    let (mean, mean_had_gradient) = &weights["centered/mean"];
    assert_eq!(mean, &vec![0.25; 4], "the optimiser left the non-trainable weight alone");
    assert!(mean_had_gradient, "although it had a gradient");
    assert_ne!(weights["centered/scale"].0, vec![1.0; 4], "the trainable one moved");

    let summary = model.summary_string();
    assert!(summary.contains(" Total params: 13 (52.00 B)"), "{summary}");
    assert!(summary.contains(" Trainable params: 9 (36.00 B)"), "{summary}");
    assert!(summary.contains(" Non-trainable params: 4 (16.00 B)"), "{summary}");

    // Saved and loaded with the others.
    let dir = std::env::temp_dir().join(format!("shaped-trainable-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("net.safetensors");
    model.visit_weights_mut(&mut |p| {
        if p.name == "centered/mean" {
            p.data.copy_from_slice(&[1.0, 2.0, 3.0, 4.0]);
        }
    });
    model.save_weights(&path).unwrap();
    let mut restored = Net::new(9);
    restored.load_weights(&path).unwrap();
    let mut mean = Vec::new();
    restored.visit_weights(&mut |p| {
        if p.name == "centered/mean" {
            mean = p.data.to_vec();
        }
    });
    assert_eq!(mean, [1.0, 2.0, 3.0, 4.0]);
    std::fs::remove_dir_all(&dir).unwrap();
}
