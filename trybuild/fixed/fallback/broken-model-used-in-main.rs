// The fix that the error of `trybuild/fallback/broken-model-used-in-main.rs` suggests, applied: it compiles.
use shaped::prelude::*;

shaped::model! {
    pub struct Digits {
        input: [64],
        Dense(128, activation = relu),
        Reshape([128]),
        Dense(10, activation = softmax),
    }
}

fn main() -> shaped::Result<()> {
    let mut model = Digits::new(42);
    model.summary();
    let probs: Vec<[f32; 10]> = model.predict(&[[0.0f32; 64]; 2])?;
    println!("{}", probs.len());
    Ok(())
}
