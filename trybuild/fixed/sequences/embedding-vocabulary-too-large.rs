// The fix that the error of `trybuild/sequences/embedding-vocabulary-too-large.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: u32[None],
        Embedding(16777216, 16),
        GlobalAvgPool1d,
    }
}

fn main() {}
