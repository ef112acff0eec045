//! Sizes from named constants: every dim and size argument may be a const expression, checked
//! by the const tier; the model works as with literals.

use shaped::prelude::*;

const FEATURES: usize = 12;
const HIDDEN: usize = 16;
const CLASSES: usize = 3;
const VOCAB: usize = 50;

shaped::model! {
    /// A classifier sized by constants.
    struct Sized {
        input: [FEATURES],
        hidden: Dense(HIDDEN, activation = relu),
        wide: Dense(2 * HIDDEN),
        Reshape([HIDDEN, 2]),
        Flatten,
        Dense(CLASSES, activation = softmax),
    }
}

shaped::model! {
    /// A graph with a const-sized input, a const vocabulary and a merge.
    struct Mixed {
        input words: u32[None],
        input features: [None, FEATURES],
        word_vecs: Embedding(VOCAB, HIDDEN, mask_zero = true)(words),
        word_state: Lstm(HIDDEN)(word_vecs),
        feature_state: Gru(HIDDEN / 2)(features),
        both: Concatenate()(word_state, feature_state),
        output class: Dense(CLASSES, activation = softmax)(both),
        output score: Dense(1)(feature_state),
    }
}

#[test]
fn const_sizes_train_like_literals() {
    let x: Vec<[f32; FEATURES]> = (0..8).map(|i| [i as f32 / 8.0; FEATURES]).collect();
    let y: Vec<u32> = (0..8).map(|i| i % CLASSES as u32).collect();
    let mut model =
        Sized::new(0).compile(Adam::default(), SparseCategoricalCrossentropy::default(), [Accuracy]).unwrap();
    assert_eq!(<Sized as Model>::In::DIMS, &[Some(FEATURES)]);
    assert_eq!(<Sized as Model>::Out::DIMS, &[Some(CLASSES)]);
    model.fit(&x, &y, FitOptions { epochs: 2, verbose: Verbose::Silent, ..Default::default() }).unwrap();
    let p: Vec<[f32; CLASSES]> = model.predict(&x).unwrap();
    assert!(p.iter().all(|row| (row.iter().sum::<f32>() - 1.0).abs() < 1e-5));
    let mut names = Vec::new();
    model.visit_weights(&mut |w| names.push((w.name.to_string(), w.shape.to_vec())));
    assert_eq!(names[0], ("hidden/kernel".to_string(), vec![FEATURES, HIDDEN]));
    assert_eq!(names[2], ("wide/kernel".to_string(), vec![HIDDEN, 2 * HIDDEN]));

    let mut mixed = Mixed::new(1);
    let sample = MixedInput { words: vec![3, 4, 5], features: vec![[0.5; FEATURES]; 4] };
    let out: Vec<MixedOutput> = mixed.predict(&[sample]).unwrap();
    assert_eq!(out[0].class.len(), CLASSES);
    assert_eq!(<Mixed as Network>::OUTPUTS[0].dims, &[Some(CLASSES)]);
}
