//! Variable-length sequences through whole models: per-batch padding and masks give the same
//! answers as each sequence alone, per-step labels, and the errors a user can meet.

use shaped::prelude::*;

shaped::model! {
    /// Every step's class.
    struct Tagger {
        input: [None, 4],
        Masking(0.0),
        Bidirectional(Gru(6, return_sequences = true), merge_mode = concat),
        Lstm(5, return_sequences = true),
        TimeDistributed(Dense(3, activation = softmax)),
    }
}

shaped::model! {
    /// One class per sequence of token ids.
    struct Reader {
        input: u32[None],
        Embedding(20, 6, mask_zero = true),
        SimpleRnn(8, return_sequences = true),
        Gru(6, return_sequences = true),
        GlobalAvgPool1d,
        Dense(2, activation = softmax),
    }
}

fn sequences() -> Vec<Vec<[f32; 4]>> {
    let mut rng = shaped::data::SplitMix64::new(3);
    [3usize, 7, 1, 5, 2]
        .iter()
        .map(|&len| (0..len).map(|_| std::array::from_fn(|_| rng.next_f32() - 0.5)).collect())
        .collect()
}

#[test]
fn a_padded_batch_predicts_what_each_sequence_alone_predicts() {
    let x = sequences();
    let mut model = Tagger::new(1);
    let batch: Vec<Vec<[f32; 3]>> = model.predict(&x).unwrap();
    for (seq, out) in x.iter().zip(&batch) {
        assert_eq!(out.len(), seq.len(), "one prediction per real step");
        let alone: Vec<Vec<[f32; 3]>> = model.predict(std::slice::from_ref(seq)).unwrap();
        shaped::testing::assert_close(out.as_flattened(), alone[0].as_flattened(), 1e-5);
    }
    let ids: Vec<Vec<u32>> = vec![vec![3, 4, 5], vec![7], vec![1, 2, 3, 4, 5, 6]];
    let mut reader = Reader::new(2);
    let batch: Vec<[f32; 2]> = reader.predict(&ids).unwrap();
    for (seq, out) in ids.iter().zip(&batch) {
        let alone: Vec<[f32; 2]> = reader.predict(std::slice::from_ref(seq)).unwrap();
        shaped::testing::assert_close(out, &alone[0], 1e-5);
    }
}

#[test]
fn per_step_labels_train_and_are_checked_against_their_sequence() {
    let x = sequences();
    let y: Vec<Vec<u32>> = x.iter().map(|s| (0..s.len()).map(|t| (t % 3) as u32).collect()).collect();
    let mut model = Tagger::new(4)
        .compile(Adam::default(), SparseCategoricalCrossentropy::default(), [Accuracy])
        .unwrap();
    let options = || FitOptions { epochs: 30, batch_size: 5, verbose: Verbose::Silent, ..Default::default() };
    let history = model.fit(&x, &y, options()).unwrap();
    let loss = history.get("loss").unwrap();
    assert!(loss[29] < loss[0], "loss {} → {}", loss[0], loss[29]);

    let mut short = y.clone();
    short[1].pop();
    let err = model.fit(&x, &short, options()).unwrap_err().to_string();
    assert_eq!(err, "sequence x[1] and its per-step labels y[1] must have the same length, but have 7 and 6");
    let mut bad = y.clone();
    bad[3][2] = 3;
    let err = model.fit(&x, &bad, options()).unwrap_err().to_string();
    assert_eq!(
        err,
        "invalid `y`: y[3] holds class id 3 at step 2, but the model has 3 outputs, so class ids must be below 3"
    );
}

#[test]
fn loss_on_a_sequence_output_averages_over_real_steps() {
    // Keras: the mask becomes a sample weight scaled by N_total / N_valid, so the loss is the
    // mean over real steps. Evaluate on the batch equals the step-weighted mean of each alone.
    let x = sequences();
    let y: Vec<Vec<u32>> = x.iter().map(|s| (0..s.len()).map(|t| ((t + 1) % 3) as u32).collect()).collect();
    let mut model =
        Tagger::new(5).compile(Sgd::default(), SparseCategoricalCrossentropy::default(), []).unwrap();
    let together = model.evaluate(&x, &y).unwrap().get("loss").unwrap();
    let steps: usize = x.iter().map(Vec::len).sum();
    let weighted: f64 = x
        .iter()
        .zip(&y)
        .map(|(s, l)| {
            model.evaluate(std::slice::from_ref(s), std::slice::from_ref(l)).unwrap().get("loss").unwrap()
                * s.len() as f64
        })
        .sum::<f64>()
        / steps as f64;
    assert!((together - weighted).abs() < 1e-5, "{together} vs {weighted}");
}

#[test]
fn token_ids_out_of_range_are_an_error_not_nan() {
    let mut reader = Reader::new(6);
    let err = reader.predict(&[vec![3, 25, 4]]).unwrap_err().to_string();
    assert!(err.contains("25") && err.contains("20"), "{err}");
}

