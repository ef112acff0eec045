//! Sequence layers (Embedding, Masking, GlobalAveragePooling1D, GlobalMaxPooling1D,
//! TimeDistributed) and `pad_sequences`, against Keras and against themselves.
//!
//! - Keras: `tests/fixtures/f_embedding_pooling.npz`, made by
//!   `scripts/keras_reference/sequence_layers.py` (Keras 3.15.1, JAX), matched to 1e-5.
//! - Padding: a padded batch (padded steps hold garbage) gives, at real steps, what each
//!   sequence gives alone and unpadded; padded steps get zero gradient, and the weight
//!   gradients of the batch are the sums of the per-sequence ones.
//! - Finite differences on every gradient, in f64 from the f32 forward.
//! - Bad token ids are errors that name the id, its position and the table size.

use std::path::{Path, PathBuf};

use shaped_runtime::data::{pad_sequences, pad_sequences_f32, Padding, SplitMix64, Truncating};
use shaped_runtime::io::Npz;
use shaped_runtime::layers::Stage;
use shaped_runtime::layers::{
    Activation, Dense, Embedding, GlobalAvgPool1d, GlobalMaxPool1d, Masking, Mode, TimeDistributed,
};
use shaped_runtime::shape::Dims;
use shaped_runtime::testing::{assert_close, check_gradients, forward_one, Chain, FiniteDifferences, Probe};

/// Every weight gradient of `chain`, keyed `stage/weight`.
fn grads(chain: &Chain) -> Vec<(String, Vec<f32>)> {
    let mut out = Vec::new();
    chain.visit_params(&mut |p| out.push((p.name.to_string(), p.grad.to_vec())));
    out
}

/// Loads every weight of `chain` from `npz` key `<case>/<stage>/<weight>` (Keras's variable
/// paths).
fn load(chain: &mut Chain, npz: &Npz, case: &str) {
    chain.visit_params_mut(&mut |p| {
        let key = format!("{case}/{}", p.name);
        let w = npz.get(&key).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(w.shape, p.shape, "{key}");
        p.data.copy_from_slice(&w.data);
    });
}

fn dims(d: &[usize]) -> Dims {
    Dims::new(d).unwrap()
}

fn random(rng: &mut SplitMix64, n: usize, scale: f32) -> Vec<f32> {
    (0..n).map(|_| (2.0 * rng.next_f32() - 1.0) * scale).collect()
}

fn fixture() -> Npz {
    let path: PathBuf =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/f_embedding_pooling.npz");
    Npz::open(path).unwrap()
}

fn array(npz: &Npz, key: &str) -> Vec<f32> {
    npz.get(key).unwrap_or_else(|e| panic!("{e}")).data
}

fn embedding(vocab: usize, dim: usize, mask_zero: bool, seed: u64) -> (&'static str, Box<dyn Stage>) {
    ("embedding", Box::new(Embedding::new(vocab, dim, mask_zero, &mut SplitMix64::new(seed))))
}

fn td_dense(
    features: usize,
    units: usize,
    activation: Activation,
    seed: u64,
) -> (&'static str, Box<dyn Stage>) {
    let mut rng = SplitMix64::new(seed);
    let mut dense = Dense::new(features, units, activation, true, &mut rng);
    // A random bias too, so no term of the gradient is trivially zero.
    dense.visit_params_mut(&mut |p| {
        if p.name == "bias" {
            p.data.copy_from_slice(&random(&mut rng, units, 0.5));
        }
    });
    ("time_distributed", Box::new(TimeDistributed::new(Box::new(dense), "dense")))
}

// ---------------------------------------------------------------------------------------------
// (1) Keras fixtures.

