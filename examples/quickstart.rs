//! The main job: declare the digits MLP, see its summary, and predict on real 8×8 digit images
//! from `data/digits.csv.gz`.
//!
//! Run: `cargo run --release --example quickstart`

use shaped::data::load_digits;
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
    let data = load_digits(concat!(env!("CARGO_MANIFEST_DIR"), "/data/digits.csv.gz"))?;
    println!("{} images of 8x8 pixels, labels 0..9\n", data.len());

    let mut model = Digits::new(42);
    model.summary();

    let first = &data.images[..8];
    let probs: Vec<[f32; 10]> = model.predict(first)?;
    println!("\nPredictions of the untrained model on the first {} images:", first.len());
    for (p, label) in probs.iter().zip(&data.labels) {
        let (class, confidence) =
            p.iter().enumerate().fold((0, f32::MIN), |best, (c, &v)| if v > best.1 { (c, v) } else { best });
        println!("  label {label}  predicted {class}  (p = {confidence:.3})");
    }
    Ok(())
}
