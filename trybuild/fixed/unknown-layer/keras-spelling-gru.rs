// The fix that the error of `trybuild/unknown-layer/keras-spelling-gru.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: [None, 12],
        Gru(32),
    }
}

fn main() {}
