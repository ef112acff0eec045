//! A graph model (Keras's functional API) against real Keras, and its gradients against
//! finite differences: two inputs, a layer shared by both, a `Concatenate`, an `Add`, and two
//! outputs with their own losses and loss weights.
//!
//! The fixture `tests/fixtures/graph_model.npz` is made by
//! `scripts/keras_reference/graph_model.py` (Keras 3.15.1, JAX): outputs, the summary table,
//! and one `train_on_batch` step (every loss, every weight after the step), matched to 1e-5.

use shaped::io::Npz;
use shaped::layers::{Input, Mode, Param, ParamMut};
use shaped::model::Network;
use shaped::prelude::*;
use shaped::shape::Dims;
use shaped::testing::{assert_close, check_gradients, Differentiable, FiniteDifferences};

shaped::model! {
    /// Two towers that share their first layer, merged, with two heads.
    struct TwinHeads {
        input a: [4],
        input b: [4],
        shared: Dense(3, activation = tanh)(a),
        shared_b: shared(b),
        cat: Concatenate()(shared, shared_b),
        hidden: Dense(5, activation = relu)(cat),
        proj: Dense(3)(hidden),
        added: Add()(proj, shared),
        output label: Dense(3, activation = softmax)(hidden),
        output score: Dense(1)(added),
    }
}

fn fixture() -> Npz {
    Npz::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/graph_model.npz")).unwrap()
}

fn array(npz: &Npz, key: &str) -> Vec<f32> {
    npz.get(key).unwrap_or_else(|e| panic!("{e}")).data
}

/// The model with every weight from `<prefix>/<Keras path>`.
fn loaded(npz: &Npz, prefix: &str) -> TwinHeads {
    let mut model = TwinHeads::new(0);
    model.visit_weights_mut(&mut |p| {
        let w = npz.get(&format!("{prefix}/{}", p.name)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(w.shape, p.shape, "{}", p.name);
        p.data.copy_from_slice(&w.data);
    });
    model
}

fn samples(npz: &Npz) -> Vec<TwinHeadsInput> {
    let (a, b) = (array(npz, "input/a"), array(npz, "input/b"));
    a.chunks(4)
        .zip(b.chunks(4))
        .map(|(a, b)| TwinHeadsInput { a: a.try_into().unwrap(), b: b.try_into().unwrap() })
        .collect()
}

fn labels(npz: &Npz) -> Vec<TwinHeadsLabels<u32, [f32; 1]>> {
    let ids = npz.get("target/label").unwrap().data;
    let scores = array(npz, "target/score");
    ids.iter().zip(&scores).map(|(&id, &s)| TwinHeadsLabels { label: id as u32, score: [s] }).collect()
}

#[test]
fn outputs_and_summary_match_keras() {
    let npz = fixture();
    let mut model = loaded(&npz, "before");
    let out = model.predict(&samples(&npz)).unwrap();
    let label: Vec<f32> = out.iter().flat_map(|o| o.label).collect();
    let score: Vec<f32> = out.iter().flat_map(|o| o.score).collect();
    assert_close(&label, &array(&npz, "predict/label"), 1e-5);
    assert_close(&score, &array(&npz, "predict/score"), 1e-5);

    let bytes: Vec<u8> = array(&npz, "summary").iter().map(|&b| b as u8).collect();
    let keras_summary = String::from_utf8(bytes).unwrap();
    assert_eq!(model.summary_string(), keras_summary);
}

#[test]
fn one_training_step_matches_keras() {
    let npz = fixture();
    let (x, y) = (samples(&npz), labels(&npz));
    let losses = || TwinHeadsLosses {
        label: OutputLoss::new(SparseCategoricalCrossentropy::default())
            .weighted(0.5)
            .with_metrics([Accuracy]),
        score: OutputLoss::new(MeanSquaredError),
    };
    // Keras logs the step's losses from the weights before the update: `evaluate` on them.
    let mut before = loaded(&npz, "before")
        .compile(Sgd { learning_rate: 0.1f32.into(), ..Default::default() }, losses())
        .unwrap();
    let logs = before.evaluate(&x, &y).unwrap();
    for name in ["loss", "label_loss", "score_loss", "label_accuracy"] {
        let expected = array(&npz, &format!("logs/{name}"))[0] as f64;
        let got = logs.get(name).unwrap_or_else(|| panic!("no `{name}` in {logs:?}"));
        assert!((got - expected).abs() < 1e-5, "{name}: {got} vs Keras {expected}");
    }

    let loss = before.train_on_batch(&x, &y).unwrap();
    assert!((loss - array(&npz, "logs/loss")[0]).abs() < 1e-5, "loss {loss}");
    let mut count = 0;
    before.visit_weights(&mut |p| {
        let expected = array(&npz, &format!("after/{}", p.name));
        if let Some(diff) = shaped::testing::first_difference(p.data, &expected, 1e-5) {
            panic!("{} after the step: {diff}", p.name);
        }
        count += 1;
    });
    assert_eq!(count, 10, "every weight of the five Dense layers");
}

/// The model under the linear functional `L = Σ r_label ⊙ label + Σ r_score ⊙ score` over
/// both inputs, `x` being `a` then `b`: gradients through the shared layer (its two uses add
/// up), the `Concatenate`, the `Add`, and `hidden` and `shared`, which each feed two layers.
struct Probe {
    model: TwinHeads,
    batch: usize,
    r: [Vec<f32>; 2],
}

impl Probe {
    fn inputs(x: &[f32], batch: usize) -> [Input<'_>; 2] {
        let (a, b) = x.split_at(batch * 4);
        let dims = Dims::from_array([4]);
        [Input::new(a, dims), Input::new(b, dims)]
    }
}

impl Differentiable for Probe {
    fn loss(&mut self, x: &[f32]) -> f64 {
        self.model.run_inputs(&Probe::inputs(x, self.batch), self.batch, Mode::Training).unwrap();
        (0..2)
            .map(|j| {
                let (y, _) = self.model.output_at(j);
                y.iter().zip(&self.r[j]).map(|(&y, &r)| y as f64 * r as f64).sum::<f64>()
            })
            .sum()
    }

    fn gradient(&mut self, x: &[f32]) -> Vec<f32> {
        self.loss(x);
        for j in 0..2 {
            self.model.output_and_grad_at(j).1.copy_from_slice(&self.r[j]);
        }
        let (mut da, mut db) = (vec![0.0; self.batch * 4], vec![0.0; self.batch * 4]);
        let inputs = Probe::inputs(x, self.batch);
        self.model
            .backward_inputs(&inputs, self.batch, &[false, false], &mut [Some(&mut da), Some(&mut db)])
            .unwrap();
        da.extend(db);
        da
    }

    fn visit_weights(&self, visit: &mut dyn FnMut(Param<'_>)) {
        self.model.visit_weights(visit)
    }

    fn visit_weights_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        self.model.visit_weights_mut(visit)
    }
}

#[test]
fn gradients_through_merges_and_a_shared_layer() {
    let npz = fixture();
    let batch = 6;
    let mut rng = shaped::data::SplitMix64::new(5);
    let mut random = |n: usize| -> Vec<f32> { (0..n).map(|_| 2.0 * rng.next_f32() - 1.0).collect() };
    let r = [random(batch * 3), random(batch)];
    let mut x = array(&npz, "input/a");
    x.extend(array(&npz, "input/b"));
    let mut probe = Probe { model: loaded(&npz, "before"), batch, r };
    check_gradients(
        &mut probe,
        &x,
        &FiniteDifferences { label: "twin heads", ..FiniteDifferences::default() },
    );
}
