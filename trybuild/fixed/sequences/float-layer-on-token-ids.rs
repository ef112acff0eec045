// The fix that the error of `trybuild/sequences/float-layer-on-token-ids.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: u32[None],
        Embedding(1000, 16),
        Lstm(32),
        Dense(2, activation = softmax),
    }
}

fn main() {}
