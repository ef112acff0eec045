shaped::model! {
    struct Net {
        input: [None, 12],
        Lstm(8, return_state = true),
        Dense(2),
    }
}

fn main() {}
