//! SimpleRNN, LSTM, GRU and Bidirectional against Keras fixtures, padded batches against their
//! sequences run alone, and backward through time against finite differences.
//!
//! Fixtures (`tests/fixtures`, see `KERAS_FIXTURES.md`): `b_lstm_masked.npz` (Keras's own),
//! `c_gru_masked.npz` and `d_bidirectional.npz` (made by `scripts/keras_reference/recurrent.py`).
//! Every fixture model is `Masking(0.0) → layer` on a post-padded batch, so the fixture's
//! `mask` is what the layer sees.

use std::path::{Path, PathBuf};

use shaped_runtime::data::SplitMix64;
use shaped_runtime::io::Npz;
use shaped_runtime::layers::recurrent::Recurrent;
use shaped_runtime::layers::{
    Activation, Bidirectional, Gru, Lstm, MergeMode, Mode, RnnOptions, SimpleRnn, Stage,
};
use shaped_runtime::shape::Dims;
use shaped_runtime::testing::{
    assert_close, backward_one, check_gradients, forward_one, Chain, FiniteDifferences, Probe,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(name)
}

fn array(npz: &Npz, key: &str) -> Vec<f32> {
    npz.get(key).unwrap_or_else(|e| panic!("{e}")).data
}

/// Copies `<prefix>/<name>` from the fixture into every weight of `stage`, checking shapes.
fn load(stage: &mut dyn Stage, npz: &Npz, prefix: &str) {
    stage.visit_params_mut(&mut |p| {
        let key = format!("{prefix}/{}", p.name);
        let stored = npz.get(&key).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(stored.shape, p.shape, "{key}");
        p.data.copy_from_slice(&stored.data);
    });
}

fn forward(stage: &mut dyn Stage, x: &[f32], dims: Dims, batch: usize, mask: Option<&[f32]>) -> Vec<f32> {
    let out = stage.output_dims(&[dims]).unwrap();
    let mut y = vec![f32::NAN; batch * out.numel()];
    forward_one(stage, x, dims, batch, mask, &mut y, Mode::Inference).unwrap();
    y
}

fn options(return_sequences: bool, go_backwards: bool) -> RnnOptions {
    RnnOptions { return_sequences, go_backwards, ..RnnOptions::default() }
}

fn random(rng: &mut SplitMix64, n: usize, scale: f32) -> Vec<f32> {
    (0..n).map(|_| (2.0 * rng.next_f32() - 1.0) * scale).collect()
}

/// Overwrites every weight with `U(−scale, scale)`, so that no bias is zero.
fn randomise(stage: &mut dyn Stage, seed: u64, scale: f32) {
    let mut rng = SplitMix64::new(seed);
    stage.visit_params_mut(&mut |p| p.data.copy_from_slice(&random(&mut rng, p.data.len(), scale)));
}

// ---- Keras fixtures ----

#[test]
fn lstm_matches_keras_at_every_step_of_a_masked_batch() {
    let npz = Npz::open(fixture("b_lstm_masked.npz")).unwrap();
    let (x, mask) = (array(&npz, "input"), array(&npz, "mask"));
    let dims = Dims::new(&[6, 4]).unwrap();
    let mut last = Lstm::new(4, 8, RnnOptions::default(), &mut SplitMix64::new(0));
    load(&mut last, &npz, "lstm");
    let y = forward(&mut last, &x, dims, 3, Some(&mask));
    assert_close(&y, &array(&npz, "output"), 1e-5);
    // The last output is the last real step's h.
    assert_close(&y, &array(&npz, "extra_state_h"), 1e-5);
    let mut seq = Lstm::new(4, 8, options(true, false), &mut SplitMix64::new(0));
    load(&mut seq, &npz, "lstm");
    // Every step, padded ones included: they repeat the last real output.
    let y = forward(&mut seq, &x, dims, 3, Some(&mask));
    assert_close(&y, &array(&npz, "extra_sequence_output"), 1e-5);
}

