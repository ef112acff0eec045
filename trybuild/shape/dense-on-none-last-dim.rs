shaped::model! {
    struct Net {
        input: [None, None],
        Dense(10),
    }
}

fn main() {}
