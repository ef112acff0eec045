//! Custom layers without a hand-written backward: a residual block composed of built-in layers
//! (a nested graph model) and an activation of one's own (`Lambda`), trained on the 8×8 digits.
//!
//! Run: `cargo run --release --example residual_block`

use shaped::data::load_digits;
use shaped::prelude::*;

/// The slope of the leaky relu written as a `Lambda`.
const SLOPE: f32 = 0.1;

shaped::model! {
    /// `y = x + Dense(Dense(x))`: the block's input skips over its two layers.
    pub struct Residual {
        input x: [64],
        h: Dense(64, activation = relu)(x),
        g: Dense(64)(h),
        output y: Add()(x, g),
    }
}

shaped::model! {
    /// Two residual blocks with a leaky relu of our own between them.
    pub struct Digits {
        input: [64],
        block: Residual::new(seed),
        Lambda(|x| x.max(SLOPE * x)),
        block_1: Residual::new(seed + 1),
        Lambda(|x| x.max(SLOPE * x)),
        Dense(10, activation = softmax),
    }
}

fn main() -> shaped::Result<()> {
    let data = load_digits(concat!(env!("CARGO_MANIFEST_DIR"), "/data/digits.csv.gz"))?;
    let (train, test) = data.split(0.2, 42);
    let mut model =
        Digits::new(42).compile(Adam::default(), SparseCategoricalCrossentropy::default(), [Accuracy])?;
    model.summary();
    model.fit(
        &train.images,
        &train.labels,
        FitOptions { epochs: 20, batch_size: 32, verbose: Verbose::Silent, ..Default::default() },
    )?;
    let scores = model.evaluate(&test.images, &test.labels)?;
    println!("test accuracy {:.4}", scores.get("accuracy").unwrap_or(f64::NAN));
    Ok(())
}
