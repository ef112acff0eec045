use shaped::prelude::*;

/// Multiplies by a constant; works for every shape.
struct Scale {
    factor: f32,
}

impl Scale {
    fn new(factor: f32) -> Self {
        Scale { factor }
    }
}

impl<S: Shape> Layer<S> for Scale {
    type Out = S;
    fn forward(&mut self, x: TensorRef<'_, S>, mut y: TensorMut<'_, S>, _: Mode) -> shaped::Result<()> {
        y.data_mut().iter_mut().zip(x.data()).for_each(|(o, i)| *o = self.factor * i);
        Ok(())
    }
    fn backward(&mut self, _x: TensorRef<'_, S>, _y: TensorRef<'_, S>, dy: TensorRef<'_, S>, dx: Option<TensorMut<'_, S>>) -> shaped::Result<()> {
        if let Some(mut dx) = dx {
            dx.data_mut().iter_mut().zip(dy.data()).for_each(|(g, d)| *g = self.factor * d);
        }
        Ok(())
    }
}

// After `Scale`, whose output the macro cannot see, the built-ins are checked by the type
// system and const checks instead.
shaped::model! {
    struct Net {
        input: [4, 8],
        Scale::new(0.5),
        Flatten,
        Dense(16, activation = relu),
        Reshape([-1, 4]),
        Dense(2),
    }
}

fn main() -> shaped::Result<()> {
    let mut net = Net::new(3);
    let out = net.predict_flat(&[1.0; 2 * 32], &[2, 4, 8])?;
    assert_eq!(out.dims().as_slice(), &[4, 2]);
    Ok(())
}
