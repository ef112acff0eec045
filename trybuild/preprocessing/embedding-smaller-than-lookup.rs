// The lookup gives indices below 8, but the `Embedding` has rows for only 6 of them.
shaped::model! {
    struct Net {
        input: String[1],
        StringLookup(max_tokens = 8),
        Embedding(6, 4),
        Flatten,
        Dense(3, activation = softmax),
    }
}

fn main() {}
