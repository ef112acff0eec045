// The fix that the error of `trybuild/preprocessing/string-lookup-on-numbers.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: String[1],
        StringLookup(max_tokens = 4),
        Embedding(4, 2),
        Flatten,
        Dense(1, activation = sigmoid),
    }
}

fn main() {}
