use shaped::prelude::*;

/// Keeps the first half of the features: `[n]` → `[n / 2]`.
struct FirstHalf;

impl Layer<(shaped::dim!(64),)> for FirstHalf {
    type Out = (shaped::dim!(32),);
    fn forward(&mut self, x: TensorRef<'_, (shaped::dim!(64),)>, mut y: TensorMut<'_, Self::Out>, _: Mode) -> shaped::Result<()> {
        for (o, i) in y.data_mut().chunks_mut(32).zip(x.data().chunks(64)) {
            o.copy_from_slice(&i[..32]);
        }
        Ok(())
    }
}

shaped::model! {
    struct Net {
        input: [64],
        FirstHalf -> [32],
        Dense(10, activation = softmax),
    }
}

fn main() -> shaped::Result<()> {
    let mut net = Net::new(3);
    let p: Vec<[f32; 10]> = net.predict(&[[1.0; 64]])?;
    assert!((p[0].iter().sum::<f32>() - 1.0).abs() < 1e-5);
    Ok(())
}
