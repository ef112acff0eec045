//! Preprocessing inside the model. `CategoryEncoding` against Keras 3.15.1 (one-hot, multi-hot,
//! count, a single id), and on ragged ids. `Normalization`, its mean and variance learned by
//! `adapt`:
//! - against Keras 3.15.1 (`scripts/keras_reference/preprocessing_layers.py` →
//!   `tests/fixtures/preprocessing_layers.npz`): the adapted mean and (population) variance, and
//!   the outputs, plain and inverted, within 1e-5 (relative for the statistics);
//! - on ragged sequences, padding is not data: adapting on padded batches gives the statistics
//!   of the real steps alone;
//! - the statistics are non-trainable weights: `fit` leaves them, `save_weights` keeps them.

use shaped::io::Npz;
use shaped::prelude::*;
use shaped::testing::assert_close;

shaped::model! {
    /// The reference's layer alone.
    struct Standardise {
        input: [3],
        Normalization,
    }
}

shaped::model! {
    /// The inverted layer.
    struct Restore {
        input: [3],
        Normalization(invert = true),
    }
}

shaped::model! {
    /// Standardised sequences, pooled and classified.
    struct Sequences {
        input: [None, 2],
        Normalization,
        GlobalAvgPool1d,
        Dense(2, activation = softmax),
    }
}

shaped::model! {
    /// One step at a time: the same features without padding.
    struct Steps {
        input: [2],
        Normalization,
    }
}

shaped::model! {
    /// Three ids per sample, one-hot each.
    struct OneHot {
        input: u32[3],
        CategoryEncoding(5, output_mode = one_hot),
    }
}

shaped::model! {
    /// Three ids per sample, multi-hot.
    struct MultiHot {
        input: u32[3],
        CategoryEncoding(5),
    }
}

shaped::model! {
    /// Three ids per sample, counted.
    struct Count {
        input: u32[3],
        CategoryEncoding(5, output_mode = count),
    }
}

shaped::model! {
    /// One id per sample, one-hot: `[1]` → `[5]`, as Keras squeezes the axis of 1.
    struct Single {
        input: u32[1],
        CategoryEncoding(5, output_mode = one_hot),
    }
}

shaped::model! {
    /// Any number of ids per sample, counted: padding is not a token.
    struct Bag {
        input: u32[None],
        CategoryEncoding(5, output_mode = count),
    }
}

shaped::model! {
    /// Two numbers per sample into the bins of fixed boundaries, as indices.
    struct Bins {
        input: [2],
        Discretization(bin_boundaries = [0.0, 1.0, 2.5]),
    }
}

shaped::model! {
    /// One-hot per value.
    struct BinsOneHot {
        input: [2],
        Discretization(bin_boundaries = [0.0, 1.0, 2.5], output_mode = one_hot),
    }
}

shaped::model! {
    /// Multi-hot per sample.
    struct BinsMultiHot {
        input: [2],
        Discretization(bin_boundaries = [0.0, 1.0, 2.5], output_mode = multi_hot),
    }
}

shaped::model! {
    /// Counted per sample.
    struct BinsCount {
        input: [2],
        Discretization(bin_boundaries = [0.0, 1.0, 2.5], output_mode = count),
    }
}

shaped::model! {
    /// Four bins learned from data.
    struct Quartiles {
        input: [1],
        Discretization(num_bins = 4),
    }
}

shaped::model! {
    /// Four bins learned from data, applied to two numbers per sample.
    struct Quartiles2 {
        input: [2],
        Discretization(num_bins = 4),
    }
}

fn fixture() -> Npz {
    Npz::open(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/preprocessing_layers.npz"),
    )
    .unwrap()
}

fn rows(data: &[f32]) -> Vec<[f32; 3]> {
    data.chunks(3).map(|r| r.try_into().unwrap()).collect()
}