/* Equivalent python code (scripts/keras_reference/sequence_layers.py):
    inp = keras.Input((6,), dtype="int32")
    emb = keras.layers.Embedding(10, 4, mask_zero=True)
    e = emb(inp)
    m = keras.Model(inp, [keras.layers.GlobalAveragePooling1D()(e), e])
*/
#[test]
fn keras_embedding_mask_zero_then_masked_mean() {
    let npz = fixture();
    let mut chain = Chain::new(vec![embedding(10, 4, true, 0), ("gap", Box::new(GlobalAvgPool1d::new()))])
        .with_token_ids();
    load(&mut chain, &npz, "emb_gap");
    let ids = array(&npz, "emb_gap/input");
    chain.forward(&ids, dims(&[6]), 4, None, Mode::Training).unwrap();
    assert_eq!(chain.mask(0).unwrap(), array(&npz, "emb_gap/mask"));
    assert_close(chain.output(0), &array(&npz, "emb_gap/extra_embedding_output"), 1e-5);
    let expected = array(&npz, "emb_gap/output");
    assert_close(&chain.output(1)[..12], &expected[..12], 1e-5);
    // The last row has no real step: NaN in Keras (0/0), zeros here (a departure: NaN there
    // would turn every weight NaN after one training step).
    assert!(expected[12..].iter().all(|v| v.is_nan()));
    assert_eq!(chain.output(1)[12..], [0.0; 4]);
    assert!(chain.mask(1).is_none(), "GlobalAveragePooling1D drops the mask");
}

/* Equivalent python code:
    emb = keras.layers.Embedding(10, 4, mask_zero=True, name="embedding")
    m = keras.Model(inp, keras.layers.GlobalMaxPooling1D()(emb(inp)))
    # UserWarning: Layer 'global_max_pooling1d' (of type GlobalMaxPooling1D) was passed an
    # input with a mask attached to it. However, this layer does not support masking ...
*/
#[test]
fn keras_global_max_pooling_ignores_the_mask() {
    let npz = fixture();
    let mut chain = Chain::new(vec![embedding(10, 4, true, 0), ("gmp", Box::new(GlobalMaxPool1d::new()))])
        .with_token_ids();
    load(&mut chain, &npz, "emb_gmp");
    let ids = array(&npz, "emb_gmp/input");
    chain.forward(&ids, dims(&[6]), 4, None, Mode::Training).unwrap();
    assert_eq!(chain.mask(0).unwrap(), array(&npz, "emb_gmp/mask"));
    let expected = array(&npz, "emb_gmp/output");
    assert_close(chain.output(1), &expected, 1e-5);
    // The fully padded row is the max over six copies of row 0 of the table: row 0 itself.
    assert_close(&expected[12..], &array(&npz, "emb_gmp/embedding/embeddings")[..4], 0.0);

    // The masked variant differs exactly on the rows with padding.
    let mut masked =
        Chain::new(vec![embedding(10, 4, true, 0), ("gmp", Box::new(GlobalMaxPool1d::masked()))])
            .with_token_ids();
    load(&mut masked, &npz, "emb_gmp");
    let out = masked.forward(&ids, dims(&[6]), 4, None, Mode::Training).unwrap().to_vec();
    assert_close(&out[..4], &expected[..4], 1e-6);
    assert_eq!(out[12..], [0.0; 4], "no real step: zeros");
}

/* Equivalent python code:
    inp = keras.Input((5, 2))
    masking = keras.layers.Masking(0.0)
    t = keras.layers.TimeDistributed(keras.layers.Dense(3, activation="tanh"))(masking(inp))
    m = keras.Model(inp, [keras.layers.GlobalAveragePooling1D()(t), t])
    # weights: time_distributed/dense/kernel, time_distributed/dense/bias
*/
#[test]
fn keras_masking_then_time_distributed_dense() {
    let npz = fixture();
    let mut chain = Chain::new(vec![
        ("masking", Box::new(Masking::new(0.0))),
        td_dense(2, 3, Activation::Tanh, 0),
        ("gap", Box::new(GlobalAvgPool1d::new())),
    ]);
    load(&mut chain, &npz, "mask_td");
    let x = array(&npz, "mask_td/input");
    chain.forward(&x, dims(&[5, 2]), 3, None, Mode::Training).unwrap();
    let mask = array(&npz, "mask_td/mask");
    assert_eq!(chain.mask(0).unwrap(), mask);
    assert_eq!(chain.mask(1).unwrap(), mask, "TimeDistributed keeps the mask");
    assert_close(chain.output(2), &array(&npz, "mask_td/output"), 1e-5);
    // Every step of the TimeDistributed output, padded ones included (tanh of the bias there).
    assert_close(chain.output(1), &array(&npz, "mask_td/extra_td_output"), 1e-5);
    assert_eq!(mask, [1., 1., 1., 1., 1., 1., 1., 1., 0., 0., 0., 0., 1., 0., 1.]);
}

