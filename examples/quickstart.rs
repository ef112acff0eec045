//! The main job: train the digits MLP on real 8×8 handwritten digits (data/digits.csv.gz),
//! with a held-out test split, Keras-style progress, and a plot of the training history.
//!
//! Run: `cargo run --release --example quickstart`

use shaped::data::{load_digits, to_categorical};
use shaped::prelude::*;

shaped::model! {
    /// Classifies 8x8 digit images (64 pixels scaled to [0, 1]) into the digits 0 to 9.
    pub struct Digits {
        input: [64],
        hidden: Dense(128, activation = relu),
        Dropout(0.2),
        Dense(10, activation = softmax),
    }
}

fn main() -> shaped::Result<()> {
    let start = std::time::Instant::now();
    let data = load_digits(concat!(env!("CARGO_MANIFEST_DIR"), "/data/digits.csv.gz"))?;
    let (train, test) = data.split(0.2, 42);
    println!("{} training and {} test images of 8x8 pixels\n", train.len(), test.len());

    let mut model =
        Digits::new(42).compile(Adam::default(), CategoricalCrossentropy::default(), [Accuracy])?;
    model.summary();

    let y_train: Vec<[f32; 10]> = to_categorical(&train.labels)?;
    let history = model.fit(
        &train.images,
        &y_train,
        FitOptions { epochs: 20, batch_size: 32, validation_split: 0.1, ..Default::default() },
    )?;

    let y_test: Vec<[f32; 10]> = to_categorical(&test.labels)?;
    let scores = model.evaluate(&test.images, &y_test)?;
    let accuracy = scores.get("accuracy").unwrap_or(f64::NAN);
    println!("\ntest loss {:.4}, test accuracy {accuracy:.4}", scores.get("loss").unwrap_or(f64::NAN));

    let probs: Vec<[f32; 10]> = model.predict(&test.images[..5])?;
    for (p, label) in probs.iter().zip(&test.labels) {
        let class = p.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(c, _)| c);
        println!("  label {label}  predicted {class}  (p = {:.3})", p[class]);
    }

    let plot = std::env::temp_dir().join("shaped-quickstart-history.svg");
    history.write_svg(&plot)?;
    println!("\nhistory plot: {}", plot.display());
    println!("done in {:.2} s", start.elapsed().as_secs_f64());
    Ok(())
}
