// The Keras habit: `model.compile(...)` as a statement, then `model.fit(...)`.
use shaped::prelude::*;

shaped::model! {
    struct Net {
        input: [4],
        Dense(1),
    }
}

fn main() -> shaped::Result<()> {
    let x = vec![[0.5f32; 4]; 8];
    let y = vec![[1.0f32]; 8];
    let mut model = Net::new(0);
    model.compile(Adam::default(), MeanSquaredError::default(), [Mae])?;
    model.fit(&x, &y, FitOptions { epochs: 2, ..Default::default() })?;
    Ok(())
}
