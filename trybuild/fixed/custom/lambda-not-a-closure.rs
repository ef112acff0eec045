shaped::model! {
    struct Net {
        input: [16],
        Dense(8),
        Activation(relu),
        Dense(2),
    }
}

fn main() {}
