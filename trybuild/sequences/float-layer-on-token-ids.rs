shaped::model! {
    struct Net {
        input: u32[None],
        Lstm(32),
        Dense(2, activation = softmax),
    }
}

fn main() {}
