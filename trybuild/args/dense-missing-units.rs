shaped::model! {
    struct Net {
        input: [64],
        Dense(activation = relu),
    }
}

fn main() {}
