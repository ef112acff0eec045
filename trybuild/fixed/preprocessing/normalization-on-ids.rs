shaped::model! {
    struct Net {
        input: u32[8],
        Embedding(100, 4),
        Normalization,
        Flatten,
        Dense(2),
    }
}

fn main() {}
