use shaped::prelude::*;

shaped::model! {
    /// A reusable block.
    pub struct Encoder {
        input: [64],
        Dense(16, activation = relu),
    }
}

shaped::model! {
    pub struct Classifier {
        input: [64],
        encoder: Encoder::new(seed),
        Dense(10, activation = softmax),
    }
}

fn main() -> shaped::Result<()> {
    let mut model = Classifier::new(5);
    let probs: Vec<[f32; 10]> = model.predict(&[[0.1; 64]; 2])?;
    assert_eq!(probs.len(), 2);
    let mut names = Vec::new();
    model.visit_weights(&mut |p| names.push(p.name.to_string()));
    assert_eq!(names, ["encoder/dense/kernel", "encoder/dense/bias", "dense/kernel", "dense/bias"]);
    Ok(())
}
