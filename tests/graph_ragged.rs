//! A graph with two ragged inputs (token ids and feature steps, each padded per batch to its own
//! longest and masked) gives, for each sample in a padded batch, the outputs it gives alone
//! (at its real steps, for the sequence output) and the same gradients: the batch's weight
//! gradients are the sums of the per-sample ones.

use shaped::layers::Mode;
use shaped::model::{InputBatch, Network};
use shaped::testing::{assert_close, first_difference};

shaped::model! {
    /// Words and measurements of different lengths, read side by side.
    struct Reader {
        input words: u32[None],
        input steps: [None, 3],
        word_vecs: Embedding(20, 4, mask_zero = true)(words),
        word_seq: Lstm(5, return_sequences = true)(word_vecs),
        word_mean: GlobalAvgPool1d()(word_seq),
        step_state: Gru(4)(steps),
        both: Concatenate()(word_mean, step_state),
        output score: Dense(2)(both),
        output tags: Dense(3)(word_seq),
    }
}

fn samples() -> Vec<ReaderInput> {
    let mut rng = shaped::data::SplitMix64::new(7);
    let lengths = [(3, 5), (6, 1), (1, 4), (4, 4), (2, 7)];
    lengths
        .iter()
        .map(|&(words, steps)| ReaderInput {
            words: (0..words).map(|_| 1 + rng.next_u64() as u32 % 19).collect(),
            steps: (0..steps).map(|_| [rng.next_f32() - 0.5, rng.next_f32(), -rng.next_f32()]).collect(),
        })
        .collect()
}

/// Each sample's outputs (the score, and the tags at its real steps) and every weight's
/// gradient.
type Pass = (Vec<(Vec<f32>, Vec<f32>)>, Vec<Vec<f32>>);

/// Runs `model` on samples `idx` of `x` padded into one batch, sets the gradient of each output
/// row to `r(sample, output, row)` at real rows (0 at padding), runs backward; returns the
/// outputs per sample (the score, and the tags at real steps) and every weight's gradient.
fn run(model: &mut Reader, x: &[ReaderInput], idx: &[usize], r: &dyn Fn(usize, usize, usize) -> f32) -> Pass {
    let mut batch = InputBatch::default();
    batch.fill::<Reader, ReaderInput>(x, idx);
    let inputs = batch.inputs();
    let inputs = &inputs[..batch.count()];
    let n = idx.len();
    model.run_inputs(inputs, n, Mode::Training).unwrap();
    let (score, _) = model.output_at(0);
    let (tags, tag_dims) = model.output_at(1);
    let steps = tag_dims.as_slice()[0];
    let outputs = idx
        .iter()
        .enumerate()
        .map(|(s, &i)| {
            let real = x[i].words.len();
            (score[s * 2..(s + 1) * 2].to_vec(), tags[s * steps * 3..(s * steps + real) * 3].to_vec())
        })
        .collect();
    let score_grad: Vec<f32> = (0..n * 2).map(|k| r(idx[k / 2], 0, k % 2)).collect();
    model.output_and_grad_at(0).1.copy_from_slice(&score_grad);
    let tag_grad: Vec<f32> = (0..n * steps * 3)
        .map(|k| {
            let (s, t) = (k / (steps * 3), (k / 3) % steps);
            if t < x[idx[s]].words.len() {
                r(idx[s], 1, t * 3 + k % 3)
            } else {
                0.0
            }
        })
        .collect();
    model.output_and_grad_at(1).1.copy_from_slice(&tag_grad);
    model.backward_inputs(inputs, n, &[false, false], &mut []).unwrap();
    let mut grads = Vec::new();
    model.visit_weights(&mut |p| grads.push(p.grad.to_vec()));
    (outputs, grads)
}

#[test]
fn a_padded_batch_gives_each_sample_what_it_gives_alone() {
    let x = samples();
    let r = |i: usize, output: usize, k: usize| ((i * 7 + output * 3 + k) as f32 * 0.37).sin();
    let mut model = Reader::new(11);
    let all: Vec<usize> = (0..x.len()).collect();
    let (together, batch_grads) = run(&mut model, &x, &all, &r);

    let mut summed: Vec<Vec<f32>> = batch_grads.iter().map(|g| vec![0.0; g.len()]).collect();
    for (i, in_batch) in together.iter().enumerate() {
        let (alone, grads) = run(&mut model, &x, &[i], &r);
        assert_close(&in_batch.0, &alone[0].0, 1e-5);
        assert_close(&in_batch.1, &alone[0].1, 1e-5);
        for (acc, g) in summed.iter_mut().zip(&grads) {
            acc.iter_mut().zip(g).for_each(|(a, v)| *a += v);
        }
    }
    let mut names = Vec::new();
    model.visit_weights(&mut |p| names.push(p.name.to_string()));
    for ((name, got), expected) in names.iter().zip(&batch_grads).zip(&summed) {
        if let Some(diff) = first_difference(got, expected, 2e-5) {
            panic!("{name}: {diff}");
        }
    }
    // And `predict`, which pads per batch of 32, agrees with one sample at a time.
    let predicted = model.predict(&x).unwrap();
    for (i, sample) in x.iter().enumerate() {
        let alone = model.predict(std::slice::from_ref(sample)).unwrap();
        assert_close(&predicted[i].score, &alone[0].score, 1e-5);
        assert_eq!(predicted[i].tags.len(), sample.words.len(), "one tag row per real word");
        assert_close(predicted[i].tags.as_flattened(), alone[0].tags.as_flattened(), 1e-5);
    }
}
