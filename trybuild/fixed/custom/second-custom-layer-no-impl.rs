// The fix that the error of `trybuild/custom/second-custom-layer-no-impl.rs` suggests, applied: it compiles.
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

/// Implemented for every shape, as the note suggests.
struct Triple;

impl<S: Shape> Layer<S> for Triple {
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

shaped::model! {
    struct Net {
        input: [8],
        Identity,
        Triple,
    }
}

fn main() {}