#[test]
fn gru_and_simple_rnn_match_keras_in_every_variant() {
    let npz = Npz::open(fixture("c_gru_masked.npz")).unwrap();
    let (x, mask) = (array(&npz, "input"), array(&npz, "mask"));
    let dims = Dims::new(&[6, 4]).unwrap();
    let variants = [("last", false, false), ("sequence", true, false), ("backwards_last", false, true)];
    let variants = variants.into_iter().chain([("backwards_sequence", true, true)]);
    for (variant, sequences, backwards) in variants {
        let base = options(sequences, backwards);
        let mut layers: [(&str, Box<dyn Stage>); 3] = [
            ("gru", Box::new(Gru::new(4, 5, base, &mut SplitMix64::new(0)))),
            (
                "gru_before",
                Box::new(Gru::new(4, 5, RnnOptions { reset_after: false, ..base }, &mut SplitMix64::new(0))),
            ),
            ("simple_rnn", Box::new(SimpleRnn::new(4, 5, base, &mut SplitMix64::new(0)))),
        ];
        for (name, layer) in &mut layers {
            load(layer.as_mut(), &npz, name);
            let y = forward(layer.as_mut(), &x, dims, 3, Some(&mask));
            let expected = array(&npz, &format!("extra_{name}/{variant}"));
            if let Some(msg) = shaped_runtime::testing::first_difference(&y, &expected, 1e-5) {
                panic!("{name} {variant}: {msg}");
            }
        }
    }
    assert_eq!(array(&npz, "output"), array(&npz, "extra_gru/last"));
}

#[test]
fn bidirectional_matches_keras_in_every_merge_mode() {
    let npz = Npz::open(fixture("d_bidirectional.npz")).unwrap();
    let (x, mask) = (array(&npz, "input"), array(&npz, "mask"));
    let dims = Dims::new(&[6, 4]).unwrap();
    let merges = [
        ("concat_sequence", MergeMode::Concat, true),
        ("concat_last", MergeMode::Concat, false),
        ("sum_sequence", MergeMode::Sum, true),
        ("sum_last", MergeMode::Sum, false),
        ("mul_sequence", MergeMode::Mul, true),
        ("ave_last", MergeMode::Ave, false),
    ];
    for (variant, merge, sequences) in merges {
        let rng = &mut SplitMix64::new(0);
        let mut layers: [(&str, Box<dyn Stage>); 2] = [
            (
                "bidirectional",
                Box::new(Bidirectional::new(Lstm::new(4, 4, options(sequences, false), rng), merge, rng)),
            ),
            (
                "bidirectional_gru",
                Box::new(Bidirectional::new(Gru::new(4, 3, options(sequences, false), rng), merge, rng)),
            ),
        ];
        for (name, layer) in &mut layers {
            load(layer.as_mut(), &npz, name);
            let y = forward(layer.as_mut(), &x, dims, 3, Some(&mask));
            let expected = array(&npz, &format!("extra_{name}/{variant}"));
            if let Some(msg) = shaped_runtime::testing::first_difference(&y, &expected, 1e-5) {
                panic!("{name} {variant}: {msg}");
            }
        }
    }
    assert_eq!(array(&npz, "output"), array(&npz, "extra_bidirectional/concat_sequence"));
}

#[test]
fn bidirectional_names_weights_as_keras() {
    let rng = &mut SplitMix64::new(0);
    let bi = Bidirectional::new(Lstm::new(4, 4, RnnOptions::default(), rng), MergeMode::Concat, rng);
    let mut names = Vec::new();
    bi.visit_params(&mut |p| names.push(p.name.to_string()));
    assert_eq!(
        names,
        [
            "forward_lstm/lstm_cell/kernel",
            "forward_lstm/lstm_cell/recurrent_kernel",
            "forward_lstm/lstm_cell/bias",
            "backward_lstm/lstm_cell/kernel",
            "backward_lstm/lstm_cell/recurrent_kernel",
            "backward_lstm/lstm_cell/bias",
        ]
    );
    assert_eq!(bi.kind(), "Bidirectional");
    assert_eq!(bi.param_count(), 2 * (4 * 16 + 4 * 16 + 16));
    assert!(!bi.forward_layer().options().go_backwards && bi.backward_layer().options().go_backwards);
    // Its own weights: the backward copy's kernel differs from the forward one's.
    let mut kernels = Vec::new();
    bi.visit_params(&mut |p| {
        if p.name.ends_with("/kernel") {
            kernels.push(p.data.to_vec());
        }
    });
    assert_ne!(kernels[0], kernels[1]);
    let dims = Dims::new(&[7, 4]).unwrap();
    assert_eq!(bi.output_dims(&[dims]).unwrap().as_slice(), &[8]);
    let sum = Bidirectional::new(Gru::new(4, 3, options(true, false), rng), MergeMode::Sum, rng);
    assert_eq!(sum.output_dims(&[dims]).unwrap().as_slice(), &[7, 3]);
}