#[test]
fn time_distributed_weight_paths_are_keras_paths() {
    let (_, td) = td_dense(2, 3, Activation::Tanh, 0);
    let mut names = Vec::new();
    td.visit_params(&mut |p| names.push((p.name.to_string(), p.shape.to_vec())));
    assert_eq!(names, [("dense/kernel".to_string(), vec![2, 3]), ("dense/bias".to_string(), vec![3])]);
    assert_eq!(td.kind(), "TimeDistributed");
    assert_eq!(td.output_activation(), Some(Activation::Tanh));
}

// ---------------------------------------------------------------------------------------------
// (2) Padded batches against unpadded sequences.

/// Ragged sequences: sample `i` has `lens[i]` steps of `step` values (ids when `step` is 1 and
/// the step dims are `[]`).
struct Ragged {
    lens: Vec<usize>,
    step_dims: Vec<usize>,
    data: Vec<Vec<f32>>,
}

impl Ragged {
    fn step(&self) -> usize {
        self.step_dims.iter().product()
    }

    fn dims(&self, steps: usize) -> Dims {
        let mut d = vec![steps];
        d.extend_from_slice(&self.step_dims);
        dims(&d)
    }

    /// The padded batch (even samples pre-padded, odd ones post-padded; padded values from
    /// `pad(flat index)`), its mask, and each sample's first real step.
    fn padded(&self, maxlen: usize, pad: &dyn Fn(usize) -> f32) -> (Vec<f32>, Vec<f32>, Vec<usize>) {
        let s = self.step();
        let n = self.lens.len();
        let mut x: Vec<f32> = (0..n * maxlen * s).map(pad).collect();
        let mut mask = vec![0.0; n * maxlen];
        let mut starts = Vec::new();
        for (i, (&len, seq)) in self.lens.iter().zip(&self.data).enumerate() {
            let start = if i % 2 == 0 { maxlen - len } else { 0 };
            x[(i * maxlen + start) * s..(i * maxlen + start + len) * s].copy_from_slice(seq);
            mask[i * maxlen + start..i * maxlen + start + len].fill(1.0);
            starts.push(start);
        }
        (x, mask, starts)
    }
}

/// Runs `make()` on the padded batch and on each sequence alone, and checks: outputs at real
/// steps agree, padded input steps get zero gradient, real ones the per-sequence gradient, and
/// the batch's weight gradients are the sums of the per-sequence ones. With `data_mask` the
/// batch gets the padding mask as its input mask; without, the chain must produce its own.
fn check_padding(make: &dyn Fn() -> Chain, seqs: &Ragged, pad: &dyn Fn(usize) -> f32, data_mask: bool) {
    let (n, s) = (seqs.lens.len(), seqs.step());
    let maxlen = *seqs.lens.iter().max().unwrap() + 2;
    let (x, mask, starts) = seqs.padded(maxlen, pad);
    let mut chain = make();
    let batch_out = chain
        .forward(&x, seqs.dims(maxlen), n, data_mask.then_some(&mask[..]), Mode::Training)
        .unwrap()
        .to_vec();
    let out_dims = chain.dims(chain.len() - 1);
    let sequence_out = out_dims.rank() >= 2;
    let per_step = if sequence_out { out_dims.numel() / maxlen } else { out_dims.numel() };
    let mut rng = SplitMix64::new(99);
    let mut dy = random(&mut rng, batch_out.len(), 1.0);
    if sequence_out {
        // A sequence output is followed by a masked loss: padded steps have zero gradient.
        for (d, &m) in dy.chunks_exact_mut(per_step).zip(&mask) {
            d.iter_mut().for_each(|v| *v *= m);
        }
    }
    let dx = chain.backward(&dy).unwrap();
    let batch_grads = grads(&chain);
    let mut summed: Vec<Vec<f32>> = batch_grads.iter().map(|(_, g)| vec![0.0; g.len()]).collect();

    for i in 0..n {
        let (len, start) = (seqs.lens[i], starts[i]);
        let mut alone = make();
        let out = alone
            .forward(
                &seqs.data[i],
                seqs.dims(len),
                1,
                data_mask.then_some(&vec![1.0; len][..]),
                Mode::Training,
            )
            .unwrap()
            .to_vec();
        let (at, width) = if sequence_out {
            ((i * maxlen + start) * per_step, len * per_step)
        } else {
            (i * per_step, per_step)
        };
        assert_close(&batch_out[at..at + width], &out, 1e-5);
        let single_dx = alone.backward(&dy[at..at + width]).unwrap();
        let row = &dx[i * maxlen * s..(i + 1) * maxlen * s];
        for t in 0..maxlen {
            let g = &row[t * s..(t + 1) * s];
            if t < start || t >= start + len {
                assert!(g.iter().all(|&v| v == 0.0), "sample {i}, padded step {t}: gradient {g:?}");
            } else {
                assert_close(g, &single_dx[(t - start) * s..(t - start + 1) * s], 1e-5);
            }
        }
        for (acc, (_, g)) in summed.iter_mut().zip(grads(&alone)) {
            acc.iter_mut().zip(&g).for_each(|(a, v)| *a += v);
        }
    }
    for ((name, g), expected) in batch_grads.iter().zip(&summed) {
        if let Some(msg) = shaped_runtime::testing::first_difference(g, expected, 1e-5) {
            panic!("{name}: {msg}");
        }
    }
}

