use shaped::prelude::*;

/// A projection written for 128 input features.
struct Projection;

impl<S: Shape> Layer<S> for Projection {
    type Out = (shaped::dim!(32),);
    const CHECK: Check = Check::last_dim(S::DIMS, 128, "input features");
    fn forward(&mut self, _: TensorRef<'_, S>, _: TensorMut<'_, Self::Out>, _: Mode) -> shaped::Result<()> {
        Ok(())
    }
    fn backward(&mut self, _x: TensorRef<'_, S>, _y: TensorRef<'_, Self::Out>, dy: TensorRef<'_, Self::Out>, dx: Option<TensorMut<'_, S>>) -> shaped::Result<()> {
        let _ = dy;
        if let Some(mut dx) = dx {
            dx.data_mut().fill(0.0);
        }
        Ok(())
    }
}

shaped::model! {
    struct Net {
        input: [64],
        Projection::default(),
    }
}

impl Default for Projection {
    fn default() -> Self {
        Projection
    }
}

fn main() {}
