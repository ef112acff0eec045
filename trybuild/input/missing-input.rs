// Keras builds a Sequential model without an input shape and only fails at `fit`.
shaped::model! {
    struct Net {
        Dense(64, activation = relu),
        Dense(10),
    }
}

fn main() {}
