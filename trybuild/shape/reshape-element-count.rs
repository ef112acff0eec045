shaped::model! {
    struct Net {
        input: [32],
        Dense(64),
        Reshape([4, 32]),
    }
}

fn main() {}
