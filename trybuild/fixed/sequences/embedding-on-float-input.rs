// The fix that the error of `trybuild/sequences/embedding-on-float-input.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: u32[None],
        Embedding(1000, 16),
        Lstm(32),
    }
}

fn main() {}