#[test]
fn bucketing_pads_less() {
    let mut rng = shaped::data::SplitMix64::new(9);
    let x: Vec<Vec<[f32; 4]>> = (0..64)
        .map(|_| (0..1 + rng.next_below(40) as usize).map(|_| [rng.next_f32(); 4]).collect())
        .collect();
    let y: Vec<Vec<u32>> = x.iter().map(|s| vec![1; s.len()]).collect();
    let padded = |bucket_by_length: bool| {
        let mut model =
            Tagger::new(7).compile(Sgd::default(), SparseCategoricalCrossentropy::default(), []).unwrap();
        let options = FitOptions {
            epochs: 1,
            batch_size: 8,
            bucket_by_length,
            verbose: Verbose::Silent,
            ..Default::default()
        };
        model.fit(&x, &y, options).unwrap();
        model.padded_fraction().unwrap()
    };
    let (plain, bucketed) = (padded(false), padded(true));
    assert!(bucketed < plain / 2.0, "padded fraction {plain} without bucketing, {bucketed} with");
}

shaped::model! {
    /// Max over real steps only.
    struct Peaks {
        input: [None, 3],
        GlobalMaxPool1d,
    }
}

#[test]
fn max_pooling_ignores_padding_even_when_every_value_is_negative() {
    // Keras 3.15's GlobalMaxPooling1D takes the max over padded steps too, so the padding's
    // zeros would win here; shaped's honours the mask.
    let x = vec![vec![[-3.0, -1.0, -2.0], [-5.0, -4.0, -0.5]], vec![[-1.0, -2.0, -3.0]; 5]];
    let peaks: Vec<[f32; 3]> = Peaks::new(0).predict(&x).unwrap();
    assert_eq!(peaks, [[-3.0, -1.0, -0.5], [-1.0, -2.0, -3.0]]);
}

shaped::model! {
    /// A sequence-to-sequence block, used as a layer below.
    struct Encoder {
        input: [None, 4],
        Lstm(5, return_sequences = true),
    }
}

shaped::model! {
    /// The nested model hands its output's mask on to the pooling after it.
    struct Pooled {
        input: [None, 4],
        encoder: Encoder::new(seed) -> [None, 5],
        GlobalAvgPool1d,
    }
}

#[test]
fn a_nested_sequence_model_passes_its_mask_on() {
    let x = sequences();
    let mut model = Pooled::new(8);
    let batch: Vec<[f32; 5]> = model.predict(&x).unwrap();
    for (seq, out) in x.iter().zip(&batch) {
        let alone: Vec<[f32; 5]> = model.predict(std::slice::from_ref(seq)).unwrap();
        shaped::testing::assert_close(out, &alone[0], 1e-5);
    }
}

shaped::model! {
    /// One class per sequence, through every recurrent cell.
    struct Classifier {
        input: [None, 4],
        Masking(0.0),
        Bidirectional(Gru(6, return_sequences = true)),
        SimpleRnn(4, return_sequences = true),
        Lstm(5),
        Dense(3, activation = softmax),
    }
}

/// The weights of a model, flat.
fn weights(model: &impl Model) -> Vec<f32> {
    let mut w = Vec::new();
    model.visit_weights(&mut |p| w.extend_from_slice(p.data));
    w
}

/// A batch of 40 ragged sequences is dealt into two shares that run through time on their
/// own (and side by side on two threads): its predictions are each sequence's alone, and one
/// SGD step on it moves the weights by the mean of the steps each sequence takes alone (the
/// loss is the mean over sequences, so its gradient is the mean of theirs).
#[test]
fn a_batch_run_in_shares_trains_as_the_mean_of_each_sequence_alone() {
    let mut rng = shaped::data::SplitMix64::new(11);
    let x: Vec<Vec<[f32; 4]>> = (0..40)
        .map(|i| (0..1 + (i * 7) % 12).map(|_| std::array::from_fn(|_| rng.next_f32() + 0.1)).collect())
        .collect();
    let y: Vec<u32> = (0..40).map(|i| (i % 3) as u32).collect();
    let compiled =
        || Classifier::new(7).compile(Sgd::default(), SparseCategoricalCrossentropy::default(), []).unwrap();
    let start = weights(compiled().model());

    let mut model = compiled();
    let together: Vec<[f32; 3]> = model.predict(&x).unwrap();
    model.train_on_batch(&x, &y).unwrap();
    let batch_step: Vec<f32> = weights(model.model()).iter().zip(&start).map(|(w, s)| w - s).collect();

    let mut mean_step = vec![0.0f32; start.len()];
    for (i, (seq, &label)) in x.iter().zip(&y).enumerate() {
        let mut alone = compiled();
        let predicted: Vec<[f32; 3]> = alone.predict(std::slice::from_ref(seq)).unwrap();
        shaped::testing::assert_close(&together[i], &predicted[0], 1e-6);
        alone.train_on_batch(std::slice::from_ref(seq), &[label]).unwrap();
        for ((m, w), s) in mean_step.iter_mut().zip(weights(alone.model())).zip(&start) {
            *m += (w - s) / 40.0;
        }
    }
    assert!(batch_step.iter().any(|d| d.abs() > 1e-4), "the step moved the weights");
    shaped::testing::assert_close(&batch_step, &mean_step, 2e-6);
}