fn id_seqs() -> Ragged {
    // Repeated ids within and across sequences; no id 0 (that is the padding id).
    let data = vec![vec![3.0, 1.0, 3.0], vec![5.0, 2.0, 2.0, 7.0, 1.0], vec![4.0], vec![6.0, 6.0]];
    Ragged { lens: data.iter().map(Vec::len).collect(), step_dims: vec![], data }
}

fn feature_seqs(features: usize, seed: u64) -> Ragged {
    let mut rng = SplitMix64::new(seed);
    let lens = vec![3, 5, 1, 4];
    let data = lens.iter().map(|&l| random(&mut rng, l * features, 1.0)).collect();
    Ragged { lens, step_dims: vec![features], data }
}

/// Large, finite values that would show in any output or gradient they leaked into.
fn garbage(k: usize) -> f32 {
    1000.0 + (k as f32 * 7.31).sin() * 500.0
}

#[test]
fn padded_embedding_mask_zero_then_pooling() {
    // The mask comes from the ids: padding must be id 0.
    let pad_id = |_| 0.0;
    check_padding(
        &|| {
            Chain::new(vec![embedding(8, 3, true, 1), ("gap", Box::new(GlobalAvgPool1d::new()))])
                .with_token_ids()
        },
        &id_seqs(),
        &pad_id,
        false,
    );
    check_padding(
        &|| {
            Chain::new(vec![embedding(8, 3, true, 1), ("gmp", Box::new(GlobalMaxPool1d::masked()))])
                .with_token_ids()
        },
        &id_seqs(),
        &pad_id,
        false,
    );
    // Embedding alone: a sequence output.
    check_padding(
        &|| Chain::new(vec![embedding(8, 3, true, 1)]).with_token_ids(),
        &id_seqs(),
        &pad_id,
        false,
    );
}

#[test]
fn padded_embedding_with_a_data_mask_ignores_garbage_ids() {
    // Without mask_zero the data's mask passes through; padded steps hold arbitrary valid ids.
    let pad_id = |k: usize| (k % 8) as f32;
    check_padding(
        &|| {
            Chain::new(vec![embedding(8, 3, false, 2), ("gap", Box::new(GlobalAvgPool1d::new()))])
                .with_token_ids()
        },
        &id_seqs(),
        &pad_id,
        true,
    );
    check_padding(
        &|| {
            Chain::new(vec![embedding(8, 3, false, 2), ("gmp", Box::new(GlobalMaxPool1d::masked()))])
                .with_token_ids()
        },
        &id_seqs(),
        &pad_id,
        true,
    );
}

#[test]
fn padded_pooling_ignores_garbage_steps() {
    check_padding(
        &|| Chain::new(vec![("gap", Box::new(GlobalAvgPool1d::new()))]),
        &feature_seqs(3, 3),
        &garbage,
        true,
    );
    check_padding(
        &|| Chain::new(vec![("gmp", Box::new(GlobalMaxPool1d::masked()))]),
        &feature_seqs(3, 4),
        &garbage,
        true,
    );
}

#[test]
fn keras_max_pooling_sees_padded_steps() {
    // GlobalMaxPool1d::new() is Keras's layer: the garbage wins the max.
    let seqs = feature_seqs(2, 5);
    let (x, mask, _) = seqs.padded(7, &garbage);
    let mut y = vec![0.0; 8];
    forward_one(&mut GlobalMaxPool1d::new(), &x, dims(&[7, 2]), 4, Some(&mask), &mut y, Mode::Inference)
        .unwrap();
    assert!(y.iter().all(|&v| v > 400.0), "{y:?}");
}