/// The values of the weights whose name ends with `suffix`.
fn weight<M: Network>(model: &M, suffix: &str) -> Vec<f32> {
    let mut out = Vec::new();
    model.visit_weights(&mut |p| {
        if p.name.ends_with(suffix) {
            assert!(!p.trainable, "{} is adapted, not trained", p.name);
            out.extend_from_slice(p.data);
        }
    });
    out
}

/// `a` and `b` equal within `tol` relative to their size.
fn assert_relative(a: &[f32], b: &[f32], tol: f32) {
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol * y.abs().max(1e-30), "[{i}]: {x} vs {y}");
    }
}

#[test]
fn adapt_gives_keras_statistics_and_outputs() -> shaped::Result<()> {
    let npz = fixture();
    let (x, probe) = (rows(&npz.get("x")?.data), rows(&npz.get("probe")?.data));
    let mut model = Standardise::new(0);
    model.adapt(&x)?;
    assert_relative(&weight(&model, "mean"), &npz.get("mean")?.data, 1e-5);
    assert_relative(&weight(&model, "variance"), &npz.get("variance")?.data, 1e-5);
    let y: Vec<[f32; 3]> = model.predict(&probe)?;
    assert_close(y.as_flattened(), &npz.get("y")?.data, 1e-5);

    let mut inverse = Restore::new(0);
    inverse.adapt(&x)?;
    let y: Vec<[f32; 3]> = inverse.predict(&probe)?;
    assert_relative(y.as_flattened(), &npz.get("y_invert")?.data, 1e-5);
    Ok(())
}

#[test]
fn padding_is_not_data() -> shaped::Result<()> {
    let mut rng = shaped::data::SplitMix64::new(3);
    let sequences: Vec<Vec<[f32; 2]>> = (0..40)
        .map(|i| (0..1 + i % 9).map(|_| [rng.next_f32() * 4.0 + 1.0, rng.next_f32() - 7.0]).collect())
        .collect();
    let mut padded = Sequences::new(0);
    padded.adapt(&sequences)?;
    let steps: Vec<[f32; 2]> = sequences.iter().flatten().copied().collect();
    let mut alone = Steps::new(0);
    alone.adapt(&steps)?;
    assert_relative(&weight(&padded, "mean"), &weight(&alone, "mean"), 1e-5);
    assert_relative(&weight(&padded, "variance"), &weight(&alone, "variance"), 1e-5);
    Ok(())
}

#[test]
fn training_leaves_the_adapted_statistics() -> shaped::Result<()> {
    let mut rng = shaped::data::SplitMix64::new(4);
    let x: Vec<Vec<[f32; 2]>> =
        (0..32).map(|i| (0..2 + i % 5).map(|_| [rng.next_f32() * 100.0, rng.next_f32()]).collect()).collect();
    let y: Vec<u32> = (0..32).map(|i| (i % 2) as u32).collect();
    let mut model = Sequences::new(1);
    model.adapt(&x)?;
    let (mean, variance) = (weight(&model, "mean"), weight(&model, "variance"));
    let mut model = model.compile(Adam::default(), SparseCategoricalCrossentropy::default(), [])?;
    model.fit(&x, &y, FitOptions { epochs: 3, verbose: Verbose::Silent, ..Default::default() })?;
    assert_eq!(weight(model.model(), "mean"), mean);
    assert_eq!(weight(model.model(), "variance"), variance);

    // Saved and loaded with the weights.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("sequences.safetensors");
    model.model().save_weights(&path)?;
    let mut fresh = Sequences::new(9);
    fresh.load_weights(&path)?;
    assert_eq!(weight(&fresh, "mean"), mean);
    Ok(())
}

#[test]
fn adapt_refuses_non_finite_data() {
    let mut model = Standardise::new(0);
    let err = model.adapt(&[[1.0, 2.0, 3.0], [4.0, f32::NAN, 6.0]]).unwrap_err().to_string();
    assert!(err.contains("x[1] holds NaN"), "{err}");
    // Nothing changed.
    assert_eq!(weight(&model, "mean"), [0.0; 3]);
}

