shaped::model! {
    struct Net {
        input: [None],
        Dense(10),
    }
}

fn main() {}
