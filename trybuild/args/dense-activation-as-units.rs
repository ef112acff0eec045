shaped::model! {
    struct Net {
        input: [64],
        Dense(relu),
    }
}

fn main() {}