// ---- padded batches against each sequence alone ----

/// A batch of 4 sequences in 6 steps: `(length, first real step)`. Post-padded, pre-padded,
/// padded on both sides and full, so the real rows of a step are not always a prefix.
const PLACEMENT: [(usize, usize); 4] = [(3, 0), (6, 0), (4, 2), (2, 1)];
const STEPS: usize = 6;

/// Runs `layer` on a padded batch (garbage in the padded steps) with its mask, and each
/// sequence alone without padding, and checks outputs at real steps, input gradients (zero at
/// padded steps) and weight gradients (summed over the sequences).
///
/// `reversed_output`: the layer's sequence output is in reversed input order (`go_backwards`).
fn padded_matches_unpadded<S: Stage + Clone>(layer: &S, features: usize, reversed_output: bool, label: &str) {
    let batch = PLACEMENT.len();
    let dims = Dims::new(&[STEPS, features]).unwrap();
    let out = layer.output_dims(&[dims]).unwrap();
    let sequences = out.rank() == 2;
    let width = out.last();
    let mut rng = SplitMix64::new(77);
    // Garbage everywhere, real values then written at the real steps.
    let mut x = random(&mut rng, batch * STEPS * features, 3.0);
    let mut mask = vec![0.0; batch * STEPS];
    let mut alone_x = Vec::new();
    for (b, &(len, first)) in PLACEMENT.iter().enumerate() {
        let xs = random(&mut rng, len * features, 1.0);
        for k in 0..len {
            let t = first + k;
            mask[b * STEPS + t] = 1.0;
            x[(b * STEPS + t) * features..(b * STEPS + t + 1) * features]
                .copy_from_slice(&xs[k * features..(k + 1) * features]);
        }
        alone_x.push(xs);
    }
    // Output step of the padded run ↔ output step of the sequence alone (None at padding).
    let alone_step = |b: usize, s: usize| {
        let (len, first) = PLACEMENT[b];
        let t = if reversed_output { STEPS - 1 - s } else { s };
        let k = t.checked_sub(first).filter(|&k| k < len)?;
        Some(if reversed_output { len - 1 - k } else { k })
    };
    let mut dy = random(&mut rng, batch * out.numel(), 1.0);
    if sequences {
        for b in 0..batch {
            for s in 0..STEPS {
                if alone_step(b, s).is_none() {
                    dy[(b * STEPS + s) * width..(b * STEPS + s + 1) * width].fill(0.0);
                }
            }
        }
    }

    let mut padded = layer.clone();
    let mut y = vec![f32::NAN; batch * out.numel()];
    forward_one(&mut padded, &x, dims, batch, Some(&mask), &mut y, Mode::Training).unwrap();
    let mut dx = vec![f32::NAN; x.len()];
    backward_one(&mut padded, &x, dims, batch, Some(&mask), &y, &dy, Some(&mut dx)).unwrap();
    let mut grads = Vec::new();
    padded.visit_params(&mut |p| grads.push(p.grad.to_vec()));

    let mut summed: Vec<Vec<f32>> = grads.iter().map(|g| vec![0.0; g.len()]).collect();
    for (b, &(len, first)) in PLACEMENT.iter().enumerate() {
        let mut alone = layer.clone();
        let adims = Dims::new(&[len, features]).unwrap();
        let aout = alone.output_dims(&[adims]).unwrap();
        let mut ay = vec![f32::NAN; aout.numel()];
        forward_one(&mut alone, &alone_x[b], adims, 1, None, &mut ay, Mode::Training).unwrap();
        let mut ady = vec![0.0; aout.numel()];
        if sequences {
            for s in 0..STEPS {
                if let Some(k) = alone_step(b, s) {
                    let at = (b * STEPS + s) * width;
                    assert_close(&y[at..at + width], &ay[k * width..(k + 1) * width], 1e-5);
                    ady[k * width..(k + 1) * width].copy_from_slice(&dy[at..at + width]);
                }
            }
        } else {
            if let Some(msg) =
                shaped_runtime::testing::first_difference(&y[b * width..(b + 1) * width], &ay, 1e-5)
            {
                panic!("{label}: last output of sequence {b}: {msg}");
            }
            ady.copy_from_slice(&dy[b * width..(b + 1) * width]);
        }
        let mut adx = vec![f32::NAN; len * features];
        backward_one(&mut alone, &alone_x[b], adims, 1, None, &ay, &ady, Some(&mut adx)).unwrap();
        for t in 0..STEPS {
            let got = &dx[(b * STEPS + t) * features..(b * STEPS + t + 1) * features];
            let expected = match t.checked_sub(first).filter(|&k| k < len) {
                Some(k) => &adx[k * features..(k + 1) * features],
                None => &[0.0; 16][..features],
            };
            if let Some(msg) = shaped_runtime::testing::first_difference(got, expected, 1e-5) {
                panic!("{label}: dx of sequence {b}, step {t}: {msg}");
            }
        }
        let mut i = 0;
        alone.visit_params(&mut |p| {
            summed[i].iter_mut().zip(p.grad).for_each(|(s, g)| *s += g);
            i += 1;
        });
    }
    for (i, (got, expected)) in grads.iter().zip(&summed).enumerate() {
        if let Some(msg) = shaped_runtime::testing::first_difference(got, expected, 2e-5) {
            panic!("{label}: gradient of weight {i}: {msg}");
        }
    }
}

