use shaped::prelude::*;

shaped::model! {
    /// Classifies 8x8 digit images.
    pub struct Digits {
        input: [64],
        hidden: Dense(128, activation = relu),
        Dropout(0.2),
        Dense(10, activation = softmax),
    }
}

fn main() -> shaped::Result<()> {
    let mut model = Digits::new(42);
    model.summary();
    let x = [[0.5f32; 64]; 3];
    let p = model.predict(&x)?;
    println!("{:?}", p[0]);
    Ok(())
}
