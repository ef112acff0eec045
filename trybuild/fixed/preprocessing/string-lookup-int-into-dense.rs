// The fix that the error of `trybuild/preprocessing/string-lookup-int-into-dense.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: String[1],
        StringLookup(max_tokens = 8),
        Embedding(8, 4),
        Flatten,
        Dense(3, activation = softmax),
    }
}

fn main() {}
