use shaped::prelude::*;

shaped::model! {
    /// Every built-in layer and option of this version.
    #[derive(Debug)]
    pub(crate) struct Everything {
        input: f32[4, 6],
        Flatten(),
        first: Dense(32, activation = relu, use_bias = true),
        Dense(units = 32, activation = "gelu", use_bias = false),
        Dense(24, sigmoid),
        Activation(tanh),
        Activation(activation = "elu"),
        Activation(selu),
        Activation(softplus),
        Activation(softsign),
        Activation(leaky_relu),
        Activation(swish),
        Activation(silu),
        Activation(linear),
        Dropout(0.5),
        Dropout(rate = 0.1, seed = 7),
        Reshape([4, -1]),
        Reshape((2, 2, 6)),
        Flatten,
        Dense(10, activation = softmax),
    }
}

fn main() -> shaped::Result<()> {
    let mut model = Everything::new(1);
    let out: Vec<[f32; 10]> = model.predict(&[[[0.25f32; 6]; 4]; 3])?;
    assert_eq!(out.len(), 3);
    assert_eq!(model.layers()[1].name, "first");
    assert_eq!(model.layers()[2].name, "dense");
    assert_eq!(model.layers()[3].name, "dense_1");
    Ok(())
}