/// Every combination of `return_sequences` and `go_backwards` for a layer built by `make`.
fn each_direction<S: Stage + Clone>(name: &str, make: impl Fn(RnnOptions) -> S) {
    for sequences in [false, true] {
        for backwards in [false, true] {
            let mut layer = make(options(sequences, backwards));
            randomise(&mut layer, 5, 0.7);
            let label = format!("{name} return_sequences={sequences} go_backwards={backwards}");
            padded_matches_unpadded(&layer, 3, backwards, &label);
        }
    }
}

#[test]
fn simple_rnn_padded_equals_unpadded() {
    each_direction("SimpleRNN", |o| SimpleRnn::new(3, 4, o, &mut SplitMix64::new(1)));
}

#[test]
fn lstm_padded_equals_unpadded() {
    each_direction("LSTM", |o| Lstm::new(3, 4, o, &mut SplitMix64::new(1)));
}

#[test]
fn gru_padded_equals_unpadded() {
    each_direction("GRU", |o| Gru::new(3, 4, o, &mut SplitMix64::new(1)));
    each_direction("GRU reset_after=false", |o| {
        Gru::new(3, 4, RnnOptions { reset_after: false, ..o }, &mut SplitMix64::new(1))
    });
}

#[test]
fn bidirectional_padded_equals_unpadded() {
    for merge in [MergeMode::Concat, MergeMode::Sum, MergeMode::Mul, MergeMode::Ave] {
        for sequences in [false, true] {
            let rng = &mut SplitMix64::new(3);
            let mut lstm = Bidirectional::new(Lstm::new(3, 4, options(sequences, false), rng), merge, rng);
            randomise(&mut lstm, 8, 0.7);
            padded_matches_unpadded(&lstm, 3, false, &format!("Bidirectional(LSTM) {merge:?} {sequences}"));
            let mut gru = Bidirectional::new(Gru::new(3, 2, options(sequences, false), rng), merge, rng);
            randomise(&mut gru, 9, 0.7);
            padded_matches_unpadded(&gru, 3, false, &format!("Bidirectional(GRU) {merge:?} {sequences}"));
        }
    }
}

// ---- finite differences through time ----

/// Checks input and weight gradients of `stage` under a random linear probe against central
/// differences (the harness of `shaped_runtime::testing`), with and without a mask.
fn check_through_time<S: Stage + Clone + 'static>(stage: &S, features: usize, label: &str) {
    let (batch, steps) = (3, 5);
    let dims = Dims::new(&[steps, features]).unwrap();
    // Post-padded, pre-padded and full.
    let mask = [
        1., 1., 1., 0., 0., //
        0., 0., 1., 1., 1., //
        1., 1., 1., 1., 1.,
    ];
    for mask in [None, Some(&mask[..])] {
        let mut rng = SplitMix64::new(11);
        let x = random(&mut rng, batch * dims.numel(), 1.5);
        let chain = Chain::new(vec![("layer", Box::new(stage.clone()))]);
        let mut probe = Probe::new(chain, &x, dims, batch, mask, 12);
        let label = format!("{label} mask={}", mask.is_some());
        check_gradients(&mut probe, &x, &FiniteDifferences { label: &label, ..FiniteDifferences::default() });
    }
}

