// Only the macro's error: code using the broken model adds none.
use shaped::prelude::*;

shaped::model! {
    pub struct Digits {
        input: [64],
        Dense(128, activation = relu),
        Reshape([5, 5]),
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
