// The fix that the error of `trybuild/unknown-layer/keras-spelling-simple-rnn.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: [None, 12],
        SimpleRnn(32),
    }
}

fn main() {}