#[test]
fn simple_rnn_gradients_through_time() {
    for (sequences, backwards) in [(false, false), (true, true)] {
        let mut layer = SimpleRnn::new(3, 3, options(sequences, backwards), &mut SplitMix64::new(1));
        randomise(&mut layer, 2, 0.6);
        check_through_time(&layer, 3, &format!("SimpleRNN seq={sequences} back={backwards}"));
    }
    let o = RnnOptions { activation: Activation::Softsign, return_sequences: true, ..RnnOptions::default() };
    let mut layer = SimpleRnn::new(3, 3, o, &mut SplitMix64::new(1));
    randomise(&mut layer, 2, 0.6);
    check_through_time(&layer, 3, "SimpleRNN softsign");
}

#[test]
fn lstm_gradients_through_time() {
    for (sequences, backwards) in [(false, false), (true, false), (true, true)] {
        let mut layer = Lstm::new(3, 3, options(sequences, backwards), &mut SplitMix64::new(1));
        randomise(&mut layer, 2, 0.6);
        check_through_time(&layer, 3, &format!("LSTM seq={sequences} back={backwards}"));
    }
    // Activations whose derivatives need the pre-activation; zero outputs at masked steps.
    let o = RnnOptions {
        activation: Activation::Swish,
        recurrent_activation: Activation::Softsign,
        return_sequences: true,
        zero_output_for_mask: true,
        ..RnnOptions::default()
    };
    let mut layer = Lstm::new(3, 3, o, &mut SplitMix64::new(1));
    randomise(&mut layer, 2, 0.6);
    check_through_time(&layer, 3, "LSTM swish/softsign zero_output_for_mask");
}

#[test]
fn gru_gradients_through_time() {
    for reset_after in [true, false] {
        for (sequences, backwards) in [(false, false), (true, true)] {
            let o = RnnOptions { reset_after, ..options(sequences, backwards) };
            let mut layer = Gru::new(3, 3, o, &mut SplitMix64::new(1));
            randomise(&mut layer, 2, 0.6);
            check_through_time(
                &layer,
                3,
                &format!("GRU reset_after={reset_after} seq={sequences} back={backwards}"),
            );
        }
        let o = RnnOptions {
            reset_after,
            activation: Activation::Gelu,
            recurrent_activation: Activation::Swish,
            use_bias: false,
            ..RnnOptions::default()
        };
        let mut layer = Gru::new(3, 3, o, &mut SplitMix64::new(1));
        randomise(&mut layer, 2, 0.6);
        check_through_time(&layer, 3, &format!("GRU reset_after={reset_after} gelu/swish no bias"));
    }
}

#[test]
fn bidirectional_gradients_through_time() {
    let rng = &mut SplitMix64::new(4);
    let mut lstm = Bidirectional::new(Lstm::new(3, 2, options(true, false), rng), MergeMode::Concat, rng);
    randomise(&mut lstm, 6, 0.6);
    check_through_time(&lstm, 3, "Bidirectional(LSTM) concat");
    let mut gru = Bidirectional::new(Gru::new(3, 2, options(false, false), rng), MergeMode::Mul, rng);
    randomise(&mut gru, 7, 0.6);
    check_through_time(&gru, 3, "Bidirectional(GRU) mul");
    let mut rnn = Bidirectional::new(SimpleRnn::new(3, 2, options(true, false), rng), MergeMode::Ave, rng);
    randomise(&mut rnn, 8, 0.6);
    check_through_time(&rnn, 3, "Bidirectional(SimpleRNN) ave");
}

// ---- initialisers, errors, edge cases ----

#[test]
fn fresh_layers_use_keras_initialisers() {
    let lstm = Lstm::new(5, 6, RnnOptions::default(), &mut SplitMix64::new(12));
    let mut weights = Vec::new();
    lstm.visit_params(&mut |p| weights.push(p.data.to_vec()));
    // glorot_uniform kernel (5, 24): |w| ≤ √(6 / 29).
    let limit = (6.0f32 / 29.0).sqrt();
    assert!(weights[0].iter().all(|w| w.abs() <= limit) && weights[0].iter().any(|w| w.abs() > 0.8 * limit));
    // orthogonal recurrent kernel (6, 24): QQᵀ = I₆.
    let q = &weights[1];
    for i in 0..6 {
        for j in 0..6 {
            let dot: f32 = (0..24).map(|k| q[i * 24 + k] * q[j * 24 + k]).sum();
            let expected = if i == j { 1.0 } else { 0.0 };
            assert!((dot - expected).abs() < 1e-5, "(QQᵀ)[{i}, {j}] = {dot}");
        }
    }
    // Bias: [0]·6 ++ [1]·6 ++ [0]·12.
    let bias: Vec<f32> = (0..24).map(|i| if (6..12).contains(&i) { 1.0 } else { 0.0 }).collect();
    assert_eq!(weights[2], bias);
}