#[test]
fn padded_masking_and_time_distributed() {
    // Masking finds the padding itself: padded steps are all mask_value.
    let mask_value = |_| -2.0;
    let make = || {
        Chain::new(vec![
            ("masking", Box::new(Masking::new(-2.0)) as Box<dyn Stage>),
            td_dense(3, 2, Activation::Tanh, 6),
            ("gap", Box::new(GlobalAvgPool1d::new())),
        ])
    };
    check_padding(&make, &feature_seqs(3, 7), &mask_value, false);
    check_padding(
        &|| Chain::new(vec![("masking", Box::new(Masking::new(-2.0)))]),
        &feature_seqs(3, 8),
        &mask_value,
        false,
    );
    // TimeDistributed alone, garbage in the padded steps and a masked loss.
    check_padding(
        &|| Chain::new(vec![td_dense(3, 2, Activation::Sigmoid, 9)]),
        &feature_seqs(3, 10),
        &garbage,
        true,
    );
    check_padding(
        &|| {
            Chain::new(vec![
                td_dense(3, 4, Activation::Relu, 11),
                ("gmp", Box::new(GlobalMaxPool1d::masked())),
            ])
        },
        &feature_seqs(3, 12),
        &garbage,
        true,
    );
}

#[test]
fn masking_produces_the_padding_mask() {
    let seqs = feature_seqs(3, 13);
    let (x, mask, _) = seqs.padded(6, &|_| 0.0);
    let mut chain = Chain::new(vec![("masking", Box::new(Masking::default()))]);
    chain.forward(&x, dims(&[6, 3]), 4, None, Mode::Training).unwrap();
    assert_eq!(chain.mask(0).unwrap(), mask);
}

// ---------------------------------------------------------------------------------------------
// (3) Finite differences.

/// Checks the analytic input gradient (at the indices `check_x` accepts) and every weight
/// gradient of `chain` under a random linear probe against central differences with step `h`;
/// returns the chain with the probe's gradients in place.
#[allow(clippy::too_many_arguments)]
fn finite_differences(
    chain: Chain,
    x: &[f32],
    d: Dims,
    batch: usize,
    mask: Option<&[f32]>,
    check_x: &dyn Fn(usize) -> bool,
    h: f32,
    tolerance: f64,
) -> Chain {
    let mut probe = Probe::new(chain, x, d, batch, mask, 17);
    let fd = FiniteDifferences { h, tolerance, inputs: check_x, ..FiniteDifferences::default() };
    check_gradients(&mut probe, x, &fd);
    probe.chain
}

#[test]
fn embedding_gradient_scatter_adds_repeated_ids() {
    // ids [[1, 3, 1, 1], [0, 3, 2, 1]]: row 1 is used four times, row 3 twice, row 4 never.
    // dE[r] = Σ_{(b,t): id = r} dy[b, t]; finite differences see every repetition.
    let ids = [1.0, 3.0, 1.0, 1.0, 0.0, 3.0, 2.0, 1.0];
    let chain = Chain::new(vec![embedding(5, 3, false, 14)]).with_token_ids();
    let chain = finite_differences(chain, &ids, dims(&[4]), 2, None, &|_| false, 1e-2, 1e-3);
    let row_grads = grads(&chain);
    assert!(row_grads[0].1[12..].iter().all(|&g| g == 0.0), "row 4 is never used");
    assert!(row_grads[0].1[3..6].iter().all(|&g| g != 0.0));

    // And through a masked mean: padded id 0 steps add nothing to row 0.
    let chain = Chain::new(vec![embedding(5, 3, true, 15), ("gap", Box::new(GlobalAvgPool1d::new()))])
        .with_token_ids();
    let chain = finite_differences(chain, &ids, dims(&[4]), 2, None, &|_| false, 1e-2, 1e-3);
    assert!(grads(&chain)[0].1[..3].iter().all(|&g| g == 0.0), "row 0 is padding");
}

