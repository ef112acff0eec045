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
    fn backward(&mut self, _x: TensorRef<'_, (shaped::dim!(64),)>, _y: TensorRef<'_, Self::Out>, dy: TensorRef<'_, Self::Out>, dx: Option<TensorMut<'_, (shaped::dim!(64),)>>) -> shaped::Result<()> {
        if let Some(mut dx) = dx {
            for (g, d) in dx.data_mut().chunks_mut(64).zip(dy.data().chunks(32)) {
                g[..32].copy_from_slice(d);
                g[32..].fill(0.0);
            }
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
