// The fix that the error of `trybuild/custom/no-layer-impl.rs` suggests, applied: it compiles.
use shaped::prelude::*;

/// Implemented for the 64 input features it is given, as the note says.
struct Projection;

impl Layer<(shaped::dim!(64),)> for Projection {
    type Out = (shaped::dim!(32),);
    fn forward(&mut self, _: TensorRef<'_, (shaped::dim!(64),)>, _: TensorMut<'_, Self::Out>, _: Mode) -> shaped::Result<()> {
        Ok(())
    }
    fn backward(&mut self, _x: TensorRef<'_, (shaped::dim!(64),)>, _y: TensorRef<'_, Self::Out>, dy: TensorRef<'_, Self::Out>, dx: Option<TensorMut<'_, (shaped::dim!(64),)>>) -> shaped::Result<()> {
        let _ = dy;
        if let Some(mut dx) = dx {
            dx.data_mut().fill(0.0);
        }
        Ok(())
    }
}

impl Projection {
    fn new() -> Self {
        Projection
    }
}

shaped::model! {
    struct Net {
        input: [64],
        Projection::new(),
    }
}

fn main() {}
