//! The example: `Dense(HIDDEN)` with a named constant, `input: [FEATURES]` taking
//! `&[[f32; FEATURES]]`, and sizes computed from constants.

use shaped::prelude::*;

const FEATURES: usize = 20;
const HIDDEN: usize = 64;
const N_CLASSES: usize = 4;

shaped::model! {
    struct Net {
        input: [FEATURES],
        Dense(HIDDEN, activation = relu),
        Dense(2 * HIDDEN, activation = relu),
        Dense(N_CLASSES, activation = softmax),
    }
}

fn main() -> shaped::Result<()> {
    let x: Vec<[f32; FEATURES]> = vec![[0.5; FEATURES]; 8];
    let y: Vec<u32> = (0..8).map(|i| i % N_CLASSES as u32).collect();
    let mut model = Net::new(0).compile(Adam::default(), SparseCategoricalCrossentropy::default(), [Accuracy])?;
    model.fit(&x, &y, FitOptions { epochs: 1, verbose: Verbose::Silent, ..Default::default() })?;
    let _p: Vec<[f32; N_CLASSES]> = model.predict(&x)?;
    Ok(())
}
