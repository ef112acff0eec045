//! Bad input at run time is an `Err` that states both values, never a panic.

use shaped::prelude::*;

shaped::model! {
    struct Digits {
        input: [64],
        Dense(16, activation = relu),
        Dense(10, activation = softmax),
    }
}

#[test]
fn wrong_feature_count_names_both_shapes() {
    let mut model = Digits::new(1);
    let err = model.predict_flat(&[0.0; 2 * 63], &[2, 63]).unwrap_err().to_string();
    assert_eq!(err, "input of model `digits` must have shape (None, 64), but has shape (2, 63)");
}

#[test]
fn wrong_rank_names_both_shapes() {
    let mut model = Digits::new(1);
    let err = model.predict_flat(&[0.0; 64], &[1, 8, 8]).unwrap_err().to_string();
    assert_eq!(err, "input of model `digits` must have shape (None, 64), but has shape (1, 8, 8)");
}

#[test]
fn data_length_must_match_the_shape() {
    let mut model = Digits::new(1);
    let err = model.predict_flat(&[0.0; 100], &[2, 64]).unwrap_err().to_string();
    assert!(err.contains("100") && err.contains("128"), "{err}");
}

#[test]
fn typed_tensor_entry_and_batches() -> shaped::Result<()> {
    let mut model = Digits::new(1);
    let x: Vec<[f32; 64]> = (0..70).map(|i| [i as f32 / 70.0; 64]).collect();
    let typed = model.predict(&x)?;
    let tensor = Tensor::<(shaped::dim!(64),)>::from_flat(x.as_flattened().to_vec())?;
    let out = model.predict_tensor(&tensor)?;
    assert_eq!(out.batch(), 70);
    // Batches of 32 (predict) and one batch of 70 give the same numbers.
    shaped::testing::assert_close(typed.as_flattened(), out.data(), 1e-6);
    Ok(())
}

#[test]
fn same_seed_same_weights_other_seed_other_weights() {
    let weights = |seed| {
        let mut all = Vec::new();
        Digits::new(seed).visit_weights(&mut |p| all.extend_from_slice(p.data));
        all
    };
    assert_eq!(weights(7), weights(7));
    assert_ne!(weights(7), weights(8));
}

#[test]
fn empty_input_gives_empty_output() -> shaped::Result<()> {
    let mut model = Digits::new(1);
    assert!(model.predict(&[])?.is_empty());
    Ok(())
}

shaped::model! {
    struct Frames {
        input: [None, 4],
        Dense(2),
    }
}

/// Sizes from a caller are multiplied with checked arithmetic: a shape too large for memory is
/// an `Err`, never a wrapped length that a kernel then indexes with.
#[test]
fn sizes_that_overflow_are_errors_not_panics() {
    let mut model = Digits::new(1);
    let err = model.predict_flat(&[], &[1 << 62, 64]).unwrap_err().to_string();
    assert!(err.contains("more values than this machine can address"), "{err}");
    let mut frames = Frames::new(1);
    let err = frames.predict_flat(&[], &[1 << 40, 1 << 40, 4]).unwrap_err().to_string();
    assert!(
        err.contains("(1099511627776, 1099511627776, 4) given to model `frames` holds more values"),
        "{err}"
    );
    let err = frames.predict_flat(&[], &[1, 1 << 62, 1 << 62]).unwrap_err().to_string();
    assert!(err.contains("must have shape (None, None, 4)"), "{err}");
    // The lower-level entry checks the data's length against the batch and dims it is told.
    let dims = Dims::new(&[64]).unwrap();
    let err = model.run(&[0.0; 64], dims, 1 << 62, Mode::Inference).unwrap_err().to_string();
    assert!(err.contains("more values than this machine can address"), "{err}");
    let err = model.run(&[0.0; 64], dims, 2, Mode::Inference).unwrap_err().to_string();
    assert!(err.contains("have 64 and 128"), "{err}");
    let steps = Dims::new(&[3, 4]).unwrap();
    let err = frames.run_masked(&[0.0; 24], steps, 2, Some(&[1.0; 5]), Mode::Inference).unwrap_err();
    assert!(err.to_string().contains("input mask"), "{err}");
}
