use shaped::prelude::*;

/// Passes its input through; works for every shape.
struct Identity;

impl<S: Shape> Layer<S> for Identity {
    type Out = S;
    fn forward(&mut self, x: TensorRef<'_, S>, mut y: TensorMut<'_, S>, _: Mode) -> shaped::Result<()> {
        y.data_mut().copy_from_slice(x.data());
        Ok(())
    }
    fn backward(&mut self, _x: TensorRef<'_, S>, _y: TensorRef<'_, S>, dy: TensorRef<'_, S>, dx: Option<TensorMut<'_, S>>) -> shaped::Result<()> {
        if let Some(mut dx) = dx {
            dx.data_mut().copy_from_slice(dy.data());
        }
        Ok(())
    }
}

/// Only implemented for 3 features.
struct Triple;

impl Layer<(shaped::dim!(3),)> for Triple {
    type Out = (shaped::dim!(3),);
    fn forward(&mut self, x: TensorRef<'_, (shaped::dim!(3),)>, mut y: TensorMut<'_, Self::Out>, _: Mode) -> shaped::Result<()> {
        y.data_mut().copy_from_slice(x.data());
        Ok(())
    }
    fn backward(&mut self, _x: TensorRef<'_, (shaped::dim!(3),)>, _y: TensorRef<'_, Self::Out>, dy: TensorRef<'_, Self::Out>, dx: Option<TensorMut<'_, (shaped::dim!(3),)>>) -> shaped::Result<()> {
        if let Some(mut dx) = dx {
            dx.data_mut().copy_from_slice(dy.data());
        }
        Ok(())
    }
}

shaped::model! {
    struct Net {
        input: [8],
        Identity,
        Triple,
    }
}

fn main() {}
