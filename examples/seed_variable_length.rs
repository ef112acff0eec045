//! The seed article's variable-length example, ported: sequences of random length 50..150 go
//! straight into `Lstm(128)` → `Dense(10, softmax)`. In Keras this needs padding by hand (and a
//! mask, or the padding biases the LSTM); here `fit` takes the ragged sequences as they are.
//!
//! The task is learnable: the class is the feature with the largest mean over the sequence.
//!
//! Run: `cargo run --release --example seed_variable_length`

use shaped::data::SplitMix64;
use shaped::prelude::*;

shaped::model! {
    /// Classifies a sequence of 10-feature steps into 10 classes.
    pub struct Classifier {
        input: [None, 10],
        Lstm(128),
        Dense(10, activation = softmax),
    }
}

fn main() -> shaped::Result<()> {
    let mut rng = SplitMix64::new(1);
    let mut sequence = |class: usize| -> Vec<[f32; 10]> {
        let len = 50 + rng.next_below(101) as usize;
        (0..len)
            .map(|_| std::array::from_fn(|f| rng.next_f32() - 0.5 + if f == class { 0.3 } else { 0.0 }))
            .collect()
    };
    let y: Vec<u32> = (0..600).map(|i| (i % 10) as u32).collect();
    let x: Vec<Vec<[f32; 10]>> = y.iter().map(|&c| sequence(c as usize)).collect();
    let lengths: Vec<usize> = x.iter().map(Vec::len).collect();
    println!(
        "{} sequences of {} to {} steps, no padding by hand\n",
        x.len(),
        lengths.iter().min().unwrap_or(&0),
        lengths.iter().max().unwrap_or(&0)
    );

    let mut model =
        Classifier::new(3).compile(Adam::default(), SparseCategoricalCrossentropy::default(), [Accuracy])?;
    model.summary();
    let history = model.fit(
        &x,
        &y,
        FitOptions {
            epochs: 8,
            batch_size: 32,
            validation_split: 0.2,
            bucket_by_length: true,
            ..Default::default()
        },
    )?;
    let val = history.get("val_accuracy").and_then(|v| v.last().copied()).unwrap_or(f64::NAN);
    println!("\nvalidation accuracy after {} epochs: {val:.3}", history.len());
    println!("padded fraction with bucketing by length: {:.3}", model.padded_fraction().unwrap_or(0.0));
    Ok(())
}
