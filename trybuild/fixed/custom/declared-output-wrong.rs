// The fix that the error of `trybuild/custom/declared-output-wrong.rs` suggests, applied: it compiles.
use shaped::prelude::*;

/// Doubles every value; the shape is unchanged.
struct Double;

impl<S: Shape> Layer<S> for Double {
    type Out = S;
    fn forward(&mut self, x: TensorRef<'_, S>, mut y: TensorMut<'_, S>, _: Mode) -> shaped::Result<()> {
        y.data_mut().iter_mut().zip(x.data()).for_each(|(o, i)| *o = 2.0 * i);
        Ok(())
    }
    fn backward(&mut self, _x: TensorRef<'_, S>, _y: TensorRef<'_, S>, dy: TensorRef<'_, S>, dx: Option<TensorMut<'_, S>>) -> shaped::Result<()> {
        if let Some(mut dx) = dx {
            dx.data_mut().iter_mut().zip(dy.data()).for_each(|(g, d)| *g = 2.0 * d);
        }
        Ok(())
    }
}

shaped::model! {
    struct Net {
        input: [64],
        Double {} -> [64],
        Dense(10),
    }
}

fn main() {}
