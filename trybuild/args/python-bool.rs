shaped::model! {
    struct Net {
        input: [64],
        Dense(10, use_bias = False),
    }
}

fn main() {}
