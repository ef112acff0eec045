shaped::model! {
    struct Net {
        input: [None, 12],
        Flatten,
        Dense(10),
    }
}

fn main() {}
