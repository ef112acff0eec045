// Keras: "expected ndim=3, found ndim=2" when the model runs.
shaped::model! {
    struct Net {
        input: [64],
        Dense(128, activation = relu),
        Lstm(64),
        Dense(10, activation = softmax),
    }
}

fn main() {}
