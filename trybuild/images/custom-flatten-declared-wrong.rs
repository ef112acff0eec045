use shaped::prelude::*;
use shaped::shape::{Flattened, Numel};

/// Lays a feature map out as one vector, as `Flatten` does.
struct MyFlatten;

impl<S: Shape + Numel> Layer<S> for MyFlatten {
    type Out = Flattened<S>;
    fn forward(&mut self, x: TensorRef<'_, S>, mut y: TensorMut<'_, Flattened<S>>, _: Mode) -> shaped::Result<()> {
        y.data_mut().copy_from_slice(x.data());
        Ok(())
    }
    fn backward(&mut self, _x: TensorRef<'_, S>, _y: TensorRef<'_, Flattened<S>>, dy: TensorRef<'_, Flattened<S>>, dx: Option<TensorMut<'_, S>>) -> shaped::Result<()> {
        if let Some(mut dx) = dx {
            dx.data_mut().copy_from_slice(dy.data());
        }
        Ok(())
    }
}

shaped::model! {
    struct Net {
        input: [28, 28, 1],
        Conv2d(16, 3, activation = relu),
        MaxPool2d(2),
        Conv2d(32, 3, activation = relu),
        MaxPool2d(2),
        MyFlatten {} -> [784],
        Dense(10),
    }
}

fn main() {}
