shaped::model! {
    struct Digits {
        input: [64],
        Dense(10, activation = softmax),
    }
}

fn main() -> shaped::Result<()> {
    let mut model = Digits::new(0);
    let x: Vec<[f32; 63]> = vec![[0.0; 63]; 4];
    let _probs = model.predict(&x)?;
    Ok(())
}