#[test]
fn category_encoding_matches_keras() -> shaped::Result<()> {
    let npz = fixture();
    let ids: Vec<[u32; 3]> =
        npz.get("ids")?.data.chunks(3).map(|r| std::array::from_fn(|j| r[j] as u32)).collect();
    let one_hot: Vec<[[f32; 5]; 3]> = OneHot::new(0).predict(&ids)?;
    assert_close(one_hot.as_flattened().as_flattened(), &npz.get("one_hot")?.data, 0.0);
    let multi: Vec<[f32; 5]> = MultiHot::new(0).predict(&ids)?;
    assert_close(multi.as_flattened(), &npz.get("multi_hot")?.data, 0.0);
    let count: Vec<[f32; 5]> = Count::new(0).predict(&ids)?;
    assert_close(count.as_flattened(), &npz.get("count")?.data, 0.0);
    let single: Vec<u32> = npz.get("id")?.data.iter().map(|&v| v as u32).collect();
    let one: Vec<[f32; 5]> = Single::new(0).predict(&single)?;
    assert_close(one.as_flattened(), &npz.get("one_hot_single")?.data, 0.0);

    // Ragged ids: the padding (id 0) of the shorter samples is not counted.
    let bags = vec![vec![0u32, 3, 3], vec![4], vec![2, 2, 2, 2, 1]];
    let counted: Vec<[f32; 5]> = Bag::new(0).predict(&bags)?;
    assert_eq!(counted, [[1.0, 0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0, 1.0], [0.0, 1.0, 4.0, 0.0, 0.0]]);

    // An id past num_tokens is an error naming the sample.
    let err =
        Count::new(0).predict(&[[1, 2, 3], [0, 5, 1]]).map(|_: Vec<[f32; 5]>| ()).unwrap_err().to_string();
    assert!(err.contains("x[1] holds token id 5"), "{err}");
    Ok(())
}

#[test]
fn discretization_matches_keras() -> shaped::Result<()> {
    let npz = fixture();
    let values: Vec<[f32; 2]> = npz.get("values")?.data.chunks(2).map(|r| [r[0], r[1]]).collect();
    let int: Vec<[f32; 2]> = Bins::new(0).predict(&values)?;
    assert_close(int.as_flattened(), &npz.get("disc_int")?.data, 0.0);
    let one_hot: Vec<[[f32; 4]; 2]> = BinsOneHot::new(0).predict(&values)?;
    assert_close(one_hot.as_flattened().as_flattened(), &npz.get("disc_one_hot")?.data, 0.0);
    let multi: Vec<[f32; 4]> = BinsMultiHot::new(0).predict(&values)?;
    assert_close(multi.as_flattened(), &npz.get("disc_multi_hot")?.data, 0.0);
    let count: Vec<[f32; 4]> = BinsCount::new(0).predict(&values)?;
    assert_close(count.as_flattened(), &npz.get("disc_count")?.data, 0.0);

    // adapt: the data kept whole (60 values), and summarised to 100 weighted points (1000).
    for name in ["small", "large"] {
        let data: Vec<[f32; 1]> = npz.get(name)?.data.iter().map(|&v| [v]).collect();
        let mut model = Quartiles::new(0);
        model.adapt(&data)?;
        assert_relative(
            &weight(&model, "bin_boundaries"),
            &npz.get(&format!("{name}_boundaries"))?.data,
            1e-5,
        );
    }
    let large: Vec<[f32; 2]> = npz.get("large")?.data.chunks(2).map(|r| [r[0], r[1]]).collect();
    let mut model = Quartiles2::new(0);
    model.adapt(&large)?;
    let bins: Vec<[f32; 2]> = model.predict(&values)?;
    assert_close(bins.as_flattened(), &npz.get("large_int")?.data, 0.0);
    Ok(())
}