#[test]
fn shape_and_length_errors_are_reported_not_panics() {
    let mut gru = Gru::new(4, 3, RnnOptions::default(), &mut SplitMix64::new(0));
    let dims = Dims::new(&[5, 4]).unwrap();
    let mut y = vec![0.0; 6];
    let err =
        forward_one(&mut gru, &[0.0; 30], Dims::new(&[5, 3]).unwrap(), 2, None, &mut y, Mode::Inference)
            .unwrap_err();
    assert_eq!(err.to_string(), "input of `GRU` must have shape (None, None, 4), but has shape (None, 5, 3)");
    assert!(forward_one(&mut gru, &[0.0; 39], dims, 2, None, &mut y, Mode::Inference).is_err());
    assert!(forward_one(&mut gru, &[0.0; 40], dims, 2, Some(&[1.0; 9]), &mut y, Mode::Inference).is_err());
    assert!(forward_one(&mut gru, &[0.0; 40], dims, 2, None, &mut [0.0; 5], Mode::Inference).is_err());
    forward_one(&mut gru, &[0.0; 40], dims, 2, None, &mut y, Mode::Training).unwrap();
    // Backward on a different batch than the forward's.
    let err = backward_one(&mut gru, &[0.0; 20], dims, 1, None, &y[..3], &[0.0; 3], None).unwrap_err();
    assert!(err.to_string().contains("forward pass of the same batch"), "{err}");
}

/// A sequence with no real step outputs the zero initial state and gets zero gradients; a
/// batch with zero steps outputs the initial state.
fn fully_masked_and_empty<S: Stage>(mut make: impl FnMut(RnnOptions) -> S) {
    for sequences in [false, true] {
        let mut layer = make(options(sequences, false));
        randomise(&mut layer, 1, 0.5);
        let dims = Dims::new(&[3, 2]).unwrap();
        let out = layer.output_dims(&[dims]).unwrap().numel();
        let x = [0.5; 6];
        let mut y = vec![f32::NAN; out];
        forward_one(&mut layer, &x, dims, 1, Some(&[0.0; 3]), &mut y, Mode::Training).unwrap();
        assert!(y.iter().all(|&v| v == 0.0), "{}: {y:?}", layer.kind());
        let mut dx = vec![f32::NAN; 6];
        backward_one(&mut layer, &x, dims, 1, Some(&[0.0; 3]), &y, &vec![1.0; out], Some(&mut dx)).unwrap();
        assert_eq!(dx, [0.0; 6]);
        layer.visit_params(&mut |p| assert!(p.grad.iter().all(|&g| g == 0.0), "{}", p.name));
        let empty = Dims::new(&[0, 2]).unwrap();
        let out = layer.output_dims(&[empty]).unwrap().numel();
        let mut y = vec![f32::NAN; 2 * out];
        forward_one(&mut layer, &[], empty, 2, None, &mut y, Mode::Training).unwrap();
        assert!(y.iter().all(|&v| v == 0.0));
        backward_one(&mut layer, &[], empty, 2, None, &y, &vec![1.0; 2 * out], Some(&mut [])).unwrap();
    }
}

#[test]
fn fully_masked_and_empty_sequences() {
    fully_masked_and_empty(|o| SimpleRnn::new(2, 3, o, &mut SplitMix64::new(0)));
    fully_masked_and_empty(|o| Lstm::new(2, 3, o, &mut SplitMix64::new(0)));
    fully_masked_and_empty(|o| Gru::new(2, 3, o, &mut SplitMix64::new(0)));
    fully_masked_and_empty(|o| {
        Gru::new(2, 3, RnnOptions { reset_after: false, ..o }, &mut SplitMix64::new(0))
    });
    fully_masked_and_empty(|o| {
        let rng = &mut SplitMix64::new(0);
        Bidirectional::new(Lstm::new(2, 3, o, rng), MergeMode::Concat, rng)
    });
}