#[test]
fn pooling_gradients() {
    let mut rng = SplitMix64::new(16);
    let x = random(&mut rng, 3 * 5 * 4, 2.0);
    let mask = [1., 1., 0., 1., 0., 0., 1., 1., 1., 1., 1., 1., 1., 1., 1.];
    let d = dims(&[5, 4]);
    let all = |_| true;
    finite_differences(
        Chain::new(vec![("gap", Box::new(GlobalAvgPool1d::new()))]),
        &x,
        d,
        3,
        Some(&mask),
        &all,
        1e-2,
        1e-3,
    );
    finite_differences(
        Chain::new(vec![("gap", Box::new(GlobalAvgPool1d::new()))]),
        &x,
        d,
        3,
        None,
        &all,
        1e-2,
        1e-3,
    );
    // Max: a step small enough that no perturbation changes the arg max.
    let gmp = |p: GlobalMaxPool1d| Chain::new(vec![("gmp", Box::new(p))]);
    finite_differences(gmp(GlobalMaxPool1d::masked()), &x, d, 3, Some(&mask), &all, 1e-3, 2e-3);
    finite_differences(gmp(GlobalMaxPool1d::new()), &x, d, 3, Some(&mask), &all, 1e-3, 2e-3);
}

#[test]
fn masking_and_time_distributed_gradients() {
    let mut rng = SplitMix64::new(18);
    let mut x = random(&mut rng, 2 * 4 * 3, 1.5);
    // Sample 0, step 2 and sample 1, step 0 are padding (all 0).
    x[6..9].fill(0.0);
    x[12..15].fill(0.0);
    let mask = [1., 1., 0., 1., 0., 1., 1., 1.];
    let d = dims(&[4, 3]);
    // A nudge at a padded step would unmask it: check those analytically (0), the rest numerically.
    let real = |i: usize| mask[i / 3] == 1.0;
    let chain = Chain::new(vec![
        ("masking", Box::new(Masking::default())),
        td_dense(3, 2, Activation::Tanh, 19),
        ("gap", Box::new(GlobalAvgPool1d::new())),
    ]);
    let mut chain = finite_differences(chain, &x, d, 2, None, &real, 1e-2, 1e-3);
    chain.forward(&x, d, 2, None, Mode::Training).unwrap();
    let dx = chain.backward(&[1.0, -1.0, 0.5, 2.0]).unwrap();
    assert!(dx[6..9].iter().chain(&dx[12..15]).all(|&g| g == 0.0));

    // TimeDistributed on its own, every input and weight, with a sequence output.
    let td = Chain::new(vec![td_dense(3, 2, Activation::Sigmoid, 20)]);
    let td = finite_differences(td, &x, d, 2, None, &|_| true, 1e-2, 1e-3);
    // Rank-3 steps: TimeDistributed(Dense) over [T, H, F] maps the last axis.
    let x3 = random(&mut rng, 2 * 3 * 2 * 3, 1.0);
    let mut td = finite_differences(td, &x3, dims(&[3, 2, 3]), 2, None, &|_| true, 1e-2, 1e-3);
    assert_eq!(td.stage_mut(0).output_dims(&[dims(&[3, 2, 3])]).unwrap().as_slice(), &[3, 2, 2]);
}

// ---------------------------------------------------------------------------------------------
// (4) Errors.

fn embedding_error(ids: &[f32]) -> String {
    let mut chain = Chain::new(vec![embedding(5, 2, true, 0)]).with_token_ids();
    chain.forward(ids, dims(&[ids.len() / 2]), 2, None, Mode::Inference).unwrap_err().to_string()
}

#[test]
fn bad_token_ids_are_errors_naming_the_id_and_its_position() {
    assert_eq!(
        embedding_error(&[1.0, 2.0, 7.0, 0.0]),
        "invalid `token id`: sample 1, position 0 holds id 7, which is not in [0, 5) (Embedding input_dim = 5)"
    );
    assert_eq!(
        embedding_error(&[1.0, 5.0, 3.0, 0.0]),
        "invalid `token id`: sample 0, position 1 holds id 5, which is not in [0, 5) (Embedding input_dim = 5)"
    );
    // Ids are integers all the way: an id above 2^24, which an f32 cannot hold exactly, is
    // still named exactly.
    let mut chain = Chain::new(vec![embedding(5, 2, false, 0)]).with_token_ids();
    let err = chain.forward(&[16_777_216.0], dims(&[1]), 1, None, Mode::Inference).unwrap_err();
    assert!(err.to_string().contains("holds id 16777216"), "{err}");
}

