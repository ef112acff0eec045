shaped::model! {
    struct Net {
        input: [64],
        Dense(0),
    }
}

fn main() {}
