// The fix that the error of `trybuild/labels/integer-labels-with-categorical-loss.rs` suggests, applied: it compiles.
use shaped::prelude::*;

shaped::model! {
    struct Digits {
        input: [64],
        Dense(10, activation = softmax),
    }
}

fn main() -> shaped::Result<()> {
    let x = vec![[0.0f32; 64]; 8];
    let y: Vec<u32> = vec![3; 8];
    let mut model = Digits::new(0).compile(Adam::default(), SparseCategoricalCrossentropy::default(), [Accuracy])?;
    model.fit(&x, &y, FitOptions::default())?;
    Ok(())
}
