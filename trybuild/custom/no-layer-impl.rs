use shaped::prelude::*;

/// Only implemented for 128 input features.
struct Projection;

impl Layer<(shaped::dim!(128),)> for Projection {
    type Out = (shaped::dim!(32),);
    fn forward(&mut self, _: TensorRef<'_, (shaped::dim!(128),)>, _: TensorMut<'_, Self::Out>, _: Mode) -> shaped::Result<()> {
        Ok(())
    }
    fn backward(&mut self, _x: TensorRef<'_, (shaped::dim!(128),)>, _y: TensorRef<'_, Self::Out>, dy: TensorRef<'_, Self::Out>, dx: Option<TensorMut<'_, (shaped::dim!(128),)>>) -> shaped::Result<()> {
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
