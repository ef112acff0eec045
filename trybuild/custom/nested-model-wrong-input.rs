shaped::model! {
    struct Encoder {
        input: [64],
        Dense(16, activation = relu),
    }
}

shaped::model! {
    struct Net {
        input: [32],
        Encoder::new(seed),
        Dense(10, activation = softmax),
    }
}

fn main() {}
