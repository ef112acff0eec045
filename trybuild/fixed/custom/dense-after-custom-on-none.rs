// The fix that the error of `trybuild/custom/dense-after-custom-on-none.rs` suggests, applied: it compiles.
use shaped::prelude::*;

/// Multiplies by a constant; works for every shape.
struct Scale(f32);

impl<S: Shape> Layer<S> for Scale {
    type Out = S;
    fn forward(&mut self, x: TensorRef<'_, S>, mut y: TensorMut<'_, S>, _: Mode) -> shaped::Result<()> {
        y.data_mut().iter_mut().zip(x.data()).for_each(|(o, i)| *o = self.0 * i);
        Ok(())
    }
    fn backward(&mut self, _x: TensorRef<'_, S>, _y: TensorRef<'_, S>, dy: TensorRef<'_, S>, dx: Option<TensorMut<'_, S>>) -> shaped::Result<()> {
        if let Some(mut dx) = dx {
            dx.data_mut().iter_mut().zip(dy.data()).for_each(|(g, d)| *g = self.0 * d);
        }
        Ok(())
    }
}

// The macro cannot see through `Scale`, so `Dense`'s rule is checked at compile time by a
// const check instead, still on `Dense`'s line.
shaped::model! {
    struct Net {
        input: [None, 12],
        Scale(2.0),
        Dense(10),
    }
}

fn main() {}
