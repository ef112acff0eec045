// The fix that the error of `trybuild/unknown-layer/keras-spelling-lstm.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: [None, 12],
        Lstm(64),
    }
}

fn main() {}