#[test]
fn shape_and_mask_errors() {
    let td = TimeDistributed::new(Box::new(GlobalAvgPool1d::new()), "gap");
    let err = td.output_dims(&[dims(&[4])]).unwrap_err().to_string();
    assert!(err.contains("at least 3 axes"), "{err}");
    // TimeDistributed(GlobalAveragePooling1D) over [T, S, F] pools each step's S axis.
    assert_eq!(td.output_dims(&[dims(&[4, 6, 2])]).unwrap().as_slice(), &[4, 2]);
    let err = Masking::default().output_dims(&[dims(&[3, 2, 2])]).unwrap_err().to_string();
    assert!(err.contains("expects [timesteps, features] input"), "{err}");
    let mut y = [0.0; 2];
    let err = forward_one(
        &mut GlobalAvgPool1d::new(),
        &[0.0; 6],
        dims(&[3, 2]),
        1,
        Some(&[1.0; 4]),
        &mut y,
        Mode::Inference,
    )
    .unwrap_err();
    assert!(err.to_string().contains("have 3 and 4"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// (5) pad_sequences against keras.utils.pad_sequences.

fn ragged_from(npz: &Npz, prefix: &str, step: usize) -> Vec<Vec<f32>> {
    let lens = array(npz, &format!("{prefix}/lengths"));
    let flat = array(npz, &format!("{prefix}/flat"));
    let mut at = 0;
    lens.iter()
        .map(|&l| {
            let l = l as usize * step;
            at += l;
            flat[at - l..at].to_vec()
        })
        .collect()
}

/* Equivalent python code:
    seqs = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10], [], [11]]
    keras.utils.pad_sequences(seqs, maxlen=4, padding="post", truncating="post")   # etc.
*/
#[test]
fn pad_sequences_matches_keras() {
    let npz = fixture();
    let seqs: Vec<Vec<i32>> =
        ragged_from(&npz, "pad", 1).iter().map(|s| s.iter().map(|&v| v as i32).collect()).collect();
    assert_eq!(seqs, [vec![1, 2, 3], vec![4, 5], vec![6, 7, 8, 9, 10], vec![], vec![11]]);
    let cases: [(&str, Option<usize>, Padding, Truncating, i32); 6] = [
        ("default", None, Padding::Pre, Truncating::Pre, 0),
        ("maxlen4", Some(4), Padding::Pre, Truncating::Pre, 0),
        ("maxlen4_post_post", Some(4), Padding::Post, Truncating::Post, 0),
        ("maxlen4_post_pre", Some(4), Padding::Post, Truncating::Pre, 0),
        ("maxlen4_pre_post", Some(4), Padding::Pre, Truncating::Post, 0),
        ("maxlen7_post_value9", Some(7), Padding::Post, Truncating::Pre, 9),
    ];
    for (key, maxlen, padding, truncating, value) in cases {
        let ours: Vec<f32> = pad_sequences(&seqs, maxlen, padding, truncating, value)
            .unwrap()
            .concat()
            .iter()
            .map(|&v| v as f32)
            .collect();
        assert_eq!(ours, array(&npz, &format!("pad/{key}")), "{key}");
    }
    // SEMANTICS §4's example.
    let doc = pad_sequences(&seqs[..3], Some(4), Padding::default(), Truncating::default(), 0).unwrap();
    assert_eq!(doc, [[0, 1, 2, 3], [0, 0, 4, 5], [7, 8, 9, 10]]);
}

#[test]
fn pad_sequences_f32_matches_keras_float32_and_keeps_fractions() {
    let npz = fixture();
    let seqs: Vec<Vec<[f32; 2]>> =
        ragged_from(&npz, "pad_f32", 2).iter().map(|s| s.chunks(2).map(|c| [c[0], c[1]]).collect()).collect();
    let (x, mask) = pad_sequences_f32(&seqs, Some(2), Padding::Post, Truncating::Pre, -1.0).unwrap();
    assert_eq!(x, array(&npz, "pad_f32/maxlen2_post_pre_value-1"));
    assert_eq!(mask, [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]);
    // Keras's default dtype int32 truncates the values; ours keeps them.
    let (x, mask) = pad_sequences_f32(&seqs, None, Padding::Pre, Truncating::Pre, 0.0).unwrap();
    let keras_int = array(&npz, "pad_f32/default_int32");
    assert_eq!(x.iter().map(|v| v.trunc()).collect::<Vec<_>>(), keras_int);
    assert_eq!(&x[..6], &[0.5, 1.7, 2.2, -3.5, 4.25, 5.0]);
    assert_eq!(mask, [1., 1., 1., 0., 0., 1., 0., 0., 0.]);
}
