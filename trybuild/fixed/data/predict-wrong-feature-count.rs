// The fix that the error of `trybuild/data/predict-wrong-feature-count.rs` suggests, applied: it compiles.
shaped::model! {
    struct Digits {
        input: [64],
        Dense(10, activation = softmax),
    }
}

fn main() -> shaped::Result<()> {
    let mut model = Digits::new(0);
    let x: Vec<[f32; 64]> = vec![[0.0; 64]; 4];
    let _probs = model.predict(&x)?;
    Ok(())
}
